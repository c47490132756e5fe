"""Calibration: how often reviewers agree on each check, and how often each check's automatic
verdict survives review (its precision), so that rubric authors see which rules misfire."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from qa_service.db.tables import Review, ReviewDecision
from qa_service.reviews.statistics import check_agreement, check_precision


def calibration(session: Session) -> dict[str, dict[str, Any]]:
    """Per check: agreement among reviewers of the same calls (each reviewer's latest review),
    and the precision of automatic failures and passes from confirm/overturn decisions."""
    rows = session.execute(
        select(
            Review.call_id,
            Review.reviewer_id,
            Review.id,
            ReviewDecision.check_id,
            ReviewDecision.machine_status,
            ReviewDecision.decision,
        )
        .join(ReviewDecision, ReviewDecision.review_id == Review.id)
        .order_by(Review.id)
    ).all()
    latest: dict[tuple[str, int, str], tuple[str, str]] = {}
    for call_id, reviewer_id, _, check_id, machine_status, decision in rows:
        latest[(call_id, reviewer_id, check_id)] = (machine_status, decision)
    verdicts: dict[str, dict[str, dict[str, str]]] = {}
    counts: dict[str, dict[str, int]] = {}
    for (call_id, reviewer_id, check_id), (machine_status, decision) in latest.items():
        final = (
            machine_status
            if decision == "confirm"
            else ("passed" if machine_status == "failed" else "failed")
        )
        verdicts.setdefault(check_id, {}).setdefault(call_id, {})[str(reviewer_id)] = final
        c = counts.setdefault(check_id, {})
        key = f"{machine_status}_{'confirmed' if decision == 'confirm' else 'overturned'}"
        c[key] = c.get(key, 0) + 1
    out: dict[str, dict[str, Any]] = {}
    for check_id in sorted(counts):
        c = counts[check_id]
        fail_precision = check_precision(c.get("failed_confirmed", 0), c.get("failed_overturned", 0))
        pass_precision = check_precision(c.get("passed_confirmed", 0), c.get("passed_overturned", 0))
        out[check_id] = {
            "decisions": c,
            "failure_precision": _interval(fail_precision),
            "pass_precision": _interval(pass_precision),
            "agreement": check_agreement(verdicts.get(check_id, {})),
        }
    return out


def _interval(i: Any) -> dict[str, float] | None:
    return None if i is None else {"estimate": i.estimate, "low": i.low, "high": i.high, "n": i.n}
