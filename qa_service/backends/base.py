"""What the pipeline needs from an ASR backend."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np

from qa_service.transcript import Word


@dataclass(frozen=True)
class AsrSegment:
    """A decoded segment; times are relative to the audio passed in."""

    start: float
    end: float
    text: str
    words: tuple[Word, ...]
    avg_logprob: float
    compression_ratio: float
    no_speech_prob: float


@dataclass(frozen=True)
class AsrChunkResult:
    language: str
    language_prob: float
    segments: tuple[AsrSegment, ...]


class AsrBackend(Protocol):
    name: str

    def detect_language(self, audio: np.ndarray) -> tuple[str, float]:
        """Most likely language of 16 kHz mono ``audio`` and its probability."""
        ...

    def transcribe(self, audio: np.ndarray, *, language: str, initial_prompt: str | None) -> AsrChunkResult:
        """Transcribe the speech in 16 kHz mono ``audio`` with word timestamps (seconds into it)."""
        ...


@dataclass(frozen=True)
class SpeakerTurn:
    """A stretch of one speaker's talk; ``speaker`` is the diarizer's label (SPEAKER_00, ...)."""

    start: float
    end: float
    speaker: str


@dataclass(frozen=True)
class Diarization:
    """Who spoke when. ``turns`` may overlap (overtalk); ``exclusive`` has one speaker at a time."""

    turns: tuple[SpeakerTurn, ...]
    exclusive: tuple[SpeakerTurn, ...]
    speakers: tuple[str, ...]


class DiarizationBackend(Protocol):
    name: str

    def diarize(
        self,
        audio: np.ndarray,
        *,
        num_speakers: int | None = None,
        min_speakers: int | None = None,
        max_speakers: int | None = None,
    ) -> Diarization:
        """Speaker turns of 16 kHz mono ``audio`` (seconds into it); counts default to the settings."""
        ...
