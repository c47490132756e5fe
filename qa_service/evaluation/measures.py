"""Error rates and detection scores used by the evaluation commands."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rapidfuzz.distance import Levenshtein

from qa_service.text import canonical_for_comparison


@dataclass(frozen=True)
class ErrorCount:
    """Edit operations against a reference of ``length`` units (characters or words)."""

    edits: int
    length: int

    @property
    def rate(self) -> float | None:
        return self.edits / self.length if self.length else None

    def __add__(self, other: ErrorCount) -> ErrorCount:
        return ErrorCount(self.edits + other.edits, self.length + other.length)


def units(text: str, language: str) -> list[str]:
    """Characters for Chinese (CER), words for English and other spaced languages (WER)."""
    canon = canonical_for_comparison(text, language)
    return list(canon.replace(" ", "")) if language == "zh" else canon.split()


def error_count(reference: str, hypothesis: str, language: str) -> ErrorCount:
    ref, hyp = units(reference, language), units(hypothesis, language)
    return ErrorCount(Levenshtein.distance(ref, hyp), len(ref))


@dataclass(frozen=True)
class Detection:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def precision(self) -> float | None:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else None

    @property
    def recall(self) -> float | None:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else None

    @property
    def f1(self) -> float | None:
        if self.tp + self.fp + self.fn == 0:
            return None
        return 2 * self.tp / (2 * self.tp + self.fp + self.fn)

    def __add__(self, other: Detection) -> Detection:
        return Detection(self.tp + other.tp, self.fp + other.fp, self.fn + other.fn)


@dataclass(frozen=True)
class Event:
    start: float
    end: float
    label: str = ""


def match_events(truth: Sequence[Event], found: Sequence[Event], tolerance: float = 0.5) -> Detection:
    """One-to-one matching of events with the same label whose spans overlap (± ``tolerance``)."""
    used: set[int] = set()
    tp = 0
    for t in truth:
        best, best_overlap = None, -1.0
        for i, f in enumerate(found):
            if i in used or f.label != t.label:
                continue
            ov = min(t.end, f.end) - max(t.start, f.start)
            if ov >= -tolerance and ov > best_overlap:
                best, best_overlap = i, ov
        if best is not None:
            used.add(best)
            tp += 1
    return Detection(tp=tp, fp=len(found) - len(used), fn=len(truth) - tp)


def relative_error(estimate: float | None, truth: float | None) -> float | None:
    if estimate is None or not truth:
        return None
    return abs(estimate - truth) / truth
