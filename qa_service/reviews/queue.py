"""The review queue: flagged calls (with their reasons) and spot-check samples, assigned to
reviewers evenly or explicitly, with a daily cap per reviewer."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from qa_service import audit
from qa_service.db.tables import Agent, ApiKey, Call, ReviewItem, utcnow
from qa_service.errors import ConflictError, InvalidMetadataError, NotFoundError

# Higher first: critical faults, then what the machine was unsure of, then low scores and samples.
_PRIORITY = {"critical": 3, "needs_review": 2, "role_uncertain": 2, "below_threshold": 1, "spot_check": 1}


def priority_of(reasons: list[str]) -> int:
    return max((_PRIORITY.get(r.split(":", 1)[0], 1) for r in reasons), default=0)


def enqueue(session: Session, call: Call, reasons: list[str]) -> ReviewItem | None:
    """Add a call to the queue, or add reasons to its open item."""
    if not reasons:
        return None
    item = session.scalar(select(ReviewItem).where(ReviewItem.call_id == call.id))
    if item is None:
        item = ReviewItem(call_id=call.id, reasons=list(reasons), priority=priority_of(reasons))
        session.add(item)
    else:
        merged = list(dict.fromkeys([*item.reasons, *reasons]))
        item.reasons, item.priority = merged, priority_of(merged)
        if item.status == "done" and set(reasons) - set(item.reasons):
            item.status, item.done_at = "open", None
    session.flush()
    return item


def enqueue_flagged(session: Session, call: Call) -> None:
    if call.flagged and call.flag_reasons:
        enqueue(session, call, list(call.flag_reasons))


@dataclass(frozen=True)
class QueueFilters:
    reason: str | None = None
    agent: str | None = None
    team: str | None = None
    queue: str | None = None
    started_from: datetime | None = None
    started_to: datetime | None = None
    status: str | None = None
    assigned_to: int | None = None
    min_priority: int | None = None


SORTS = {
    "priority": (ReviewItem.priority.desc(), ReviewItem.created_at),
    "oldest": (ReviewItem.created_at,),
    "newest": (ReviewItem.created_at.desc(),),
    "score": (Call.score_total,),
}


def query(f: QueueFilters, sort: str = "priority") -> Select[ReviewItem]:
    q = select(ReviewItem).join(Call, Call.id == ReviewItem.call_id).join(Agent, Agent.id == Call.agent_id)
    conditions = [
        Agent.external_id == f.agent if f.agent else None,
        Agent.team == f.team if f.team else None,
        Call.queue == f.queue if f.queue else None,
        Call.started_at >= f.started_from if f.started_from else None,
        Call.started_at < f.started_to if f.started_to else None,
        ReviewItem.status == f.status if f.status else None,
        ReviewItem.assigned_to == f.assigned_to if f.assigned_to is not None else None,
        ReviewItem.priority >= f.min_priority if f.min_priority is not None else None,
    ]
    q = q.where(*[c for c in conditions if c is not None])
    if sort not in SORTS:
        raise InvalidMetadataError(f"sort must be one of {', '.join(SORTS)}")
    return q.order_by(*SORTS[sort], ReviewItem.id)


def list_items(
    session: Session, f: QueueFilters, sort: str = "priority", limit: int = 100
) -> list[ReviewItem]:
    items = list(session.scalars(query(f, sort)))
    if f.reason:  # reasons are a JSON list: filtered here, on both databases alike
        items = [i for i in items if any(r == f.reason or r.split(":", 1)[0] == f.reason for r in i.reasons)]
    return items[:limit]


def _assigned_today(session: Session, reviewer_id: int) -> int:
    since = utcnow().replace(hour=0, minute=0, second=0, microsecond=0)
    return (
        session.scalar(
            select(func.count()).where(ReviewItem.assigned_to == reviewer_id, ReviewItem.assigned_at >= since)
        )
        or 0
    )


def _reviewer(session: Session, key_id: int) -> ApiKey:
    key = session.get(ApiKey, key_id)
    if key is None or key.role not in ("reviewer", "supervisor", "admin") or key.revoked_at is not None:
        raise InvalidMetadataError(f"key {key_id} is not an active reviewer")
    return key


def assign(
    session: Session, item: ReviewItem, reviewer_id: int, daily_cap: int, by: str, *, reopen: bool = False
) -> ReviewItem:
    """Give one item to one reviewer, unless it is taken or the reviewer's day is full.

    ``reopen`` (a supervisor's explicit assignment) gives a reviewed call to another reviewer too:
    calls reviewed by several reviewers are what calibration measures."""
    _reviewer(session, reviewer_id)
    if item.status == "done" and not reopen:
        raise ConflictError(f"review item {item.id} is done")
    if item.status == "assigned" and item.assigned_to != reviewer_id:
        raise ConflictError(f"review item {item.id} is assigned to someone else")
    if item.assigned_to != reviewer_id and _assigned_today(session, reviewer_id) >= daily_cap:
        raise ConflictError(f"the reviewer reached the daily cap of {daily_cap} calls")
    item.assigned_to, item.assigned_at, item.status = reviewer_id, utcnow(), "assigned"
    session.flush()
    audit.record(session, by, "review_item.assigned", "call", item.call_id, reviewer=reviewer_id)
    return item


def distribute(
    session: Session, reviewer_ids: list[int], daily_cap: int, by: str, f: QueueFilters | None = None
) -> dict[int, list[int]]:
    """Spread open items (highest priority first) evenly over reviewers, within the daily cap.

    Each next item goes to the reviewer with the fewest calls assigned today."""
    if not reviewer_ids:
        raise InvalidMetadataError("name at least one reviewer")
    for key_id in reviewer_ids:
        _reviewer(session, key_id)
    load = {key_id: _assigned_today(session, key_id) for key_id in reviewer_ids}
    given: dict[int, list[int]] = {key_id: [] for key_id in reviewer_ids}
    filters = f or QueueFilters()
    open_items = list_items(
        session, QueueFilters(**{**filters.__dict__, "status": "open"}), "priority", 10_000
    )
    for item in open_items:
        key_id = min(load, key=lambda k: (load[k], k))
        if load[key_id] >= daily_cap:
            break
        item.assigned_to, item.assigned_at, item.status = key_id, utcnow(), "assigned"
        load[key_id] += 1
        given[key_id].append(item.id)
        audit.record(session, by, "review_item.assigned", "call", item.call_id, reviewer=key_id)
    session.flush()
    return given


def get_item(session: Session, item_id: int) -> ReviewItem:
    item = session.get(ReviewItem, item_id)
    if item is None:
        raise NotFoundError(f"no review item {item_id}")
    return item
