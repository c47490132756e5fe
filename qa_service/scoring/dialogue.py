"""Typed dialogues (``agent: …`` / ``customer: …`` lines) as analyses, for trying rules out."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from qa_service.config import PacingSettings
from qa_service.pipeline.pacing import find_dead_air, find_interruptions, response_latency
from qa_service.pipeline.speech import group_turns
from qa_service.text import count_spoken_units, normalize
from qa_service.transcript import Role, Span

_LINE = re.compile(
    r"^\s*(?:\[(?P<start>\d+(?:\.\d+)?)(?:\s*-\s*(?P<end>\d+(?:\.\d+)?))?\]\s*)?(?P<role>agent|customer|客服|坐席|客户)\s*[:：]\s*(?P<text>.+?)\s*$",
    re.IGNORECASE,
)
_ROLE: dict[str, Role] = {
    "agent": "agent",
    "客服": "agent",
    "坐席": "agent",
    "customer": "customer",
    "客户": "customer",
}
_GAP_S = 0.6


class DialogueError(ValueError):
    pass


def parse_dialogue(text: str, language: str, pacing: PacingSettings | None = None) -> dict[str, Any]:
    """An ``analyze``-shaped dict. Lines may start with ``[start]`` or ``[start-end]`` seconds;
    otherwise each utterance follows the last after 0.6 s, spoken at 4 units per second. Pacing is
    measured with the same thresholds as recorded calls (``pacing``, default: the settings' defaults)."""
    pacing = pacing or PacingSettings()
    utterances: list[dict[str, Any]] = []
    clock = 0.5
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        m = _LINE.match(line)
        if m is None:
            raise DialogueError(f"line {number}: expected 'agent: …' or 'customer: …', got {line.strip()!r}")
        said = m.group("text")
        units = max(1, count_spoken_units(said, language))
        start = float(m.group("start")) if m.group("start") else clock
        end = float(m.group("end")) if m.group("end") else start + units / 4.0
        if end <= start:
            raise DialogueError(f"line {number}: end {end} is not after start {start}")
        pieces = list(said) if language == "zh" else said.split()
        step = (end - start) / len(pieces)
        words = [
            {
                "start": round(start + k * step, 3),
                "end": round(start + (k + 1) * step, 3),
                "text": p if language == "zh" else " " + p,
                "prob": 1.0,
            }
            for k, p in enumerate(pieces)
        ]
        utterances.append(
            {
                "role": _ROLE[m.group("role").lower()],
                "speaker": m.group("role").lower(),
                "start": start,
                "end": end,
                "text": said,
                "text_normalized": normalize(said, language),
                "words": words,
                "suspect": None,
            }
        )
        clock = end + _GAP_S
    if not utterances:
        raise DialogueError("the dialogue has no lines")
    roles: tuple[Role, Role] = ("agent", "customer")
    speech: dict[Role, tuple[Span, ...]] = {
        r: tuple(Span(u["start"], u["end"]) for u in utterances if u["role"] == r) for r in roles
    }
    turns: dict[Role, list[Span]] = {r: group_turns(s, pacing.turn_max_pause_s) for r, s in speech.items()}
    latency = response_latency(turns["customer"], turns["agent"])
    rates = {}
    for role in roles:
        minutes = sum(t.duration for t in turns[role]) / 60
        units = sum(count_spoken_units(u["text"], language) for u in utterances if u["role"] == role)
        rates[role] = units / minutes if minutes else None
    return {
        "duration_s": max(u["end"] for u in utterances) + 1.0,
        "language": language,
        "layout": "stereo",
        "utterances": utterances,
        "metrics": {
            "agent_speech_rate": rates["agent"],
            "customer_speech_rate": rates["customer"],
            "dead_air": [
                {"start": g.start, "end": g.end} for g in find_dead_air(speech, pacing.dead_air_min_s)
            ],
            "interruptions": [
                {"by": i.by, "start": i.start, "overlap_s": i.overlap_s}
                for i in find_interruptions(turns, speech, pacing.interruption_min_overlap_s)
            ],
            "response_latency": {"mean_s": latency.mean_s, "max_s": latency.max_s, "count": latency.count},
            "loudness_dbfs": {},
        },
    }


def load_dialogue(path: Path, language: str, pacing: PacingSettings | None = None) -> dict[str, Any]:
    return parse_dialogue(path.read_text(encoding="utf-8"), language, pacing)
