"""Transcription of one channel with a hallucination guard."""

from __future__ import annotations

import re
from dataclasses import replace

import numpy as np

from qa_service.audio import SAMPLE_RATE
from qa_service.backends.base import AsrBackend, AsrSegment
from qa_service.config import AsrSettings, Settings
from qa_service.pipeline.speech import detect_speech, group_turns
from qa_service.text import normalize
from qa_service.transcript import ChannelTranscript, Segment, Span, Word

# Whisper's training data leaves it with stock phrases it emits on silence, music and noise.
_STOCK_HALLUCINATIONS = re.compile(
    r"字幕由|字幕提供|字幕志愿者|amara\.org|请不吝点赞|点赞订阅|订阅转发|打赏支持|明镜与点点|"
    r"thanks? (you )?for watching|please subscribe|subtitles by",
    re.IGNORECASE,
)
# A word counts as heard when its middle lies this close to detected speech.
_WORD_SPEECH_TOLERANCE_S = 0.3
# Speech this long that the channel pass left without words is transcribed again on its own.
_RETRY_MIN_S = 0.5
_RETRY_PAD_S = 0.2
# Fewer letters or characters per second of a turn than this, a third of slow speech, and
# the turn was not heard whole.
_SPARSE_CHARS_PER_S = {"zh": 1.2, "en": 4.0}


def transcribe_channel(
    backend: AsrBackend,
    audio: np.ndarray,
    channel: int,
    speech: tuple[Span, ...],
    *,
    language: str,
    asr: AsrSettings,
    turn_max_pause: float,
) -> ChannelTranscript:
    prompt = asr.initial_prompt_zh if language == "zh" else asr.initial_prompt_en
    segments: list[Segment] = []
    if speech:
        segments += _decode(backend, audio, 0.0, speech, language, prompt, asr)
        # Whisper sometimes skips a stretch of the concatenated speech, or leaves a turn a word
        # or two (often misplaced from the turn before): hear those turns alone.
        sparse = _SPARSE_CHARS_PER_S.get(language, _SPARSE_CHARS_PER_S["en"])
        for turn in group_turns(speech, turn_max_pause):
            lo = max(0.0, turn.start - _RETRY_PAD_S)
            hi = turn.end + _RETRY_PAD_S
            heard = [w for seg in segments for w in seg.words if lo <= (w.start + w.end) / 2 <= hi]
            if turn.duration < _RETRY_MIN_S or _letters(heard, language) >= sparse * turn.duration:
                continue
            piece = audio[int(lo * SAMPLE_RATE) : int(hi * SAMPLE_RATE)]
            again = _decode(backend, piece, lo, speech, language, prompt, asr)
            if not heard:
                segments += again
            elif all(seg.suspect is None for seg in again) and _letters(
                [w for seg in again for w in seg.words], language
            ) > _letters(heard, language):
                segments = [kept for seg in segments if (kept := _without(seg, heard)) is not None] + again
    segments.sort(key=lambda seg: seg.start)
    return ChannelTranscript(channel=channel, speech=speech, segments=tuple(segments))


def _letters(words: list[Word], language: str) -> int:
    """Letters (Chinese characters) as spoken: a number written in digits counts its words."""
    return sum(ch.isalnum() for ch in normalize("".join(w.text for w in words), language))


def _without(segment: Segment, dropped: list[Word]) -> Segment | None:
    """The segment less the ``dropped`` words (those of a turn heard again), or None if none is left."""
    gone = {id(w) for w in dropped}
    words = tuple(w for w in segment.words if id(w) not in gone)
    if len(words) == len(segment.words):
        return segment
    if not words:
        return None
    text = "".join(w.text for w in words).strip()
    return replace(segment, start=words[0].start, end=words[-1].end, text=text, words=words)


def _decode(
    backend: AsrBackend,
    audio: np.ndarray,
    offset: float,
    speech: tuple[Span, ...],
    language: str,
    prompt: str,
    asr: AsrSettings,
) -> list[Segment]:
    result = backend.transcribe(audio, language=language, initial_prompt=prompt)
    out = []
    for raw in result.segments:
        if offset:
            raw = _shift(raw, offset)
        segment = _place(raw, speech, result.language, result.language_prob)
        if segment.text and segment.words:
            out.append(_judge(segment, asr))
    return out


def _shift(raw: AsrSegment, offset: float) -> AsrSegment:
    words = tuple(Word(w.start + offset, w.end + offset, w.text, w.prob) for w in raw.words)
    return AsrSegment(
        raw.start + offset,
        raw.end + offset,
        raw.text,
        words,
        raw.avg_logprob,
        raw.compression_ratio,
        raw.no_speech_prob,
    )


def _on_speech(word: Word, speech: tuple[Span, ...]) -> bool:
    middle = (word.start + word.end) / 2
    return any(
        s.start - _WORD_SPEECH_TOLERANCE_S <= middle <= s.end + _WORD_SPEECH_TOLERANCE_S for s in speech
    )


def _place(raw: AsrSegment, speech: tuple[Span, ...], language: str, prob: float) -> Segment:
    words = raw.words
    length = sum(w.end - w.start for w in words)
    heard = sum(w.end - w.start for w in words if _on_speech(w, speech))
    share = heard / length if length > 0 else float(any(_on_speech(w, speech) for w in words))
    return Segment(
        start=words[0].start if words else raw.start,
        end=words[-1].end if words else raw.end,
        text=raw.text.strip(),
        words=words,
        avg_logprob=raw.avg_logprob,
        compression_ratio=raw.compression_ratio,
        no_speech_prob=raw.no_speech_prob,
        speech_overlap=share,
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
    # Whisper's no-speech probability is not judged here: it belongs to a whole 30 s window, is
    # high on the short last window of a call, and the decoder already skips a window it rates
    # speechless unless its text is confident; words off detected speech are caught above.
    if segment.avg_logprob < asr.min_avg_logprob:
        return "low_confidence"
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
        backend,
        audio,
        0,
        speech,
        language=language,
        asr=settings.asr,
        turn_max_pause=settings.pacing.turn_max_pause_s,
    )
