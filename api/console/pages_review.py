"""The review queue, call search and the call review page."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from api.console import views
from api.console.guards import ConsolePageError, Staff, Supervisor, checked_form
from api.console.render import failed, page, redirect
from api.deps import SessionDep, SettingsDep
from qa_service import users
from qa_service.db.calls import CallFilters, list_calls
from qa_service.db.tables import ApiKey, Call, Dispute, Review, ReviewItem
from qa_service.errors import QAError
from qa_service.reviews import queue, workflow
from qa_service.text.normalize import to_simplified

router = APIRouter(include_in_schema=False)

REASONS = ("critical", "below_threshold", "needs_review", "spot_check")
SORTS = ("priority", "oldest", "newest", "score")


def _day(value: str | None, zone: str, end: bool = False) -> datetime | None:
    """A date field (YYYY-MM-DD) in the console's time zone: the start of that day, or of the next
    one for an end bound."""
    if not value:
        return None
    try:
        day = date.fromisoformat(value)
    except ValueError as exc:
        raise ConsolePageError(400, "error.bad_date", value) from exc
    return datetime.combine(day + timedelta(days=1) if end else day, time.min, tzinfo=ZoneInfo(zone))


def _number(value: str | None) -> float | None:
    if value is None or not value.strip():
        return None
    try:
        return float(value)
    except ValueError as exc:
        raise ConsolePageError(400, "error.bad_number", value) from exc


def _key_names(session: Session, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    return {
        key_id: name
        for key_id, name in session.execute(select(ApiKey.id, ApiKey.name).where(ApiKey.id.in_(ids)))
    }


@router.get("/queue")
def review_queue(request: Request, user: Staff, session: SessionDep, settings: SettingsDep) -> Response:
    p, zone = request.query_params, settings.console.timezone
    scoped = workflow.key_team(session, user.principal)
    base = queue.QueueFilters(
        reason=p.get("reason") or None,
        agent=p.get("agent") or None,
        team=scoped or p.get("team") or None,
        started_from=_day(p.get("from"), zone),
        started_to=_day(p.get("to"), zone, end=True),
    )
    sort = p.get("sort") or "priority"
    if sort not in SORTS:
        sort = "priority"
    sections: list[tuple[str, list[ReviewItem]]]
    if user.role == "reviewer":
        mine = replace(base, assigned_to=user.principal.key_id, status="assigned")
        sections = [
            ("mine", queue.list_items(session, mine, sort)),
            ("open", queue.list_items(session, replace(base, status="open"), sort)),
        ]
    else:
        status = p.get("status") if p.get("status") in ("open", "assigned", "done") else None
        sections = [("all", queue.list_items(session, replace(base, status=status), sort, 500))]
    assignees = _key_names(session, {i.assigned_to for _, items in sections for i in items if i.assigned_to})
    reviewers = users.reviewers(session, scoped) if user.role != "reviewer" else []
    return page(
        request,
        "queue.html",
        {
            "sections": sections,
            "filters": dict(p),
            "reasons": REASONS,
            "sorts": SORTS,
            "assignees": assignees,
            "reviewers": reviewers,
            "effective_score": workflow.effective_score,
        },
        user,
    )


@router.post("/queue/{item_id}/claim")
async def claim(
    item_id: int, request: Request, user: Staff, session: SessionDep, settings: SettingsDep
) -> Response:
    await checked_form(request, user)
    try:
        item = queue.assign(
            session,
            queue.get_item(session, item_id),
            user.principal.key_id,
            settings.review.daily_cap,
            workflow.actor(user.principal),
        )
    except QAError as exc:
        session.rollback()
        return failed("/queue", "flash.claim_failed", exc)
    return redirect(f"/calls/{item.call_id}", "success", "flash.claimed")


@router.post("/queue/{item_id}/assign")
async def assign_one(
    item_id: int, request: Request, user: Supervisor, session: SessionDep, settings: SettingsDep
) -> Response:
    """A supervisor gives one item to the reviewer they choose."""
    form = await checked_form(request, user)
    reviewer = form.get("reviewer")
    if not isinstance(reviewer, str) or not reviewer.isdigit():
        return redirect("/queue", "error", "flash.choose_reviewers")
    try:
        item = queue.get_item(session, item_id)
        workflow.check_team(session, user.principal, item.call.agent.team)
        queue.assign(session, item, int(reviewer), settings.review.daily_cap, workflow.actor(user.principal))
    except QAError as exc:
        session.rollback()
        return failed("/queue", "flash.assign_failed", exc)
    return redirect("/queue", "success", "flash.assigned", "1")


@router.post("/queue/assign")
async def assign_evenly(
    request: Request, user: Supervisor, session: SessionDep, settings: SettingsDep
) -> Response:
    form = await checked_form(request, user)
    chosen = [int(v) for v in form.getlist("reviewer") if isinstance(v, str) and v.isdigit()]
    if not chosen:
        return redirect("/queue", "error", "flash.choose_reviewers")
    try:
        given = queue.distribute(session, chosen, settings.review.daily_cap, workflow.actor(user.principal))
    except QAError as exc:
        session.rollback()
        return failed("/queue", "flash.assign_failed", exc)
    count = sum(len(v) for v in given.values())
    return redirect("/queue", "success", "flash.assigned", str(count))


@router.get("/calls")
def search(request: Request, user: Staff, session: SessionDep, settings: SettingsDep) -> Response:
    p, zone = request.query_params, settings.console.timezone
    searched = any(
        p.get(k) for k in ("agent", "from", "to", "failed_check", "score_min", "score_max", "q", "flagged")
    )
    rows: list[Call] = []
    next_cursor = None
    if searched or p.get("all"):
        filters = CallFilters(
            agent=p.get("agent") or None,
            team=workflow.key_team(session, user.principal),
            started_from=_day(p.get("from"), zone),
            started_to=_day(p.get("to"), zone, end=True),
            flagged={"yes": True, "no": False}.get(p.get("flagged", "")),
            score_min=_number(p.get("score_min")),
            score_max=_number(p.get("score_max")),
            failed_check=p.get("failed_check") or None,
            text=to_simplified(p["q"].strip()) if p.get("q", "").strip() else None,
        )
        try:
            rows, next_cursor = list_calls(session, filters, cursor=p.get("cursor") or None, limit=50)
        except QAError as exc:
            raise ConsolePageError(400, "error.bad_search", exc.message, exc.code) from exc
    checks = sorted(
        {
            f["check_id"]
            for call in session.scalars(select(Call).where(Call.status == "done").limit(200))
            for f in (call.result or {}).get("findings", [])
        }
    )
    query = {k: v for k, v in p.items() if k != "cursor"}
    return page(
        request,
        "search.html",
        {
            "rows": rows,
            "searched": searched,
            "filters": dict(p),
            "checks": checks,
            "next_query": {**query, "cursor": next_cursor} if next_cursor else None,
            "effective_score": workflow.effective_score,
        },
        user,
    )


@router.get("/calls/{call_id}")
def call_page(
    call_id: str, request: Request, user: Staff, session: SessionDep, settings: SettingsDep
) -> Response:
    call = session.get(Call, call_id)
    if call is None:
        raise ConsolePageError(404, "error.no_call", call_id)
    item = session.scalar(select(ReviewItem).where(ReviewItem.call_id == call.id))
    reviews = list(session.scalars(select(Review).where(Review.call_id == call.id).order_by(Review.id)))
    disputes = list(session.scalars(select(Dispute).where(Dispute.call_id == call.id).order_by(Dispute.id)))
    ids = {r.reviewer_id for r in reviews} | {d.opened_by for d in disputes}
    ids |= {d.resolved_by for d in disputes if d.resolved_by is not None}
    if item is not None and item.assigned_to is not None:
        ids.add(item.assigned_to)
    names = _key_names(session, ids)
    result: dict[str, Any] = views.visible_result(call.result, user.role, settings) if call.result else {}
    can_review = call.status == "done" and (
        user.role != "reviewer" or (item is not None and item.assigned_to == user.principal.key_id)
    )
    return page(
        request,
        "call.html",
        {
            "call": call,
            "item": item,
            "result": result,
            "utterances": views.transcript(result),
            "findings": views.findings(result),
            "category_names": views.category_names([call.rubric]),
            "timeline": views.timeline(result) if result else None,
            "reviews": reviews,
            "disputes": disputes,
            "names": names,
            "can_review": can_review,
            "effective_score": workflow.effective_score(call),
            "clock": views.clock,
            "pii_masked": user.role not in settings.pii.unmasked_roles or settings.pii.mask,
        },
        user,
    )
