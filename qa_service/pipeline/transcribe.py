"""Transcription of one channel, chunked on detected speech, with a hallucination guard."""

from __future__ import annotations

import re

import numpy as np

from qa_service.audio import SAMPLE_RATE
from qa_service.backends.base import AsrBackend, AsrSegment
from qa_service.config import AsrSettings, PacingSettings, Settings
from qa_service.pipeline.speech import covered, detect_speech, group_turns
from qa_service.transcript import ChannelTranscript, Segment, Span, Word

# Whisper's training data leaves it with stock phrases it emits on silence, music and noise.
_STOCK_HALLUCINATIONS = re.compile(
    r"字幕由|字幕提供|字幕志愿者|amara\.org|请不吝点赞|点赞订阅|订阅转发|打赏支持|明镜与点点|"
    r"thanks? (you )?for watching|please subscribe|subtitles by",
    re.IGNORECASE,
)
_CHUNK_MAX_S = 28.0
_CHUNK_PAD_S = 0.2


def transcribe_channel(
    backend: AsrBackend,
    audio: np.ndarray,
    channel: int,
    speech: tuple[Span, ...],
    *,
    language: str,
    asr: AsrSettings,
    pacing: PacingSettings,
) -> ChannelTranscript:
    """Transcribe each stretch of speech separately so silence never reaches the decoder."""
    duration = audio.shape[0] / SAMPLE_RATE
    prompt = asr.initial_prompt_zh if language == "zh" else asr.initial_prompt_en
    segments: list[Segment] = []
    for chunk in group_turns(speech, pacing.turn_max_pause_s, _CHUNK_MAX_S):
        lo = max(0.0, chunk.start - _CHUNK_PAD_S)
        hi = min(duration, chunk.end + _CHUNK_PAD_S)
        result = backend.transcribe(
            audio[int(lo * SAMPLE_RATE) : int(hi * SAMPLE_RATE)],
            language=language,
            initial_prompt=prompt,
        )
        for raw in result.segments:
            segment = _place(raw, lo, hi, speech, result.language, result.language_prob)
            if segment.text.strip():
                segments.append(_judge(segment, asr))
    return ChannelTranscript(channel=channel, speech=speech, segments=tuple(segments))


def _place(
    raw: AsrSegment, offset: float, limit: float, speech: tuple[Span, ...], language: str, prob: float
) -> Segment:
    def at(t: float) -> float:
        return min(limit, max(offset, offset + t))

    words = tuple(Word(at(w.start), at(w.end), w.text, w.prob) for w in raw.words)
    start, end = at(raw.start), at(raw.end)
    if words:
        start, end = words[0].start, words[-1].end
    length = end - start
    share = covered(Span(start, end), speech) / length if length > 0 else 0.0
    return Segment(
        start=start,
        end=end,
        text=raw.text.strip(),
        words=words,
        avg_logprob=raw.avg_logprob,
        compression_ratio=raw.compression_ratio,
        no_speech_prob=raw.no_speech_prob,
        speech_overlap=min(1.0, share),
        language=language,
        language_prob=prob,
    )


def suspect_reason(segment: Segment, asr: AsrSettings) -> str | None:
    """Why a segment's text must not be trusted, or None when it may be used."""
    text = segment.text
    if _STOCK_HALLUCINATIONS.search(text) or _STOCK_HALLUCINATIONS.search(text.replace(" ", "")):
        return "stock_hallucination"
    if segment.speech_overlap < asr.min_speech_overlap:
        return "no_speech_detected"
    if segment.compression_ratio > asr.max_compression_ratio:
        return "repetitive"
    if segment.avg_logprob < asr.min_avg_logprob:
        return "low_confidence"
    if segment.no_speech_prob > asr.max_no_speech_prob and segment.avg_logprob < -0.5:
        return "probably_no_speech"
    return None


def _judge(segment: Segment, asr: AsrSettings) -> Segment:
    reason = suspect_reason(segment, asr)
    if reason is None:
        return segment
    return Segment(**{**segment.__dict__, "suspect": reason})


def transcribe_audio(
    backend: AsrBackend, audio: np.ndarray, *, language: str, settings: Settings
) -> ChannelTranscript:
    """Speech detection and transcription of one mono signal (one speaker or a mix)."""
    speech = detect_speech(audio, settings.vad)
    return transcribe_channel(
        backend, audio, 0, speech, language=language, asr=settings.asr, pacing=settings.pacing
    )
