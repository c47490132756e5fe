"""``qa-service eval transcripts``: ASR and pacing accuracy against ground truth."""

from __future__ import annotations

import json
import resource
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from qa_service.audio import decode_audio
from qa_service.backends import get_asr_backend
from qa_service.config import Settings
from qa_service.errors import EvaluationError
from qa_service.evaluation.measures import (
    Detection,
    ErrorCount,
    Event,
    error_count,
    match_events,
    relative_error,
)
from qa_service.pipeline import CallAnalysis, run_pipeline
from qa_service.pipeline.transcribe import transcribe_audio
from qa_service.transcript import Role

ROLES: tuple[Role, Role] = ("agent", "customer")
Log = Callable[[str], None]


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def _pct(value: float | None) -> str:
    return "  n/a" if value is None else f"{100 * value:5.1f}%"


def _f1(det: Detection) -> str:
    f1 = det.f1
    return f"{det.tp}/{det.fp}/{det.fn}" + ("" if f1 is None else f" F1 {f1:.2f}")


@dataclass
class CallScore:
    call_id: str
    duration_s: float
    compute_s: float = 0.0
    skipped: str | None = None
    errors: dict[str, ErrorCount] = field(default_factory=dict)
    rate_error: dict[str, float | None] = field(default_factory=dict)
    dead_air: Detection = field(default_factory=Detection)
    interruptions: Detection = field(default_factory=Detection)
    agent_channel_ok: bool | None = None

    @property
    def rtf(self) -> float:
        return self.compute_s / self.duration_s if self.duration_s else 0.0


def score_call(truth: dict[str, Any], analysis: CallAnalysis) -> CallScore:
    language = truth.get("language", "zh")
    facts = truth["facts"]
    utts = [u for u in analysis.transcript.utterances if u.suspect is None]
    errors = {
        role: error_count(
            " ".join(t["text"] for t in truth["turns"] if t["speaker"] == role),
            " ".join(u.text_normalized for u in utts if u.role == role),
            language,
        )
        for role in ROLES
    }
    rates = analysis.metrics.speech_rate
    return CallScore(
        call_id=truth["call_id"],
        duration_s=analysis.duration_s,
        compute_s=sum(analysis.timings.values()),
        errors={str(k): v for k, v in errors.items()},
        rate_error={
            # en-dev keeps the key ``*_cpm`` for its words-per-minute figures.
            role: relative_error(
                rates[role], facts.get(f"{role}_speech_rate_wpm", facts.get(f"{role}_speech_rate_cpm"))
            )
            for role in ROLES
        },
        dead_air=match_events(
            [Event(d["start"], d["end"]) for d in facts["dead_air"]],
            [Event(s.start, s.end) for s in analysis.metrics.dead_air],
        ),
        interruptions=match_events(
            [Event(i["start"], i["start"] + i["overlap_s"], i["by"]) for i in facts["interruptions"]],
            [Event(i.start, i.start + i.overlap_s, i.by) for i in analysis.metrics.interruptions],
        ),
        agent_channel_ok=_roles_ok(truth, analysis),
    )


def _roles_ok(truth: dict[str, Any], analysis: CallAnalysis) -> bool:
    """Stereo: the agent channel is right. Mono: the agent's turns went mostly to the agent role."""
    if analysis.transcript.layout == "stereo":
        return bool(analysis.audio.get("agent_channel") == truth.get("agent_channel"))
    return role_accuracy(truth["turns"], analysis.transcript.utterances) >= 0.5


def role_accuracy(turns: list[dict[str, Any]], utterances: Any) -> float:
    """Share of the reference speech (by time) whose role the analysis got right (mono calls)."""
    right = total = 0.0
    for turn in turns:
        length = turn["end"] - turn["start"]
        total += length
        right += sum(
            max(0.0, min(turn["end"], u.end) - max(turn["start"], u.start))
            for u in utterances
            if u.role == turn["speaker"]
        )
    return min(1.0, right / total) if total else 1.0


def _truth_files(directory: Path) -> list[Path]:
    files = sorted(directory.glob("*.truth.json"))
    if not files:
        raise EvaluationError(f"{directory}: no <id>.truth.json files (and no manifest.jsonl)")
    return files


