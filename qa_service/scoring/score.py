"""Score a call against a rubric: findings, category and total scores, critical policy, flags."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from qa_service.scoring.call import CallFacts
from qa_service.scoring.checks import CHECKS, Context
from qa_service.scoring.findings import Finding
from qa_service.scoring.schema import LoadedRubric, Rubric


@dataclass(frozen=True)
class CallScore:
    rubric_id: str
    rubric_version: int
    rubric_sha256: str
    total: float | None
    categories: dict[str, float | None]
    findings: tuple[Finding, ...]
    flagged: bool
    flag_reasons: tuple[str, ...]
    passed: bool


def _order(rubric: Rubric) -> list[Any]:
    """Checks whose window hangs on another check's hit run after that check."""
    done: set[str] = set()
    pending = list(rubric.checks)
    ordered: list[Any] = []
    while pending:
        ready = [
            c for c in pending if not (c.window and c.window.relative) or c.window.relative.check in done
        ]
        if not ready:  # a cycle: run the rest as written; their anchors will be missing
            ready = pending
        for check in ready:
            ordered.append(check)
            done.add(check.id)
        pending = [c for c in pending if c.id not in done]
    return ordered


def score_call(call: CallFacts, loaded: LoadedRubric, sentence_model: Path | None = None) -> CallScore:
    rubric = loaded.rubric
    ctx = Context(call=call, low_prob=rubric.low_confidence_word_prob, sentence_model=sentence_model)
    by_id = {check.id: CHECKS[check.kind](check, ctx) for check in _order(rubric)}
    findings = tuple(by_id[c.id] for c in rubric.checks)

    total, categories, reasons, passed = aggregate(findings, rubric)
    return CallScore(
        rubric_id=rubric.id,
        rubric_version=rubric.version,
        rubric_sha256=loaded.sha256,
        total=total,
        categories=categories,
        findings=findings,
        flagged=bool(reasons),
        flag_reasons=tuple(reasons),
        passed=passed,
    )


class Verdict(Protocol):
    @property
    def check_id(self) -> str: ...
    @property
    def category(self) -> str: ...
    @property
    def status(self) -> str: ...
    @property
    def severity(self) -> str: ...
    @property
    def points(self) -> float: ...
    @property
    def needs_review(self) -> bool: ...


def aggregate(
    findings: Sequence[Verdict], rubric: Rubric
) -> tuple[float | None, dict[str, float | None], list[str], bool]:
    """Total, category scores, flag reasons and pass/fail from check verdicts.

    Used for machine scoring and again when reviewers overturn verdicts."""
    categories: dict[str, float | None] = {}
    weighted, weights = 0.0, 0.0
    for category in rubric.categories:
        applicable = [f for f in findings if f.category == category.id and f.status != "not_applicable"]
        possible = sum(f.points for f in applicable)
        if not possible:
            categories[category.id] = None
            continue
        earned = sum(f.points for f in applicable if f.status == "passed")
        categories[category.id] = round(100 * earned / possible, 2)
        weighted += category.weight * earned / possible
        weights += category.weight
    total = round(100 * weighted / weights, 2) if weights else None

    reasons: list[str] = []
    critical = [f for f in findings if f.severity == "critical" and f.status == "failed"]
    if critical and total is not None:
        policy = rubric.critical_policy
        total = 0.0 if policy.mode == "zero" else min(total, policy.cap)
    reasons += [f"critical:{f.check_id}" for f in critical]
    if total is not None and total < rubric.pass_threshold:
        reasons.append("below_threshold")
    if any(f.needs_review and f.status != "not_applicable" for f in findings):
        reasons.append("needs_review")
    passed = total is not None and total >= rubric.pass_threshold and not critical
    return total, categories, reasons, passed


def score_to_dict(result: CallScore) -> dict[str, Any]:
    return {
        "rubric": {"id": result.rubric_id, "version": result.rubric_version, "sha256": result.rubric_sha256},
        "score": {"total": result.total, "categories": result.categories, "passed": result.passed},
        "flagged": result.flagged,
        "flag_reasons": list(result.flag_reasons),
        "findings": [
            {
                "check_id": f.check_id,
                "kind": f.kind,
                "category": f.category,
                "status": f.status,
                "severity": f.severity,
                "points": f.points,
                "needs_review": f.needs_review,
                "detail": f.detail,
                "detail_code": f.detail_code,
                "detail_params": f.detail_params,
                "evidence": [
                    {
                        "role": e.role,
                        "start": e.start,
                        "end": e.end,
                        "text": e.text,
                        "matched": e.matched,
                        "similarity": e.similarity,
                        "min_word_prob": e.min_word_prob,
                    }
                    for e in f.evidence
                ],
                **({"data": f.data} if f.data else {}),
            }
            for f in result.findings
        ],
    }
