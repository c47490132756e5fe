"""Mono recordings: words to the diarizer's speakers, utterances per speaker, roles from evidence."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

import numpy as np

from qa_service.backends.base import Diarization, DiarizationBackend, SpeakerTurn
from qa_service.config import PacingSettings
from qa_service.pipeline.roles import channel_utterances
from qa_service.pipeline.speaker_roles import RoleAssignment, RoleEvidence, assign_speaker_roles
from qa_service.pipeline.speech import overlap
from qa_service.text.lexicon import Lexicon
from qa_service.transcript import ChannelTranscript, Role, Segment, Span, Transcript, Utterance, Word

ROLES: tuple[Role, Role] = ("agent", "customer")


def diarize(audio: np.ndarray, backend: DiarizationBackend) -> Diarization:
    """Who spoke when in one mixed channel (counts from the backend's settings)."""
    return backend.diarize(audio)


def word_speaker(word: Word, exclusive: tuple[SpeakerTurn, ...]) -> str | None:
    """The speaker whose exclusive turns overlap the word most, else the nearest turn's speaker."""
    if not exclusive:
        return None
    span = Span(word.start, max(word.end, word.start))
    shares: dict[str, float] = {}
    for t in exclusive:
        shared = overlap(span, Span(t.start, t.end))
        if shared > 0:
            shares[t.speaker] = shares.get(t.speaker, 0.0) + shared
    if shares:
        return max(shares, key=lambda s: shares[s])
    middle = (word.start + word.end) / 2
    nearest = min(exclusive, key=lambda t: min(abs(middle - t.start), abs(middle - t.end)))
    return nearest.speaker


def _split_segments(
    channel: ChannelTranscript, exclusive: tuple[SpeakerTurn, ...]
) -> dict[str, list[Segment]]:
    """Each ASR segment cut into per-speaker segments holding that speaker's words."""
    out: dict[str, list[Segment]] = {}
    for segment in channel.segments:
        groups: dict[str, list[Word]] = {}
        for word in segment.words:
            speaker = word_speaker(word, exclusive) or "SPEAKER_00"
            groups.setdefault(speaker, []).append(word)
        for speaker, words in groups.items():
            text = "".join(w.text for w in words).strip()
            out.setdefault(speaker, []).append(
                replace(segment, start=words[0].start, end=words[-1].end, text=text, words=tuple(words))
            )
    return out


def _spans(turns: tuple[SpeakerTurn, ...], speaker: str) -> tuple[Span, ...]:
    return tuple(Span(t.start, t.end) for t in turns if t.speaker == speaker)


def _subtract(span: Span, others: list[Span]) -> list[Span]:
    pieces = [span]
    for o in others:
        nxt: list[Span] = []
        for p in pieces:
            if overlap(p, o) <= 0:
                nxt.append(p)
                continue
            if o.start > p.start:
                nxt.append(Span(p.start, o.start))
            if o.end < p.end:
                nxt.append(Span(o.end, p.end))
        pieces = nxt
    return pieces


def mono_transcript(
    channel: ChannelTranscript,
    diarization: Diarization,
    language: str,
    pacing: PacingSettings,
    evidence: RoleEvidence,
    lexicon: Lexicon | None = None,
    forced: Mapping[str, Role] | None = None,
) -> tuple[Transcript, RoleAssignment]:
    """Utterances per diarized speaker (words by largest overlap with the exclusive diarization),
    roles by evidence (or forced by the uploader), and each role's speech including overtalk."""
    by_speaker = _split_segments(channel, diarization.exclusive)
    speakers = list(dict.fromkeys([*diarization.speakers, *by_speaker]))
    drafts: list[Utterance] = []
    for speaker in speakers:
        turns = _spans(diarization.turns, speaker)
        part = ChannelTranscript(channel=0, speech=turns, segments=tuple(by_speaker.get(speaker, ())))
        drafts += channel_utterances(part, "customer", speaker, language, pacing, lexicon)
    assignment = assign_speaker_roles(drafts, speakers, evidence, forced)
    utterances = sorted(
        (
            replace(
                u, role=assignment.roles.get(u.speaker, "customer"), role_confidence=assignment.confidence
            )
            for u in drafts
        ),
        key=lambda u: (u.start, u.end),
    )
    speech: dict[Role, tuple[Span, ...]] = {}
    solo: dict[Role, tuple[Span, ...]] = {}
    for role in ROLES:
        mine = [s for s in speakers if assignment.roles.get(s) == role]
        role_utts = [u for u in utterances if u.role == role]
        trusted = [Span(u.start, u.end) for u in role_utts if u.suspect is None]
        untrusted = [Span(u.start, u.end) for u in role_utts if u.suspect is not None]
        spans = sorted((s for sp in mine for s in _spans(diarization.turns, sp)), key=lambda s: s.start)
        # As on stereo: speech counts unless all the text heard in it is untrusted.
        speech[role] = tuple(
            s
            for s in spans
            if any(overlap(s, t) > 0 for t in trusted) or not any(overlap(s, t) > 0 for t in untrusted)
        )
        others = [Span(t.start, t.end) for t in diarization.turns if t.speaker not in mine]
        solo[role] = tuple(
            piece for sp in mine for s in _spans(diarization.exclusive, sp) for piece in _subtract(s, others)
        )
    transcript = Transcript(
        language=language,
        layout="mono",
        utterances=tuple(utterances),
        speech=speech,
        channel_of={"agent": 0, "customer": 0},
        solo_speech=solo,
    )
    return transcript, assignment
