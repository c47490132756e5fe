"""``qa-service eval facts``: the default rubric's findings against the facts in ``<id>.truth.json``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from qa_service.config import Settings
from qa_service.evaluation.bench import time_scoring
from qa_service.evaluation.measures import Detection, Event, match_events, relative_error
from qa_service.evaluation.transcripts import Log, _f1, _mean, _truth_files, peak_rss_mb
from qa_service.pipeline import run_pipeline
from qa_service.report import analysis_to_dict
from qa_service.scoring.call import facts_from_dict
from qa_service.scoring.engine import default_rubric_path, score_analysis
from qa_service.scoring.matching import Stream, find
from qa_service.scoring.schema import ApologyAfterComplaint, LoadedRubric, load_rubric

PRESENCE = ("greeting", "closing", "confirm_other_questions", "apology", "follow_up_promise")
EVENTS = ("forbidden", "interruptions", "dead_air", "pii")


def _presence(truth: bool, found: bool) -> Detection:
    return Detection(tp=int(truth and found), fp=int(found and not truth), fn=int(truth and not found))


def _apologised(data: dict[str, Any], rubric: LoadedRubric) -> bool:
    check = next((c for c in rubric.rubric.checks if isinstance(c, ApologyAfterComplaint)), None)
    if check is None:
        return False
    call = facts_from_dict(data)
    stream = Stream(call.trusted("agent"), call.language)
    return any(find(stream, phrase, check.threshold) for phrase in check.apology_phrases)


def compare_facts(
    truth: dict[str, Any], data: dict[str, Any], scored: dict[str, Any], rubric: LoadedRubric
) -> dict[str, Detection]:
    facts = truth["facts"]
    findings = {f["check_id"]: f for f in scored["findings"]}

    def has_evidence(check_id: str) -> bool:
        return bool(findings.get(check_id, {}).get("evidence"))

    follow_up = (
        findings.get("follow_up_commitment", {}).get("data", {}).get("outcome") == "follow_up_promised"
    )
    metrics = data["metrics"]
    forbidden = findings.get("forbidden_expressions", {})
    return {
        "greeting": _presence(facts["greeting"]["present"], has_evidence("greeting")),
        "closing": _presence(facts["closing"]["present"], has_evidence("closing")),
        "confirm_other_questions": _presence(
            facts["confirm_other_questions"]["present"], has_evidence("confirm_other_questions")
        ),
        "apology": _presence(facts["apology"]["present"], _apologised(data, rubric)),
        "follow_up_promise": _presence(facts["follow_up_promise"]["present"], follow_up),
        "forbidden": match_events(
            [Event(f["start"], f["end"]) for f in facts["forbidden"]],
            [Event(e["start"], e["end"]) for e in forbidden.get("evidence", [])]
            if forbidden.get("status") == "failed"
            else [],
        ),
        "interruptions": match_events(
            [Event(i["start"], i["start"] + i["overlap_s"], i["by"]) for i in facts["interruptions"]],
            [Event(i["start"], i["start"] + i["overlap_s"], i["by"]) for i in metrics["interruptions"]],
        ),
        "dead_air": match_events(
            [Event(d["start"], d["end"]) for d in facts["dead_air"]],
            [Event(d["start"], d["end"]) for d in metrics["dead_air"]],
        ),
        "pii": match_events(
            [Event(p["start"], p["end"], f"{p['type']}:{p['speaker']}") for p in facts["pii"]],
            [Event(p["start"], p["end"], f"{p['type']}:{p['role']}") for p in scored["pii"]],
            tolerance=1.0,
        ),
    }


def _phrase_f1(totals: dict[str, Detection]) -> float | None:
    """Pooled F1 of the phrase facts (greeting, closing, confirmation, apology, follow-up, forbidden)."""
    pooled = sum((totals[n] for n in (*PRESENCE, "forbidden")), Detection())
    return pooled.f1


def eval_facts(directory: Path, settings: Settings, log: Log) -> dict[str, Any]:
    totals = {name: Detection() for name in (*PRESENCE, *EVENTS)}
    rate_errors: list[float | None] = []
    scored_calls = skipped = 0
    by_layout: dict[str, dict[str, Detection]] = {}
    scoring_ms: list[float] = []
    for truth_path in _truth_files(directory):
        truth = json.loads(truth_path.read_text(encoding="utf-8"))
        language = truth.get("language", "zh")
        rubric = load_rubric(default_rubric_path(language, settings.rubric_dir))
        analysis = run_pipeline(directory / truth["audio"], settings, language=language, rubric=rubric)
        data = analysis_to_dict(analysis)
        scored = score_analysis(data, settings, rubric)
        scoring_ms.append(time_scoring(data, settings, rubric, repeat=9))
        result = compare_facts(truth, data, scored, rubric)
        for name, det in result.items():
            totals[name] = totals[name] + det
        facts = truth["facts"]
        rate = relative_error(
            data["metrics"]["agent_speech_rate"],
            facts.get("agent_speech_rate_wpm", facts.get("agent_speech_rate_cpm")),
        )
        rate_errors.append(rate)
        scored_calls += 1
        wrong = [n for n, d in result.items() if d.fp or d.fn]
        layout = data["layout"]
        by_layout.setdefault(layout, {n: Detection() for n in totals})
        for name, det in result.items():
            by_layout[layout][name] = by_layout[layout][name] + det
        log(
            f"{truth['call_id']:<16} {layout:<6} score {scored['score']['total']}  flagged {scored['flagged']}  "
            + (
                "all facts right"
                if not wrong
                else "misses: " + ", ".join(f"{n} ({_f1(result[n])})" for n in wrong)
            )
        )
    rate_error = _mean(rate_errors)
    summary: dict[str, Any] = {
        "set": directory.name,
        "calls": scored_calls,
        "skipped": skipped,
        "facts": {
            n: {"precision": d.precision, "recall": d.recall, "f1": d.f1, "tp": d.tp, "fp": d.fp, "fn": d.fn}
            for n, d in totals.items()
        },
        "by_layout": {
            layout: {"f1": _phrase_f1(d), "facts": {n: det.f1 for n, det in d.items()}}
            for layout, d in by_layout.items()
        },
        "agent_speech_rate_error": rate_error,
        "scoring_ms": {"mean": _mean(scoring_ms), "max": max(scoring_ms, default=None)},
        "peak_rss_mb": peak_rss_mb(),
    }
    log(
        f"SUMMARY facts {directory.name}: {scored_calls} calls ({skipped} skipped)  "
        + "  ".join(f"{n} {_f1(d)}" for n, d in totals.items())
        + f"  agent speech-rate error {100 * (rate_error or 0):.1f}%"
        + f"  scoring ms mean {_mean(scoring_ms) or 0:.1f} max {max(scoring_ms, default=0):.1f}"
        + "".join(
            f"  | {layout} phrase-fact F1 {_phrase_f1(d) or 0:.2f}" for layout, d in sorted(by_layout.items())
        )
    )
    return summary
