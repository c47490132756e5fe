"""Speech detection per channel (Silero VAD bundled with faster-whisper) and turn grouping."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from qa_service.audio import SAMPLE_RATE
from qa_service.config import VadSettings
from qa_service.transcript import Span


def detect_speech(audio: np.ndarray, settings: VadSettings) -> tuple[Span, ...]:
    """Speech stretches of one 16 kHz channel, in seconds."""
    from faster_whisper.vad import VadOptions, get_speech_timestamps

    options = VadOptions(
        threshold=settings.threshold,
        min_speech_duration_ms=settings.min_speech_ms,
        min_silence_duration_ms=settings.min_silence_ms,
        speech_pad_ms=settings.speech_pad_ms,
    )
    stamps = get_speech_timestamps(audio, options, sampling_rate=SAMPLE_RATE)
    return tuple(Span(s["start"] / SAMPLE_RATE, s["end"] / SAMPLE_RATE) for s in stamps)


def group_turns(spans: Iterable[Span], max_pause: float, max_length: float | None = None) -> list[Span]:
    """Merge speech separated by less than ``max_pause`` into turns, optionally capping length."""
    turns: list[Span] = []
    for span in sorted(spans, key=lambda s: s.start):
        if (
            turns
            and span.start - turns[-1].end < max_pause
            and (max_length is None or span.end - turns[-1].start <= max_length)
        ):
            turns[-1] = Span(turns[-1].start, max(turns[-1].end, span.end))
        else:
            turns.append(span)
    return turns


def overlap(a: Span, b: Span) -> float:
    return max(0.0, min(a.end, b.end) - max(a.start, b.start))