def eval_corpus(directory: Path, settings: Settings, log: Log) -> dict[str, Any]:
    """Evaluate every call of a corpus directory with ``<id>.truth.json`` files."""
    scores: list[CallScore] = []
    for truth_path in _truth_files(directory):
        truth = json.loads(truth_path.read_text(encoding="utf-8"))
        audio = directory / truth["audio"]
        analysis = run_pipeline(audio, settings, language=truth.get("language"))
        score = score_call(truth, analysis)
        scores.append(score)
        log(
            f"{score.call_id:<16} {'CER' if truth.get('language', 'zh') == 'zh' else 'WER'} "
            f"agent {_pct(score.errors['agent'].rate)} customer {_pct(score.errors['customer'].rate)}"
            f"  rate err agent {_pct(score.rate_error['agent'])} customer {_pct(score.rate_error['customer'])}"
            f"  dead air {_f1(score.dead_air)}  interruptions {_f1(score.interruptions)}"
            f"  {'channel map' if analysis.transcript.layout == 'stereo' else 'roles'} {'ok' if score.agent_channel_ok else 'WRONG'}"
            f"  RTF {score.rtf:.3f}  peak RSS {peak_rss_mb():.0f} MB"
        )
    return _summarise(directory.name, scores, log)


def _mean(values: Sequence[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return float(np.mean(present)) if present else None


def _summarise(name: str, scores: list[CallScore], log: Log) -> dict[str, Any]:
    done = [s for s in scores if s.skipped is None]
    errors = {r: sum((s.errors[r] for s in done), ErrorCount(0, 0)) for r in ROLES}
    dead_air = sum((s.dead_air for s in done), Detection())
    interruptions = sum((s.interruptions for s in done), Detection())
    compute = sum(s.compute_s for s in done)
    audio = sum(s.duration_s for s in done)
    rate_error = {r: _mean([s.rate_error[r] for s in done]) for r in ROLES}
    summary: dict[str, Any] = {
        "set": name,
        "files": len(done),
        "skipped": len(scores) - len(done),
        "error_rate": {r: errors[r].rate for r in ROLES},
        "speech_rate_error": rate_error,
        "dead_air": {"precision": dead_air.precision, "recall": dead_air.recall, "f1": dead_air.f1},
        "interruptions": {
            "precision": interruptions.precision,
            "recall": interruptions.recall,
            "f1": interruptions.f1,
        },
        "channel_map_errors": sum(1 for s in done if not s.agent_channel_ok),
        "rtf": compute / audio if audio else None,
        "peak_rss_mb": peak_rss_mb(),
    }
    log(
        f"SUMMARY {name}: {len(done)} calls ({summary['skipped']} skipped)"
        f"  error rate agent {_pct(errors['agent'].rate)} customer {_pct(errors['customer'].rate)}"
        f"  speech-rate error agent {_pct(rate_error['agent'])}"
        f" customer {_pct(rate_error['customer'])}"
        f"  dead air {_f1(dead_air)}  interruptions {_f1(interruptions)}"
        f"  RTF {summary['rtf'] or 0:.3f}  peak RSS {summary['peak_rss_mb']:.0f} MB"
    )
    return summary


def eval_manifest(directory: Path, settings: Settings, log: Log) -> dict[str, Any]:
    """Single-speaker ASR accuracy on clips listed in ``manifest.jsonl`` with a reference text."""
    rows = [json.loads(line) for line in (directory / "manifest.jsonl").read_text().splitlines() if line]
    backend = get_asr_backend(settings.asr, settings.models_dir)
    by_group: dict[str, list[tuple[ErrorCount, float, float]]] = {}
    for row in rows:
        if not row.get("text"):
            continue
        language = row["lang"]
        recording = decode_audio(directory / row["file"])
        mix = recording.samples.mean(axis=0)
        start = time.perf_counter()
        channel = transcribe_audio(backend, mix, language=language, settings=settings)
        compute = time.perf_counter() - start
        hypothesis = " ".join(s.text for s in channel.segments if s.suspect is None)
        err = error_count(row["text"], hypothesis, language)
        group = row["file"].split("/")[0]
        by_group.setdefault(group, []).append((err, compute, recording.duration_s))
        log(
            f"{row['file']:<48} {'CER' if language == 'zh' else 'WER'} {_pct(err.rate)}"
            f"  RTF {compute / recording.duration_s:.3f}"
        )
    groups: dict[str, dict[str, Any]] = {}
    for group, items in sorted(by_group.items()):
        total = sum((e for e, _, _ in items), ErrorCount(0, 0))
        rtf = sum(c for _, c, _ in items) / sum(d for _, _, d in items)
        groups[group] = {"files": len(items), "error_rate": total.rate, "rtf": rtf}
    summary: dict[str, Any] = {"set": directory.name, "groups": groups}
    log(
        f"SUMMARY {directory.name}: "
        + "  ".join(
            f"{g} {v['files']} files error rate {_pct(v['error_rate'])} RTF {v['rtf']:.3f}"
            for g, v in groups.items()
        )
        + f"  peak RSS {peak_rss_mb():.0f} MB"
    )
    return summary


def eval_transcripts(directory: Path, settings: Settings, log: Log) -> dict[str, Any]:
    if not directory.is_dir():
        raise EvaluationError(f"{directory} is not a directory")
    if (directory / "manifest.jsonl").is_file():
        return eval_manifest(directory, settings, log)
    return eval_corpus(directory, settings, log)
