"""Spot-check plans and their samples, disputes, and rubrics (versions, validate and try a rule on
a typed dialogue, activate)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import ValidationError
from sqlalchemy import select

from api.console.guards import Admin, ConsolePageError, Staff, Supervisor, checked_form
from api.console.render import failed, page, redirect
from api.deps import SessionDep, SettingsDep
from qa_service import rubrics
from qa_service.db.tables import Call, Dispute, Rubric, SpotCheckPick, SpotCheckPlan, SpotCheckRun
from qa_service.errors import QAError
from qa_service.reviews import workflow
from qa_service.scoring.dialogue import DialogueError, parse_dialogue
from qa_service.scoring.engine import score_analysis
from qa_service.scoring.schema import parse_rubric
from qa_service.spotchecks import plans
from qa_service.spotchecks.sampling import PlanSpec

router = APIRouter(include_in_schema=False)


def _form_text(form: Any, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def _validation_message(exc: ValidationError) -> str:
    return "; ".join(f"{'.'.join(str(x) for x in e['loc']) or 'plan'}: {e['msg']}" for e in exc.errors())


# Spot checks


@router.get("/spot-checks")
def spot_checks(request: Request, user: Staff, session: SessionDep) -> Response:
    plan_rows = list(session.scalars(select(SpotCheckPlan).order_by(SpotCheckPlan.id)))
    runs = list(session.scalars(select(SpotCheckRun).order_by(SpotCheckRun.id.desc()).limit(50)))
    return page(request, "spotchecks.html", {"plans": plan_rows, "runs": runs}, user)


@router.post("/spot-checks/plans")
async def create_plan(request: Request, user: Supervisor, session: SessionDep) -> Response:
    form = await checked_form(request, user)
    size = _form_text(form, "size")
    spec: dict[str, Any] = {
        "period": _form_text(form, "period") or "month",
        "stratify_by": [v for v in form.getlist("stratify_by") if v in ("flagged", "queue")],
    }
    try:
        if _form_text(form, "mode") == "fraction":
            spec["fraction"] = float(size) / 100
            spec["minimum"] = int(_form_text(form, "minimum") or 0)
        else:
            spec["count"] = int(size)
        parsed = PlanSpec.model_validate(spec)
    except ValueError as exc:  # ValidationError is a ValueError
        detail = _validation_message(exc) if isinstance(exc, ValidationError) else str(exc)
        return redirect("/spot-checks", "error", "flash.plan_invalid", detail)
    name = _form_text(form, "name")
    if not name:
        return redirect("/spot-checks", "error", "flash.plan_invalid", "name")
    plan = plans.create_plan(
        session,
        name,
        parsed,
        form.get("scheduled") == "on",
        user.principal.key_id,
        workflow.actor(user.principal),
    )
    return redirect("/spot-checks", "success", "flash.plan_created", plan.name)


@router.post("/spot-checks/plans/{plan_id}/run")
async def run_plan(plan_id: int, request: Request, user: Supervisor, session: SessionDep) -> Response:
    from datetime import date

    form = await checked_form(request, user)
    day_text = _form_text(form, "day")
    try:
        day = date.fromisoformat(day_text) if day_text else None
        run, _ = plans.run_plan(
            session, plans.get_plan(session, plan_id), day=day, triggered_by=workflow.actor(user.principal)
        )
    except (QAError, ValueError) as exc:
        session.rollback()
        if isinstance(exc, QAError):
            return failed("/spot-checks", "flash.run_failed", exc)
        return redirect("/spot-checks", "error", "flash.run_failed", str(exc))
    return redirect(f"/spot-checks/runs/{run.id}", "success", "flash.run_done")


@router.get("/spot-checks/runs/{run_id}")
def spot_check_run(run_id: int, request: Request, user: Staff, session: SessionDep) -> Response:
    run = session.get(SpotCheckRun, run_id)
    if run is None:
        raise ConsolePageError(404, "error.no_run", str(run_id))
    picks = list(
        session.scalars(
            select(SpotCheckPick).where(SpotCheckPick.run_id == run.id).order_by(SpotCheckPick.agent_id)
        )
    )
    calls = {c.id: c for c in session.scalars(select(Call).where(Call.id.in_([p.call_id for p in picks])))}
    stats = [s.to_dict() for s in plans.run_statistics(session, run, 0.1)]
    plan = session.get(SpotCheckPlan, run.plan_id)
    return page(
        request,
        "spotcheck_run.html",
        {"run": run, "plan": plan, "picks": picks, "calls": calls, "stats": stats},
        user,
    )


# Disputes


@router.get("/disputes")
def disputes(request: Request, user: Staff, session: SessionDep) -> Response:
    status = request.query_params.get("status")
    query = select(Dispute).order_by(Dispute.id.desc()).limit(200)
    if status in ("open", "upheld", "rejected"):
        query = query.where(Dispute.status == status)
    return page(request, "disputes.html", {"disputes": list(session.scalars(query)), "status": status}, user)


@router.post("/calls/{call_id}/disputes")
async def open_dispute(
    call_id: str, request: Request, user: Supervisor, session: SessionDep, settings: SettingsDep
) -> Response:
    form = await checked_form(request, user)
    call = session.get(Call, call_id)
    if call is None:
        raise ConsolePageError(404, "error.no_call", call_id)
    try:
        workflow.open_dispute(
            session,
            call,
            _form_text(form, "check_id"),
            _form_text(form, "reason"),
            user.principal,
            settings.review.dispute_window_days,
        )
    except QAError as exc:
        session.rollback()
        return failed(f"/calls/{call_id}", "flash.dispute_failed", exc)
    return redirect(f"/calls/{call_id}", "success", "flash.dispute_opened")


@router.post("/disputes/{dispute_id}/resolve")
async def resolve_dispute(dispute_id: int, request: Request, user: Staff, session: SessionDep) -> Response:
    form = await checked_form(request, user)
    outcome, resolution = _form_text(form, "outcome"), _form_text(form, "resolution")
    if outcome not in ("upheld", "rejected") or not resolution:
        return redirect("/disputes", "error", "flash.resolution_needed")
    try:
        workflow.resolve_dispute(
            session,
            workflow.get_dispute(session, dispute_id),
            outcome == "upheld",
            resolution,
            user.principal,
        )
    except QAError as exc:
        session.rollback()
        return failed("/disputes", "flash.resolve_failed", exc)
    return redirect("/disputes", "success", "flash.dispute_resolved")


# Rubrics

SAMPLE_DIALOGUE = (
    "agent: 您好，很高兴为您服务，请问有什么可以帮您？\ncustomer: 我的快递三天了还没到。\nagent: 这不归我管。"
)


@router.get("/rubrics")
def rubric_list(request: Request, user: Staff, session: SessionDep) -> Response:
    rows = list(session.scalars(select(Rubric).order_by(Rubric.rubric_id, Rubric.version.desc())))
    return page(request, "rubrics.html", {"rubrics": rows}, user)


def _rubric_page(
    request: Request, user: Any, row: Rubric, content: str, dialogue: str, trial: dict[str, Any] | None = None
) -> Response:
    return page(
        request,
        "rubric.html",
        {"rubric": row, "content": content, "dialogue": dialogue, "trial": trial},
        user,
    )


@router.get("/rubrics/{rubric_id}/{version}")
def rubric_detail(
    rubric_id: str, version: int, request: Request, user: Staff, session: SessionDep
) -> Response:
    try:
        row = rubrics.get(session, rubric_id, version)
    except QAError as exc:
        raise ConsolePageError(404, "error.no_rubric", exc.message, exc.code) from exc
    return _rubric_page(request, user, row, row.content, SAMPLE_DIALOGUE)


@router.post("/rubrics/{rubric_id}/{version}/try")
async def try_rubric(
    rubric_id: str, version: int, request: Request, user: Staff, session: SessionDep, settings: SettingsDep
) -> Response:
    """Validate the (possibly edited) YAML and score the typed dialogue with it: as `rubric test`."""
    form = await checked_form(request, user)
    row = rubrics.get(session, rubric_id, version)
    content, dialogue = str(form.get("content") or ""), str(form.get("dialogue") or "")
    trial: dict[str, Any] = {}
    try:
        loaded = parse_rubric(content, f"{rubric_id}@{version} (edited)")
        trial["valid"] = f"{loaded.rubric.id} v{loaded.rubric.version}: {len(loaded.rubric.checks)} checks"
        if dialogue.strip():
            data = parse_dialogue(dialogue, loaded.rubric.language, settings.pacing)
            trial["scored"] = score_analysis(data, settings, loaded)
    except QAError as exc:
        trial["error"] = exc.message
    except DialogueError as exc:
        trial["dialogue_error"] = str(exc)
    return _rubric_page(request, user, row, content, dialogue, trial)


@router.post("/rubrics/{rubric_id}/{version}/activate")
async def activate_rubric(
    rubric_id: str, version: int, request: Request, user: Admin, session: SessionDep
) -> Response:
    form = await checked_form(request, user)
    try:
        rubrics.activate(session, rubric_id, version, _form_text(form, "queue") or None)
    except QAError as exc:
        session.rollback()
        return failed("/rubrics", "flash.activate_failed", exc)
    return redirect("/rubrics", "success", "flash.activated", f"{rubric_id} v{version}")
