"""Verdicts with their evidence."""

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
