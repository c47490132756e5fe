"""``qa-service eval diarization``: who-spoke-when accuracy with pyannote.metrics.

References: ``<id>.truth.json`` turns of mono calls (roles as speakers; the whole pipeline runs, so
role accuracy is measured too), and RTTM files (``*.rttm``, optional ``*.uem`` beside them) whose
``uri`` names an audio file in the folder (``<uri>.wav`` or ``*_<uri>.wav``); for those only the
diarizer runs. Scores per file: DER in full (no collar, overlap scored), DER with a 0.25 s collar
and overlap skipped, JER, and the diarizer's real-time factor.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import numpy as np

from qa_service.audio import decode_audio
from qa_service.backends import Diarization, get_diarizer
from qa_service.config import Settings
from qa_service.errors import EvaluationError
from qa_service.evaluation.transcripts import Log, peak_rss_mb, role_accuracy
from qa_service.pipeline import run_pipeline

_AUDIO = (".wav", ".flac", ".mp3", ".ogg", ".m4a", ".opus")


def _annotation(turns: list[tuple[float, float, str]], uri: str) -> Any:
    from pyannote.core import Annotation, Segment

    ann = Annotation(uri=uri)
    for i, (start, end, label) in enumerate(turns):
        if end > start:
            ann[Segment(start, end), i] = label
    return ann


def hypothesis(diarization: Diarization, uri: str) -> Any:
    return _annotation([(t.start, t.end, t.speaker) for t in diarization.turns], uri)


def read_rttm(path: Path) -> dict[str, list[tuple[float, float, str]]]:
    out: dict[str, list[tuple[float, float, str]]] = {}
    for line in path.read_text().splitlines():
        parts = line.split()
        if len(parts) >= 8 and parts[0] == "SPEAKER":
            start, duration = float(parts[3]), float(parts[4])
            out.setdefault(parts[1], []).append((start, start + duration, parts[7]))
    return out


def read_uem(path: Path) -> dict[str, list[tuple[float, float]]]:
    out: dict[str, list[tuple[float, float]]] = {}
    if path.is_file():
        for line in path.read_text().splitlines():
            parts = line.split()
            if len(parts) >= 4:
                out.setdefault(parts[0], []).append((float(parts[2]), float(parts[3])))
    return out


def _audio_for(directory: Path, uri: str) -> Path | None:
    for path in sorted(directory.iterdir()):
        if path.suffix.lower() in _AUDIO and (path.stem == uri or path.stem.endswith(f"_{uri}")):
            return path
    return None


class _Scores:
    def __init__(self) -> None:
        from pyannote.metrics.diarization import DiarizationErrorRate, JaccardErrorRate

        self.full = DiarizationErrorRate()
        self.fair = DiarizationErrorRate(collar=0.25, skip_overlap=True)
        self.jer = JaccardErrorRate()

    def add(self, reference: Any, hyp: Any, uem: Any | None) -> dict[str, float]:
        detail = self.full(reference, hyp, uem=uem, detailed=True)
        total = detail["total"] or 1.0
        return {
            "der_full": float(detail["diarization error rate"]),
            "missed": float(detail["missed detection"] / total),
            "false_alarm": float(detail["false alarm"] / total),
            "confusion": float(detail["confusion"] / total),
            "der_collar": float(self.fair(reference, hyp, uem=uem)),
            "jer": float(self.jer(reference, hyp, uem=uem)),
        }


def eval_diarization(directory: Path, settings: Settings, log: Log) -> dict[str, Any]:
    if not directory.is_dir():
        raise EvaluationError(f"{directory} is not a directory")
    from pyannote.core import Segment, Timeline

    scores = _Scores()
    rows: list[dict[str, Any]] = []
    for truth_path in sorted(directory.glob("*.truth.json")):
        truth = json.loads(truth_path.read_text(encoding="utf-8"))
        if truth.get("layout") != "mono":
            continue
        analysis = run_pipeline(directory / truth["audio"], settings, language=truth.get("language"))
        assert analysis.diarization is not None, "a mono call is diarized"
        reference = _annotation(
            [(t["start"], t["end"], t["speaker"]) for t in truth["turns"]], truth["call_id"]
        )
        row = {
            "file": truth["call_id"],
            "duration_s": analysis.duration_s,
            **scores.add(reference, hypothesis(analysis.diarization, truth["call_id"]), None),
            "diarize_s": analysis.timings.get("diarize", 0.0),
            "role_accuracy": role_accuracy(truth["turns"], analysis.transcript.utterances),
            "role_confidence": analysis.roles.confidence if analysis.roles else None,
            "speakers": len(analysis.diarization.speakers),
        }
        rows.append(row)
        log(_line(row))
    diarizer = None
    for rttm in sorted(directory.glob("*.rttm")):
        uems = read_uem(rttm.with_suffix(".uem"))
        for uri, turns in sorted(read_rttm(rttm).items()):
            audio_path = _audio_for(directory, uri)
            if audio_path is None:
                log(f"{uri:<16} skipped: no audio file for this RTTM uri")
                continue
            recording = decode_audio(audio_path)
            if diarizer is None:
                diarizer = get_diarizer(settings.diarization)
            start = time.perf_counter()
            result = diarizer.diarize(recording.samples.mean(axis=0))
            elapsed = time.perf_counter() - start
            uem = Timeline([Segment(a, b) for a, b in uems[uri]]) if uri in uems else None
            row = {
                "file": audio_path.stem,
                "duration_s": recording.duration_s,
                **scores.add(_annotation(turns, uri), hypothesis(result, uri), uem),
                "diarize_s": elapsed,
                "role_accuracy": None,
                "role_confidence": None,
                "speakers": len(result.speakers),
                "reference_speakers": len({t[2] for t in turns}),
            }
            rows.append(row)
            log(_line(row))
    if not rows:
        raise EvaluationError(f"{directory}: no mono <id>.truth.json and no RTTM references with audio")
    return _summary(directory.name, rows, scores, log)


def _pct(value: float | None) -> str:
    return "  n/a" if value is None else f"{100 * value:5.1f}%"


def _line(row: dict[str, Any]) -> str:
    role = (
        ""
        if row["role_accuracy"] is None
        else f"  roles {_pct(row['role_accuracy'])} (conf {row['role_confidence']:.2f})"
    )
    ref = f"/{row['reference_speakers']}" if "reference_speakers" in row else ""
    return (
        f"{row['file']:<16} DER {_pct(row['der_full'])} (miss {_pct(row['missed'])} fa {_pct(row['false_alarm'])}"
        f" conf {_pct(row['confusion'])})  DER collar 0.25 no-overlap {_pct(row['der_collar'])}"
        f"  JER {_pct(row['jer'])}  speakers {row['speakers']}{ref}{role}"
        f"  RTF {row['diarize_s'] / row['duration_s']:.3f}"
    )


def _summary(name: str, rows: list[dict[str, Any]], scores: _Scores, log: Log) -> dict[str, Any]:
    def mean(key: str) -> float | None:
        values = [r[key] for r in rows if r.get(key) is not None]
        return float(np.mean(values)) if values else None

    roles = [r["role_accuracy"] for r in rows if r["role_accuracy"] is not None]
    audio = sum(r["duration_s"] for r in rows)
    rtf = sum(r["diarize_s"] for r in rows) / audio if audio else None
    summary: dict[str, Any] = {
        "set": name,
        "files": rows,
        "der_full_mean": mean("der_full"),
        "der_full_pooled": float(abs(scores.full)),
        "der_collar_mean": mean("der_collar"),
        "der_collar_pooled": float(abs(scores.fair)),
        "jer_mean": mean("jer"),
        "role_accuracy_mean": float(np.mean(roles)) if roles else None,
        "roles_right": sum(1 for r in roles if r >= 0.5),
        "roles_total": len(roles),
        "rtf": rtf,
        "peak_rss_mb": peak_rss_mb(),
    }
    role_text = (
        f"  role accuracy {_pct(summary['role_accuracy_mean'])} ({summary['roles_right']}/{len(roles)} calls)"
        if roles
        else ""
    )
    log(
        f"SUMMARY diarization {name}: {len(rows)} files  DER full mean {_pct(summary['der_full_mean'])}"
        f" (pooled {_pct(summary['der_full_pooled'])})  DER collar 0.25 no-overlap mean"
        f" {_pct(summary['der_collar_mean'])}  JER mean {_pct(summary['jer_mean'])}{role_text}"
        f"  diarization RTF {rtf or 0:.3f}  peak RSS {summary['peak_rss_mb']:.0f} MB"
    )
    return summary
