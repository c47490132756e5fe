"""Frozen records passed between pipeline stages."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Role = Literal["agent", "customer"]


@dataclass(frozen=True)
class Span:
    start: float
    end: float

    @property
    def duration(self) -> float:
        return self.end - self.start


@dataclass(frozen=True)
class Word:
    start: float
    end: float
    text: str
    prob: float


@dataclass(frozen=True)
class Segment:
    """One decoded ASR segment of a channel, with the evidence used to trust it."""

    start: float
    end: float
    text: str
    words: tuple[Word, ...]
    avg_logprob: float
    compression_ratio: float
    no_speech_prob: float
    speech_overlap: float
    language: str
    language_prob: float
    suspect: str | None = None  # why the segment is a hallucination suspect, else None


@dataclass(frozen=True)
class ChannelTranscript:
    channel: int
    speech: tuple[Span, ...]
    segments: tuple[Segment, ...]


@dataclass(frozen=True)
class Utterance:
    role: Role
    speaker: str
    start: float
    end: float
    text: str
    text_normalized: str
    words: tuple[Word, ...]
    avg_logprob: float
    language: str
    suspect: str | None = None
    role_confidence: float | None = None  # how sure the role is, in [0, 1] (stereo channel map: 1.0)
    # Language identified on this utterance's own audio (None: not identified).
    language_id: tuple[str, float] | None = None


@dataclass(frozen=True)
class Transcript:
    """Every party's utterances in time order plus the speech activity behind them."""

    language: str
    layout: Literal["stereo", "mono"]
    utterances: tuple[Utterance, ...]
    speech: dict[Role, tuple[Span, ...]] = field(default_factory=dict)
    channel_of: dict[Role, int] = field(default_factory=dict)
    # Mono: each role's speech where nobody else talks (for loudness on the mixed channel).
    solo_speech: dict[Role, tuple[Span, ...]] = field(default_factory=dict)
