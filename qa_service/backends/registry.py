"""Backends by name, so settings can choose them."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from qa_service.backends.base import AsrBackend
from qa_service.backends.faster_whisper import FasterWhisperAsr
from qa_service.config import AsrSettings

ASR_BACKENDS: dict[str, Callable[[AsrSettings, Path], AsrBackend]] = {
    "faster-whisper": FasterWhisperAsr,
}


def get_asr_backend(settings: AsrSettings, models_dir: Path) -> AsrBackend:
    return ASR_BACKENDS[settings.backend](settings, models_dir)
