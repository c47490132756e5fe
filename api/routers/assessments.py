"""/v1/assessments and /v1/agents/{id}/scorecard, with CSV and XLSX export."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Response

from api import schemas
from api.deps import SessionDep, SettingsDep, Supervisor
from qa_service.assessments import service
from qa_service.errors import NotFoundError
from qa_service.reviews.workflow import check_team, key_team

router = APIRouter(tags=["assessments"], responses=schemas.ERRORS)

Period = Annotated[str, Query(pattern=r"^\d{4}-\d{2}$", description="a month, e.g. 2026-11")]


@router.get(
    "/v1/assessments",
    summary="Monthly scorecards of every agent (of a team): total, components, grade, rank, 服务之星, trend",
    responses={
        200: {
            "content": {
                "text/csv": {},
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {},
            }
        }
    },
)
def assessments(
    principal: Supervisor,
    session: SessionDep,
    settings: SettingsDep,
    period: Period,
    team: str | None = None,
    format: Literal["json", "csv", "xlsx"] = "json",
) -> Any:
    scoped = key_team(session, principal)
    if scoped:
        check_team(session, principal, team or scoped)
    cards = service.assess(session, service.load_config(settings.rubric_dir), period, scoped or team)
    if format == "csv":
        return Response(
            service.to_csv(cards).encode("utf-8-sig"),  # a BOM, so that spreadsheet programs read Chinese
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="assessments-{period}.csv"'},
        )
    if format == "xlsx":
        return Response(
            service.to_xlsx(cards, period),
            media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            headers={"Content-Disposition": f'attachment; filename="assessments-{period}.xlsx"'},
        )
    return [card.to_dict() for card in cards]


@router.get("/v1/agents/{agent_id}/scorecard", summary="One agent's scorecard for a period")
def scorecard(
    agent_id: str, principal: Supervisor, session: SessionDep, settings: SettingsDep, period: Period
) -> dict[str, Any]:
    from sqlalchemy import select

    from qa_service.db.tables import Agent

    agent = session.scalar(select(Agent).where(Agent.external_id == agent_id))
    if agent is None:
        raise NotFoundError(f"no agent {agent_id}")
    check_team(session, principal, agent.team)
    cards = service.assess(session, service.load_config(settings.rubric_dir), period, agent.team)
    card = next((c for c in cards if c.agent_id == agent_id), None)
    if card is None:
        raise NotFoundError(f"agent {agent_id} has no analysed calls in {period}")
    return card.to_dict()
