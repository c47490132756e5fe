"""Verdicts with their evidence, and the machine-readable messages that say why."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

Status = Literal["passed", "failed", "not_applicable"]


@dataclass(frozen=True)
class Evidence:
    role: str
    start: float
    end: float
    text: str
    matched: str | None = None
    similarity: float | None = None
    min_word_prob: float | None = None


@dataclass(frozen=True)
class Finding:
    check_id: str
    kind: str
    category: str
    status: Status
    severity: str
    points: float
    needs_review: bool = False
    detail: str = ""
    evidence: tuple[Evidence, ...] = ()
    data: dict[str, Any] = field(default_factory=dict)
    # ``detail`` is the English sentence; ``detail_code`` names it (one of DETAIL_CODES) and
    # ``detail_params`` holds its values, so that a UI can say it in its own language.
    detail_code: str = ""
    detail_params: dict[str, Any] = field(default_factory=dict)


# Every message a check may give: code -> the names of its parameters. Codes are stable: a UI keys
# its translations on them, and stored results keep them. Lists hold scalars or flat dicts (one per
# role, say); ``role`` values are agent/customer, ``kind`` values PII types, ``language`` codes as
# in the rubric. Add a code here (and to the console's catalogues) before a check emits it.
DETAIL_CODES: dict[str, tuple[str, ...]] = {
    "window.no_anchor": (),
    "phrase.found": ("phrase",),
    "phrase.outside_window": ("phrase", "seconds"),
    "phrase.missing": (),
    "forbidden.none": (),
    "forbidden.found": ("count",),
    "regex.found": (),
    "regex.not_found": (),
    "regex.matches": ("count",),
    "courtesy.no_speech": (),
    "courtesy.per_utterance": ("count", "rate", "needed"),
    "courtesy.per_minute": ("count", "rate", "needed"),
    "speech_rate.no_speech": (),
    "speech_rate.out_of_range": ("rates", "min", "max"),
    "speech_rate.within_range": ("min", "max"),
    "dead_air.summary": ("longest_s", "total_s", "holds"),
    "interruption.count": ("count", "allowed"),
    "latency.no_turns": (),
    "latency.summary": ("mean_s", "max_s"),
    "loudness.not_measured": (),
    "loudness.levels": ("levels", "limit"),
    "apology.no_complaint": (),
    "apology.found": ("phrase",),
    "apology.missing": ("within",),
    "resolution.follow_up": ("deadline",),
    "resolution.resolved": ("phrase",),
    "resolution.no_deadline": (),
    "resolution.unresolved": (),
    "pii.none": (),
    "pii.read_out": ("count", "kinds"),
    "language.not_identified": (),
    "language.other": ("count", "judged"),
    "language.unsure": (),
    "language.expected": ("count", "judged", "language"),
}
