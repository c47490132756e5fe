"""Pacing metrics: speech rate, talk ratio, dead air, interruptions, response latency, loudness."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

import numpy as np

from qa_service.audio import SAMPLE_RATE, Recording
from qa_service.config import PacingSettings
from qa_service.pipeline.speech import group_turns, overlap
from qa_service.text import count_spoken_units
from qa_service.transcript import Role, Span, Transcript

ROLES: tuple[Role, Role] = ("agent", "customer")
_LOUDNESS_FRAME_S = 0.05
_SILENCE_DBFS = -120.0


@dataclass(frozen=True)
class Interruption:
    by: Role
    start: float
    overlap_s: float


@dataclass(frozen=True)
class Latency:
    mean_s: float | None
    max_s: float | None
    count: int


@dataclass(frozen=True)
class Loudness:
    mean_dbfs: float | None
    p95_dbfs: float | None
    max_dbfs: float | None


@dataclass(frozen=True)
class Reliability:
    """How a metric was measured and how far to trust it (1.0: measured per party's own channel)."""

    method: str
    confidence: float


@dataclass(frozen=True)
class PacingMetrics:
    speech_rate: dict[Role, float | None]
    speech_rate_unit: str
    speaking_s: dict[Role, float]
    talk_ratio: dict[Role, float]
    dead_air: tuple[Span, ...]
    interruptions: tuple[Interruption, ...]
    response_latency: Latency
    loudness: dict[Role, Loudness]
    reliability: dict[str, Reliability] = field(default_factory=dict)


# Mono: overtalk comes from the diarizer's overlapped-speech detection on one mixed channel, which
# misses some overtalk and invents a little; loudness of each party is read where only that party
# speaks, on a channel whose gain is shared, so it says less about the party's own line level.
MONO_OVERLAP_FACTOR = 0.6
MONO_LOUDNESS_FACTOR = 0.7


def reliability(layout: str, role_confidence: float) -> dict[str, Reliability]:
    """Method and confidence per metric; on mono every role-based metric rests on the role map."""
    if layout == "stereo":
        same = Reliability("per_channel", 1.0)
        return {
            "speech_rate": same,
            "talk_ratio": same,
            "dead_air": same,
            "interruptions": Reliability("per_channel_vad_overlap", 1.0),
            "response_latency": same,
            "loudness": Reliability("per_channel_speech_frames", 1.0),
        }
    roles = round(role_confidence, 3)
    return {
        "speech_rate": Reliability("diarization", roles),
        "talk_ratio": Reliability("diarization", roles),
        "dead_air": Reliability("mixed_channel_diarization", 1.0),
        "interruptions": Reliability("diarization_overlap", round(MONO_OVERLAP_FACTOR * roles, 3)),
        "response_latency": Reliability("diarization", roles),
        "loudness": Reliability("mixed_channel_solo_speech", round(MONO_LOUDNESS_FACTOR * roles, 3)),
    }


def measure_pacing(
    transcript: Transcript,
    recording: Recording,
    settings: PacingSettings,
    role_confidence: float = 1.0,
) -> PacingMetrics:
    turns = {r: group_turns(transcript.speech.get(r, ()), settings.turn_max_pause_s) for r in ROLES}
    rates = {r: speech_rate(transcript, r, turns[r]) for r in ROLES}
    speaking = {r: sum(s.duration for s in transcript.speech.get(r, ())) for r in ROLES}
    total = sum(speaking.values())
    return PacingMetrics(
        speech_rate=rates,
        speech_rate_unit="words_per_minute" if transcript.language == "en" else "chars_per_minute",
        speaking_s=speaking,
        talk_ratio={r: (speaking[r] / total if total else 0.0) for r in ROLES},
        dead_air=tuple(find_dead_air(transcript.speech, settings.dead_air_min_s)),
        interruptions=tuple(
            find_interruptions(turns, transcript.speech, settings.interruption_min_overlap_s)
        ),
        response_latency=response_latency(turns["customer"], turns["agent"]),
        loudness={
            r: measure_loudness(
                recording,
                transcript.channel_of[r],
                transcript.solo_speech.get(r, transcript.speech.get(r, ())),
            )
            for r in ROLES
            if r in transcript.channel_of
        },
        reliability=reliability(transcript.layout, role_confidence),
    )


def speech_rate(transcript: Transcript, role: Role, turns: list[Span]) -> float | None:
    """Spoken units per minute of the role's own turns (pauses inside a turn included)."""
    minutes = sum(t.duration for t in turns) / 60.0
    if minutes <= 0:
        return None
    units = sum(
        count_spoken_units(u.text, transcript.language)
        for u in transcript.utterances
        if u.role == role and u.suspect is None
    )
    return units / minutes


def find_dead_air(speech: dict[Role, tuple[Span, ...]], min_gap: float) -> list[Span]:
    """Stretches of at least ``min_gap`` seconds in which nobody speaks, after the first speech."""
    merged = group_turns([s for spans in speech.values() for s in spans], max_pause=0.0)
    return [Span(a.end, b.start) for a, b in itertools.pairwise(merged) if b.start - a.end >= min_gap]


def find_interruptions(
    turns: dict[Role, list[Span]], speech: dict[Role, tuple[Span, ...]], min_overlap: float
) -> list[Interruption]:
    """A turn that starts while the other party's turn runs, overlapping it by ``min_overlap``."""
    found: list[Interruption] = []
    pairs: tuple[tuple[Role, Role], ...] = (("agent", "customer"), ("customer", "agent"))
    for by, other in pairs:
        for turn in turns[by]:
            running = [t for t in turns[other] if t.start < turn.start < t.end]
            if not running:
                continue
            # Talk at once is measured on speech itself, not on turns padded by short pauses.
            both = sum(
                (
                    overlap(mine, theirs)
                    for mine in speech[by]
                    if overlap(mine, turn) > 0
                    for theirs in speech[other]
                    if overlap(theirs, running[0]) > 0
                ),
                0.0,
            )
            if both >= min_overlap:
                found.append(Interruption(by=by, start=turn.start, overlap_s=both))
    return sorted(found, key=lambda i: i.start)


def response_latency(customer: list[Span], agent: list[Span]) -> Latency:
    """From the end of each customer turn to the start of the agent turn that answers it."""
    gaps: list[float] = []
    for turn in customer:
        answer = next((a for a in agent if a.start >= turn.start), None)
        if answer is None or answer.start < turn.end:
            continue
        if any(turn.end < c.start < answer.start for c in customer):
            continue  # the customer went on talking; the answer belongs to a later turn
        gaps.append(answer.start - turn.end)
    if not gaps:
        return Latency(None, None, 0)
    return Latency(float(np.mean(gaps)), max(gaps), len(gaps))


def measure_loudness(recording: Recording, channel: int, speech: tuple[Span, ...]) -> Loudness:
    """RMS level in dBFS of 50 ms frames inside the role's speech."""
    audio = recording.samples[channel]
    frame = int(_LOUDNESS_FRAME_S * SAMPLE_RATE)
    levels: list[float] = []
    for span in speech:
        seg = audio[int(span.start * SAMPLE_RATE) : int(span.end * SAMPLE_RATE)]
        usable = len(seg) // frame * frame
        if not usable:
            continue
        frames = seg[:usable].reshape(-1, frame)
        levels.extend(np.mean(frames.astype(np.float64) ** 2, axis=1).tolist())
    if not levels:
        return Loudness(None, None, None)
    power = np.asarray(levels)
    return Loudness(
        mean_dbfs=_dbfs(float(power.mean())),
        p95_dbfs=_dbfs(float(np.percentile(power, 95))),
        max_dbfs=_dbfs(float(power.max())),
    )


def _dbfs(power: float) -> float:
    # Full-scale sine has RMS 1/sqrt(2); dBFS here is relative to a full-scale square (RMS 1).
    return max(_SILENCE_DBFS, 10.0 * float(np.log10(power)) if power > 0 else _SILENCE_DBFS)
