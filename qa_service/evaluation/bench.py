"""``qa-service bench``: model load time, real-time factor per stage, peak memory."""

from __future__ import annotations

import statistics
import time
from pathlib import Path
from typing import Any

from qa_service.backends import get_asr_backend
from qa_service.config import Settings
from qa_service.evaluation.transcripts import Log, peak_rss_mb
from qa_service.pipeline import run_pipeline
from qa_service.report import analysis_to_dict
from qa_service.scoring.engine import default_rubric_path, has_default_rubric, score_analysis
from qa_service.scoring.schema import LoadedRubric, load_rubric

AUDIO_SUFFIXES = {".wav", ".flac", ".mp3", ".ogg", ".opus", ".m4a", ".aac", ".wma", ".amr"}


def audio_files(paths: list[Path]) -> list[Path]:
    out: list[Path] = []
    for path in paths:
        if path.is_dir():
            out += sorted(p for p in path.iterdir() if p.suffix.lower() in AUDIO_SUFFIXES)
        else:
            out.append(path)
    return out


def time_scoring(data: dict[str, Any], settings: Settings, rubric: LoadedRubric, repeat: int = 20) -> float:
    """Median milliseconds to score one stored analysis (after a first run that warms caches)."""
    score_analysis(data, settings, rubric)
    runs = []
    for _ in range(repeat):
        start = time.perf_counter()
        score_analysis(data, settings, rubric)
        runs.append(1000 * (time.perf_counter() - start))
    return statistics.median(runs)


def bench(paths: list[Path], settings: Settings, log: Log, repeat: int = 1) -> dict[str, Any]:
    start = time.perf_counter()
    backend = get_asr_backend(settings.asr, settings.models_dir)
    load_s = time.perf_counter() - start
    log(
        f"model load {load_s:.2f} s ({settings.asr.model}, {settings.asr.device}, {settings.asr.compute_type})"
    )
    stages: dict[str, float] = {}
    audio_s = 0.0
    scoring_ms: list[float] = []
    for path in audio_files(paths):
        for _ in range(repeat):
            analysis = run_pipeline(path, settings, asr=backend)
            audio_s += analysis.duration_s
            for stage, seconds in analysis.timings.items():
                stages[stage] = stages.get(stage, 0.0) + seconds
            total = sum(analysis.timings.values())
            data = analysis_to_dict(analysis)
            if has_default_rubric(data["language"], settings.rubric_dir):
                rubric = load_rubric(default_rubric_path(data["language"], settings.rubric_dir))
                scoring_ms.append(time_scoring(data, settings, rubric))
            log(
                f"{path.name:<28} {analysis.duration_s:6.1f} s  RTF {total / analysis.duration_s:.3f}  "
                + "  ".join(f"{k} {v / analysis.duration_s:.3f}" for k, v in analysis.timings.items())
            )
    if not audio_s:
        raise SystemExit("bench: no audio files given")
    rtf = {k: v / audio_s for k, v in stages.items()}
    total_rtf = sum(stages.values()) / audio_s
    log(
        f"SUMMARY bench: model load {load_s:.2f} s  RTF {total_rtf:.3f} ("
        + ", ".join(f"{k} {v:.3f}" for k, v in rtf.items())
        + f")  scoring a stored analysis {_mean_ms(scoring_ms)} ms (longest {_max_ms(scoring_ms)})  peak RSS {peak_rss_mb():.0f} MB"
    )
    return {
        "model_load_s": load_s,
        "rtf": total_rtf,
        "stage_rtf": rtf,
        "scoring_ms": sum(scoring_ms) / len(scoring_ms) if scoring_ms else None,
        "peak_rss_mb": peak_rss_mb(),
    }


def _mean_ms(values: list[float]) -> str:
    return f"{sum(values) / len(values):.1f}" if values else "n/a"


def _max_ms(values: list[float]) -> str:
    return f"{max(values):.1f}" if values else "n/a"
