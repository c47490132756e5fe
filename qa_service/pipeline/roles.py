"""Speakers and roles. Stereo: one channel per party, the agent's channel given by the caller."""

from __future__ import annotations

from qa_service.config import PacingSettings
from qa_service.pipeline.speech import group_turns, overlap
from qa_service.text import normalize
from qa_service.transcript import ChannelTranscript, Role, Segment, Span, Transcript, Utterance


def channel_roles(agent_channel: int) -> dict[Role, int]:
    return {"agent": agent_channel, "customer": 1 - agent_channel}


def assign_roles(
    channels: list[ChannelTranscript],
    agent_channel: int,
    language: str,
    pacing: PacingSettings,
) -> Transcript:
    """Turn each channel's segments into utterances of its party, merged in time order."""
    roles = channel_roles(agent_channel)
    utterances: list[Utterance] = []
    speech: dict[Role, tuple[Span, ...]] = {}
    for role, index in roles.items():
        channel = next(c for c in channels if c.channel == index)
        role_utts = _utterances(channel, role, language, pacing)
        utterances += role_utts
        speech[role] = tuple(
            s
            for s in channel.speech
            if any(overlap(s, Span(u.start, u.end)) > 0 for u in role_utts if not u.suspect)
        )
    utterances.sort(key=lambda u: (u.start, u.end))
    return Transcript(
        language=language,
        layout="stereo",
        utterances=tuple(utterances),
        speech=speech,
        channel_of=roles,
    )


def _utterances(
    channel: ChannelTranscript, role: Role, language: str, pacing: PacingSettings
) -> list[Utterance]:
    turns = group_turns(channel.speech, pacing.turn_max_pause_s)
    by_turn: dict[int, list[Segment]] = {}
    for seg in channel.segments:
        seg_span = Span(seg.start, seg.end)
        best = max(range(len(turns)), key=lambda i: overlap(turns[i], seg_span), default=None)
        if best is not None and overlap(turns[best], seg_span) > 0:
            by_turn.setdefault(best, []).append(seg)
        else:
            # Text placed where no speech was detected: keep it visible, never trusted.
            turns.append(seg_span)
            by_turn[len(turns) - 1] = [seg]
    out = []
    for idx, segs in by_turn.items():
        trusted = [s for s in segs if s.suspect is None]
        used = trusted or segs
        text = _join([s.text for s in used], language)
        turn = turns[idx]
        words = tuple(w for s in used for w in s.words)
        out.append(
            Utterance(
                role=role,
                speaker=f"channel_{channel.channel}",
                start=turn.start if trusted else used[0].start,
                end=turn.end if trusted else used[-1].end,
                text=text,
                text_normalized=normalize(text, language),
                words=words,
                avg_logprob=sum(s.avg_logprob for s in used) / len(used),
                language=used[0].language,
                suspect=None if trusted else used[0].suspect,
            )
        )
    return out


def _join(texts: list[str], language: str) -> str:
    sep = " " if language not in ("zh", "ja", "ko") else ""
    return sep.join(t.strip() for t in texts if t.strip())
