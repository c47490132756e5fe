"""Agent scorecards (period, components, categories against the pass mark, trend, frequent failed
checks, spot-check intervals) and the team view with ranks and the 服务之星."""

from __future__ import annotations

import re
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from api.console import views
from api.console.guards import ConsolePageError, Supervisor
from api.console.render import page
from api.deps import SessionDep, SettingsDep
from qa_service.assessments import service
from qa_service.db.tables import Agent, Call, Rubric, SpotCheckPick, SpotCheckRun, utcnow
from qa_service.errors import QAError
from qa_service.reviews import workflow
from qa_service.spotchecks import plans

router = APIRouter(include_in_schema=False)
TREND_PERIODS = 6
_PERIOD = re.compile(r"^\d{4}-\d{2}$")


def _period(value: str | None, default: str) -> str:
    if not value:
        return default
    if not _PERIOD.match(value) or not 1 <= int(value[5:]) <= 12:
        raise ConsolePageError(400, "error.bad_period", value)
    return value


def _latest_period(session: Session, agent: Agent | None = None) -> str:
    query = select(func.max(Call.started_at)).where(Call.status == "done")
    if agent is not None:
        query = query.where(Call.agent_id == agent.id)
    latest = session.scalar(query) or utcnow()
    return f"{latest.year:04d}-{latest.month:02d}"


def _spot_check_intervals(session: Session, agent_id: str) -> dict[str, Any] | None:
    """The agent's compliance intervals from the latest spot-check run that sampled them."""
    run = session.scalar(
        select(SpotCheckRun)
        .join(SpotCheckPick, SpotCheckPick.run_id == SpotCheckRun.id)
        .where(SpotCheckPick.agent_id == agent_id)
        .order_by(SpotCheckRun.id.desc())
        .limit(1)
    )
    if run is None:
        return None
    stats = next((s for s in plans.run_statistics(session, run, 0.1) if s.agent_id == agent_id), None)
    return {"run": run, "stats": stats.to_dict() if stats else None}


@router.get("/agents/{agent_id}/scorecard")
def scorecard(
    agent_id: str, request: Request, user: Supervisor, session: SessionDep, settings: SettingsDep
) -> Response:
    agent = session.scalar(select(Agent).where(Agent.external_id == agent_id))
    if agent is None:
        raise ConsolePageError(404, "error.no_agent", agent_id)
    try:
        workflow.check_team(session, user.principal, agent.team)
    except QAError as exc:
        raise ConsolePageError(403, "error.forbidden", exc.message, exc.code) from exc
    period = _period(request.query_params.get("period"), _latest_period(session, agent))
    config = service.load_config(settings.rubric_dir)
    trend = []
    card = None
    for back in range(TREND_PERIODS - 1, -1, -1):
        label = service.shift_period(period, -back)
        cards = service.assess(session, config, label, agent.team)
        found = next((c for c in cards if c.agent_id == agent_id), None)
        trend.append({"period": label, "total": found.total if found else None})
        if back == 0:
            card = found
    active = session.scalars(select(Rubric).where(Rubric.active.is_(True)))
    names = views.category_names(active)
    categories = {names.get(k, k): v for k, v in (card.categories if card else {}).items()}
    return page(
        request,
        "scorecard.html",
        {
            "agent": agent,
            "period": period,
            "card": card.to_dict() if card else None,
            "pass_mark": config.pass_mark,
            "categories": categories,
            "trend": trend,
            "spot": _spot_check_intervals(session, agent_id),
        },
        user,
    )


@router.get("/team")
def team_view(request: Request, user: Supervisor, session: SessionDep, settings: SettingsDep) -> Response:
    scoped = workflow.key_team(session, user.principal)
    teams = sorted(t for t in session.scalars(select(Agent.team).distinct()) if t)
    team = scoped or request.query_params.get("team") or (teams[0] if teams else None)
    period = _period(request.query_params.get("period"), _latest_period(session))
    cards = service.assess(session, service.load_config(settings.rubric_dir), period, team)
    ranked = sorted(
        (c.to_dict() for c in cards),
        key=lambda c: (c["rank_in_team"] is None, c["rank_in_team"] or 0, c["agent_id"]),
    )
    names = {agent_id: name for agent_id, name in session.execute(select(Agent.external_id, Agent.name))}
    return page(
        request,
        "team.html",
        {
            "cards": ranked,
            "teams": [scoped] if scoped else teams,
            "team": team,
            "period": period,
            "names": names,
            "pass_mark": service.load_config(settings.rubric_dir).pass_mark,
        },
        user,
    )
