"""Whisper sometimes skips a stretch of concatenated speech; such turns are heard again alone."""

from __future__ import annotations

import itertools

import numpy as np

from qa_service.audio import decode_audio
from qa_service.backends import AsrBackend, AsrChunkResult, AsrSegment, get_asr_backend
from qa_service.pipeline.speech import detect_speech
from qa_service.pipeline.transcribe import transcribe_channel
from qa_service.text import normalize
from qa_service.transcript import ChannelTranscript
from tests.conftest import SAMPLES


class SkippingAsr:
    """The real model, with the first (whole-channel) pass losing everything after ``after`` s."""

    name = "skipping"

    def __init__(self, real: AsrBackend, after: float) -> None:
        self.real, self.after, self.calls = real, after, 0

    def detect_language(self, audio: np.ndarray) -> tuple[str, float]:
        return self.real.detect_language(audio)

    def transcribe(self, audio: np.ndarray, *, language: str, initial_prompt: str | None) -> AsrChunkResult:
        self.calls += 1
        result = self.real.transcribe(audio, language=language, initial_prompt=initial_prompt)
        if self.calls > 1:
            return result
        kept = tuple(s for s in result.segments if s.start < self.after)
        return AsrChunkResult(result.language, result.language_prob, kept)


def _agent_channel(settings, asr: SkippingAsr) -> ChannelTranscript:
    """zh-dev-01's agent channel transcribed with ``asr``."""
    audio = np.ascontiguousarray(decode_audio(SAMPLES / "zh-dev-01.wav").samples[0])
    return transcribe_channel(
        asr,
        audio,
        0,
        detect_speech(audio, settings.vad),
        language="zh",
        asr=settings.asr,
        turn_max_pause=settings.pacing.turn_max_pause_s,
    )


def test_turns_left_without_words_are_transcribed_again(settings):
    asr = SkippingAsr(get_asr_backend(settings.asr, settings.models_dir), after=50.0)
    channel = _agent_channel(settings, asr)
    assert asr.calls >= 3  # the channel pass, then each agent turn after 50 s on its own
    late = normalize("".join(s.text for s in channel.segments if s.start > 50.0), "zh")
    assert "其他问题" in late
    assert "再见" in late
    assert [s.start for s in channel.segments] == sorted(s.start for s in channel.segments)


class ClippingAsr(SkippingAsr):
    """The real model, with the first pass keeping only the first word of each segment after ``after`` s."""

    def transcribe(self, audio: np.ndarray, *, language: str, initial_prompt: str | None) -> AsrChunkResult:
        self.calls += 1
        result = self.real.transcribe(audio, language=language, initial_prompt=initial_prompt)
        if self.calls > 1:
            return result
        clipped = tuple(
            s
            if s.start < self.after
            else AsrSegment(s.start, s.words[0].end, s.words[0].text, s.words[:1], s.avg_logprob, 1.0, 0.0)
            for s in result.segments
            if s.words
        )
        return AsrChunkResult(result.language, result.language_prob, clipped)


def test_turns_left_with_a_word_or_two_are_transcribed_again_and_replaced(settings):
    asr = ClippingAsr(get_asr_backend(settings.asr, settings.models_dir), after=50.0)
    channel = _agent_channel(settings, asr)
    assert asr.calls >= 3
    late = [s for s in channel.segments if s.start > 50.0]
    text = normalize("".join(s.text for s in late), "zh")
    assert "其他问题" in text and "再见" in text
    words = sorted((w for s in late for w in s.words), key=lambda w: w.start)
    # The clipped words made way for the turn heard again: no word is there twice.
    assert all(b.start >= a.end - 0.1 for a, b in itertools.pairwise(words))
