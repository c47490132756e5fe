"""Backends by name, so settings can choose them."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from qa_service.backends.base import AsrBackend, DiarizationBackend
from qa_service.backends.faster_whisper import FasterWhisperAsr
from qa_service.config import AsrSettings, DiarizationSettings

ASR_BACKENDS: dict[str, Callable[[AsrSettings, Path], AsrBackend]] = {
    "faster-whisper": FasterWhisperAsr,
}


def get_asr_backend(settings: AsrSettings, models_dir: Path) -> AsrBackend:
    return ASR_BACKENDS[settings.backend](settings, models_dir)


def get_diarizer(settings: DiarizationSettings) -> DiarizationBackend:
    """The configured diarizer, loaded once per process and configuration (torch imported lazily)."""
    if settings.backend == "pyannote":
        from qa_service.backends.pyannote import get_diarizer as pyannote_diarizer

        return pyannote_diarizer(settings)
    raise ValueError(f"unknown diarization backend {settings.backend!r}")
