"""/v1/review-queue, /v1/calls/{id}/reviews, /v1/disputes, /v1/audit."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query
from sqlalchemy import select

from api import schemas
from api.deps import SessionDep, SettingsDep, Staff, Supervisor
from api.routers.calls import summary
from qa_service.db.tables import AuditEntry, Call, Dispute, Review, ReviewItem
from qa_service.errors import ForbiddenError, NotFoundError
from qa_service.reviews import queue, workflow

router = APIRouter(tags=["reviews"], responses=schemas.ERRORS)


def _item(item: ReviewItem) -> schemas.ReviewItemOut:
    return schemas.ReviewItemOut(
        id=item.id,
        call_id=item.call_id,
        reasons=item.reasons,
        priority=item.priority,
        status=item.status,  # type: ignore[arg-type]
        assigned_to=item.assigned_to,
        assigned_at=item.assigned_at,
        created_at=item.created_at,
        call=summary(item.call),
    )


def _call(session: SessionDep, call_id: str) -> Call:
    call = session.get(Call, call_id)
    if call is None:
        raise NotFoundError(f"no call {call_id}")
    return call


@router.get(
    "/v1/review-queue",
    summary="Flagged and sampled calls awaiting review (reviewers see what is assigned to them)",
    response_model=list[schemas.ReviewItemOut],
)
def review_queue(
    principal: Staff,
    session: SessionDep,
    reason: Annotated[
        str | None, Query(description="e.g. critical, below_threshold, needs_review, spot_check")
    ] = None,
    agent: str | None = None,
    team: str | None = None,
    queue_name: Annotated[str | None, Query(alias="queue")] = None,
    started_from: datetime | None = None,
    started_to: datetime | None = None,
    status: Annotated[str | None, Query(pattern="^(open|assigned|done)$")] = None,
    assigned_to: Annotated[str | None, Query(description="a key id, or 'me'")] = None,
    min_priority: int | None = None,
    sort: Annotated[str, Query(pattern="^(priority|oldest|newest|score)$")] = "priority",
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[schemas.ReviewItemOut]:
    assignee = principal.key_id if assigned_to == "me" else int(assigned_to) if assigned_to else None
    if principal.role == "reviewer":
        assignee = principal.key_id
    scoped = workflow.key_team(session, principal)
    if scoped and team and team != scoped:
        raise ForbiddenError(f"this key is scoped to team {scoped!r}")
    filters = queue.QueueFilters(
        reason=reason,
        agent=agent,
        team=scoped or team,
        queue=queue_name,
        started_from=started_from,
        started_to=started_to,
        status=status,
        assigned_to=assignee,
        min_priority=min_priority,
    )
    return [_item(i) for i in queue.list_items(session, filters, sort, limit)]


@router.post(
    "/v1/review-queue/assign",
    summary="Assign open items: evenly over reviewers, or explicit items to one reviewer (within the daily cap)",
)
def assign_items(
    body: schemas.AssignIn, principal: Supervisor, session: SessionDep, settings: SettingsDep
) -> dict[str, list[int]]:
    cap = settings.review.daily_cap  # QA_REVIEW__DAILY_CAP
    by = workflow.actor(principal)
    if body.mode == "even":
        given = queue.distribute(session, body.reviewer_ids, cap, by)
        return {str(k): v for k, v in given.items()}
    [reviewer] = body.reviewer_ids[:1]
    for item_id in body.item_ids:
        item = queue.get_item(session, item_id)
        workflow.check_team(session, principal, item.call.agent.team)
        queue.assign(session, item, reviewer, cap, by, reopen=True)
    return {str(reviewer): body.item_ids}


@router.post(
    "/v1/review-queue/{item_id}/claim",
    summary="Assign an item to myself",
    response_model=schemas.ReviewItemOut,
)
def claim_item(
    item_id: int, principal: Staff, session: SessionDep, settings: SettingsDep
) -> schemas.ReviewItemOut:
    item = queue.assign(
        session,
        queue.get_item(session, item_id),
        principal.key_id,
        settings.review.daily_cap,
        workflow.actor(principal),
    )
    return _item(item)


@router.get(
    "/v1/calls/{call_id}/reviews",
    summary="Every review of a call, oldest first",
    response_model=list[schemas.ReviewOut],
)
def list_reviews(call_id: str, principal: Staff, session: SessionDep) -> list[Review]:
    _call(session, call_id)
    return list(session.scalars(select(Review).where(Review.call_id == call_id).order_by(Review.id)))


@router.post(
    "/v1/calls/{call_id}/reviews",
    status_code=201,
    summary="Confirm or overturn findings, add manual findings, submit the human score",
    response_model=schemas.ReviewOut,
)
def submit_review(call_id: str, body: workflow.ReviewIn, principal: Staff, session: SessionDep) -> Review:
    return workflow.submit_review(session, _call(session, call_id), body, principal)


@router.get("/v1/disputes", summary="Disputes, newest first", response_model=list[schemas.DisputeOut])
def list_disputes(
    principal: Staff,
    session: SessionDep,
    status: Annotated[str | None, Query(pattern="^(open|upheld|rejected)$")] = None,
    call_id: str | None = None,
) -> list[Dispute]:
    q = select(Dispute).order_by(Dispute.id.desc())
    if status:
        q = q.where(Dispute.status == status)
    if call_id:
        q = q.where(Dispute.call_id == call_id)
    return list(session.scalars(q))


@router.post(
    "/v1/disputes",
    status_code=201,
    summary="Dispute a finding (the agent's supervisor, within the dispute window)",
    response_model=schemas.DisputeOut,
)
def open_dispute(
    body: schemas.DisputeIn, principal: Supervisor, session: SessionDep, settings: SettingsDep
) -> Dispute:
    call = _call(session, body.call_id)
    return workflow.open_dispute(
        session, call, body.check_id, body.reason, principal, settings.review.dispute_window_days
    )


@router.post(
    "/v1/disputes/{dispute_id}/resolve",
    summary="Resolve a dispute (a second reviewer); upheld disputes change the call's score",
    response_model=schemas.DisputeOut,
)
def resolve_dispute(
    dispute_id: int, body: schemas.DisputeResolveIn, principal: Staff, session: SessionDep
) -> Dispute:
    return workflow.resolve_dispute(
        session, workflow.get_dispute(session, dispute_id), body.upheld, body.resolution, principal
    )


@router.get("/v1/audit", summary="Audit log entries, newest first", response_model=list[schemas.AuditOut])
def audit_log(
    principal: Supervisor,
    session: SessionDep,
    entity: str | None = None,
    entity_id: str | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> list[AuditEntry]:
    q = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)
    if entity:
        q = q.where(AuditEntry.entity == entity)
    if entity_id:
        q = q.where(AuditEntry.entity_id == entity_id)
    return list(session.scalars(q))
