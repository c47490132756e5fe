"""The analysis as the JSON contract and as a readable report."""

from __future__ import annotations

from typing import Any

from qa_service.pipeline import CallAnalysis
from qa_service.pipeline.pacing import Loudness
from qa_service.transcript import Utterance


def _r(value: float | None, digits: int = 3) -> float | None:
    return None if value is None else round(float(value), digits)


def _utterance(u: Utterance) -> dict[str, Any]:
    return {
        "role": u.role,
        "speaker": u.speaker,
        "start": _r(u.start),
        "end": _r(u.end),
        "text": u.text,
        "text_normalized": u.text_normalized,
        "words": [
            {"start": _r(w.start), "end": _r(w.end), "text": w.text, "prob": _r(w.prob)} for w in u.words
        ],
        "avg_logprob": _r(u.avg_logprob),
        "suspect": u.suspect,
        "role_confidence": _r(u.role_confidence),
        **(
            {"language_id": {"language": u.language_id[0], "prob": _r(u.language_id[1])}}
            if u.language_id is not None
            else {}
        ),
    }


def _loudness(level: Loudness) -> dict[str, float | None]:
    return {"mean": _r(level.mean_dbfs, 1), "p95": _r(level.p95_dbfs, 1), "max": _r(level.max_dbfs, 1)}


def _roles(analysis: CallAnalysis) -> dict[str, Any] | None:
    a = analysis.roles
    if a is None:
        return None
    return {
        "method": a.method,
        "confidence": _r(a.confidence),
        **({"agreement": _r(a.agreement)} if a.agreement is not None else {}),
        "speakers": {
            speaker: {
                "role": role,
                "agent_score": _r(a.evidence[speaker].score) if speaker in a.evidence else None,
                "evidence": a.evidence[speaker].features if speaker in a.evidence else {},
            }
            for speaker, role in a.roles.items()
        },
        "warnings": list(a.warnings),
    }


def analysis_to_dict(analysis: CallAnalysis) -> dict[str, Any]:
    t, m = analysis.transcript, analysis.metrics
    return {
        "source": analysis.source,
        "duration_s": _r(analysis.duration_s),
        "language": t.language,
        "layout": t.layout,
        "audio": analysis.audio,
        "roles": _roles(analysis),
        "needs_review": bool(analysis.review_reasons),
        "review_reasons": list(analysis.review_reasons),
        "utterances": [_utterance(u) for u in t.utterances],
        "metrics": {
            "agent_speech_rate": _r(m.speech_rate["agent"], 1),
            "customer_speech_rate": _r(m.speech_rate["customer"], 1),
            "speech_rate_unit": m.speech_rate_unit,
            "speaking_s": {r: _r(v) for r, v in m.speaking_s.items()},
            "talk_ratio": {r: _r(v) for r, v in m.talk_ratio.items()},
            "dead_air": [
                {"start": _r(s.start), "end": _r(s.end), "duration_s": _r(s.duration)} for s in m.dead_air
            ],
            "interruptions": [
                {"by": i.by, "start": _r(i.start), "overlap_s": _r(i.overlap_s)} for i in m.interruptions
            ],
            "response_latency": {
                "mean_s": _r(m.response_latency.mean_s),
                "max_s": _r(m.response_latency.max_s),
                "count": m.response_latency.count,
            },
            "loudness_dbfs": {r: _loudness(v) for r, v in m.loudness.items()},
            "reliability": {
                k: {"method": v.method, "confidence": _r(v.confidence)} for k, v in m.reliability.items()
            },
        },
        "timings": {k: _r(v) for k, v in analysis.timings.items()},
    }


_ROLE_LABEL = {"agent": "AGENT   ", "customer": "CUSTOMER"}


def _clock(seconds: float) -> str:
    minutes, sec = divmod(seconds, 60.0)
    return f"{int(minutes):02d}:{sec:04.1f}"


def _fmt(value: float | None, unit: str = "", digits: int = 1) -> str:
    return "n/a" if value is None else f"{value:.{digits}f}{unit}"


_MARK = {"passed": "PASS", "failed": "FAIL", "not_applicable": "n/a "}


