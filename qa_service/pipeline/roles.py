"""Speakers and roles. Stereo: one channel per party, the agent's channel given by the caller."""

from __future__ import annotations

from dataclasses import dataclass

from qa_service.config import PacingSettings
from qa_service.pipeline.speech import group_turns, overlap
from qa_service.text import normalize
from qa_service.text.lexicon import Lexicon
from qa_service.transcript import ChannelTranscript, Role, Segment, Span, Transcript, Utterance, Word

# Words this close to a turn belong to it even where tight speech detection missed their onset.
_ATTACH_S = 0.6


def channel_roles(agent_channel: int) -> dict[Role, int]:
    return {"agent": agent_channel, "customer": 1 - agent_channel}


def assign_roles(
    channels: list[ChannelTranscript],
    agent_channel: int,
    language: str,
    pacing: PacingSettings,
    lexicon: Lexicon | None = None,
) -> Transcript:
    """Turn each channel's words into utterances of its party, merged in time order."""
    roles = channel_roles(agent_channel)
    utterances: list[Utterance] = []
    speech: dict[Role, tuple[Span, ...]] = {}
    for role, index in roles.items():
        channel = next(c for c in channels if c.channel == index)
        role_utts = channel_utterances(channel, role, f"channel_{index}", language, pacing, lexicon)
        utterances += role_utts
        # Detected speech counts unless all the text heard in it is untrusted (tones, noise).
        untrusted = [Span(u.start, u.end) for u in role_utts if u.suspect is not None]
        trusted = [Span(u.start, u.end) for u in role_utts if u.suspect is None]
        speech[role] = tuple(
            s
            for s in channel.speech
            if any(overlap(s, t) > 0 for t in trusted) or not any(overlap(s, t) > 0 for t in untrusted)
        )
    utterances.sort(key=lambda u: (u.start, u.end))
    return Transcript(
        language=language,
        layout="stereo",
        utterances=tuple(utterances),
        speech=speech,
        channel_of=roles,
    )


@dataclass
class _Bucket:
    span: Span
    words: list[tuple[Word, Segment]]


def _nearest(buckets: list[_Bucket], word: Word) -> _Bucket | None:
    middle = (word.start + word.end) / 2
    best = min(
        buckets,
        key=lambda b: (
            0.0
            if b.span.start <= middle <= b.span.end
            else min(abs(middle - b.span.start), abs(middle - b.span.end))
        ),
        default=None,
    )
    if best is None:
        return None
    inside = best.span.start <= middle <= best.span.end
    near = min(abs(middle - best.span.start), abs(middle - best.span.end)) <= _ATTACH_S
    return best if inside or near else None


def channel_utterances(
    channel: ChannelTranscript,
    role: Role,
    speaker: str,
    language: str,
    pacing: PacingSettings,
    lexicon: Lexicon | None = None,
) -> list[Utterance]:
    """One utterance per turn of detected speech, holding the words heard in it."""
    buckets = [_Bucket(t, []) for t in group_turns(channel.speech, pacing.turn_max_pause_s)]
    orphans: list[_Bucket] = []
    for segment in channel.segments:
        for word in segment.words:
            bucket = _nearest(buckets, word)
            if bucket is None:
                # Text where no speech was detected: kept visible, never trusted.
                if not orphans or orphans[-1].words[-1][1] is not segment:
                    orphans.append(_Bucket(Span(word.start, word.end), []))
                bucket = orphans[-1]
            bucket.words.append((word, segment))
    out = []
    for bucket in buckets + orphans:
        if bucket.words:
            out.append(_utterance(bucket, role, speaker, language, lexicon, orphan=bucket in orphans))
    return out


def _clamp(word: Word, start: float, end: float) -> Word:
    lo = min(max(word.start, start), end)
    return Word(lo, min(max(word.end, lo), end), word.text, word.prob)


def normalized_text(text: str, language: str, lexicon: Lexicon | None) -> str:
    out = normalize(text, language)
    return lexicon.correct(out) if lexicon is not None and language == "zh" else out


def _utterance(
    bucket: _Bucket, role: Role, speaker: str, language: str, lexicon: Lexicon | None, orphan: bool
) -> Utterance:
    trusted = [(w, s) for w, s in bucket.words if s.suspect is None]
    used = trusted if trusted and not orphan else bucket.words
    words = tuple(w for w, _ in used)
    segments = list({id(s): s for _, s in used}.values())
    text = "".join(w.text for w in words).strip()
    suspect: str | None
    if orphan:
        start, end, suspect = words[0].start, words[-1].end, "no_speech_detected"
    else:
        # Whisper's word times are coarse; the detected speech gives the turn's edges.
        start, end = bucket.span.start, bucket.span.end
        suspect = None if trusted else segments[0].suspect
        words = tuple(_clamp(w, start, end) for w in words)
    return Utterance(
        role=role,
        speaker=speaker,
        start=start,
        end=max(end, start),
        text=text,
        text_normalized=normalized_text(text, language, lexicon),
        words=words,
        avg_logprob=sum(s.avg_logprob for s in segments) / len(segments),
        language=segments[0].language,
        suspect=suspect,
    )