def render_score(scored: dict[str, Any]) -> str:
    """The rubric part of a report: total, categories, every finding with its evidence."""
    score, rubric = scored["score"], scored["rubric"]
    total = "n/a" if score["total"] is None else f"{score['total']:.1f}"
    lines = [
        f"Score {total} ({'pass' if score['passed'] else 'fail'}) on rubric {rubric['id']} v{rubric['version']}"
        + (f"  FLAGGED: {', '.join(scored['flag_reasons'])}" if scored["flagged"] else ""),
        "  categories: "
        + ", ".join(f"{k} {'n/a' if v is None else f'{v:.0f}'}" for k, v in score["categories"].items()),
    ]
    for f in scored["findings"]:
        review = "  [needs review]" if f["needs_review"] else ""
        critical = " critical" if f["severity"] == "critical" else ""
        lines.append(f"  {_MARK[f['status']]} {f['check_id']:<26}{f['detail']}{critical}{review}")
        for e in f["evidence"][:3]:
            said = f" «{e['matched']}»" if e.get("matched") else ""
            lines.append(
                f"         [{_clock(e['start'])}-{_clock(e['end'])}] {e['role']}: {e['text'][:60]}{said}"
            )
    if scored.get("pii"):
        lines.append(
            "  personal numbers (masked): "
            + ", ".join(f"{p['type']} by {p['role']} at {_clock(p['start'])}" for p in scored["pii"])
        )
    return "\n".join(lines)


def render_report(
    analysis: CallAnalysis, scored: dict[str, Any] | None = None, shown: list[dict[str, Any]] | None = None
) -> str:
    """The readable report; ``shown`` are the utterances to print (masked), default all as analysed."""
    t, m = analysis.transcript, analysis.metrics
    unit = "words/min" if m.speech_rate_unit == "words_per_minute" else "chars/min"
    if t.layout == "mono" and analysis.roles is not None:
        agent = analysis.roles.agent
        where = f"agent is {agent} ({analysis.roles.method}, confidence {analysis.roles.confidence:.2f})"
    else:
        where = f"agent on channel {analysis.audio.get('agent_channel')}"
    lines = [
        f"Call {analysis.source}",
        f"  {_fmt(analysis.duration_s, ' s')}, {t.layout}, language {t.language}, {where}",
        "",
        "Pacing",
        f"  speech rate   agent {_fmt(m.speech_rate['agent'])} {unit}, "
        f"customer {_fmt(m.speech_rate['customer'])} {unit}",
        f"  talk ratio    agent {m.talk_ratio['agent']:.0%}, customer {m.talk_ratio['customer']:.0%}",
        f"  latency       mean {_fmt(m.response_latency.mean_s, ' s')}, "
        f"max {_fmt(m.response_latency.max_s, ' s')} over {m.response_latency.count} answers",
        f"  dead air      {len(m.dead_air)}"
        + "".join(f"  [{_clock(s.start)}-{_clock(s.end)} {s.duration:.1f} s]" for s in m.dead_air),
        f"  interruptions {len(m.interruptions)}"
        + "".join(f"  [{i.by} at {_clock(i.start)}, {i.overlap_s:.1f} s]" for i in m.interruptions),
    ]
    for role, level in m.loudness.items():
        lines.append(
            f"  loudness {role:<9}mean {_fmt(level.mean_dbfs, ' dBFS')}, max {_fmt(level.max_dbfs, ' dBFS')}"
        )
    for key in ("interruptions", "loudness"):
        rel = m.reliability.get(key)
        if rel is not None and rel.confidence < 1.0:
            lines.append(f"  ({key} on one mixed channel: {rel.method}, confidence {rel.confidence:.2f})")
    warnings = [*(analysis.roles.warnings if analysis.roles else ()), *analysis.review_reasons]
    if warnings:
        lines.append("  warnings: " + ", ".join(warnings))
    if scored is not None:
        lines += ["", render_score(scored)]
    lines += ["", "Transcript"]
    for u in shown if shown is not None else [_utterance(u) for u in t.utterances]:
        mark = f"  (ignored: {u['suspect']})" if u["suspect"] else ""
        lines.append(
            f"  [{_clock(u['start'])}-{_clock(u['end'])}] {_ROLE_LABEL[u['role']]}"
            + (f" {u['speaker']}" if t.layout == "mono" else "")
            + f" {u['text_normalized']}{mark}"
        )
    total = sum(analysis.timings.values())
    lines += ["", f"Processed in {total:.1f} s (real-time factor {total / analysis.duration_s:.2f})"]
    return "\n".join(lines)
