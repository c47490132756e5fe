"""/v1/agents: agents and their teams (unknown agents are also created by uploads)."""

from __future__ import annotations

from fastapi import APIRouter, Response
from sqlalchemy import select

from api import schemas
from api.deps import SessionDep, Staff, Supervisor
from qa_service.db.tables import Agent
from qa_service.ingest import upsert_agent

router = APIRouter(prefix="/v1/agents", tags=["agents"], responses=schemas.ERRORS)


def _out(agent: Agent) -> schemas.AgentOut:
    return schemas.AgentOut(agent_id=agent.external_id, name=agent.name, team=agent.team)


@router.get("", summary="Agents, optionally of one team", response_model=list[schemas.AgentOut])
def list_agents(principal: Staff, session: SessionDep, team: str | None = None) -> list[schemas.AgentOut]:
    query = select(Agent).order_by(Agent.team, Agent.external_id)
    if team:
        query = query.where(Agent.team == team)
    return [_out(a) for a in session.scalars(query)]


@router.post(
    "",
    status_code=201,
    summary="Create an agent, or update its name and team",
    response_model=schemas.AgentOut,
)
def put_agent(
    body: schemas.AgentIn, response: Response, principal: Supervisor, session: SessionDep
) -> schemas.AgentOut:
    existed = session.scalar(select(Agent.id).where(Agent.external_id == body.agent_id)) is not None
    agent = upsert_agent(session, body.agent_id, body.name, body.team)
    session.flush()
    if existed:
        response.status_code = 200
    return _out(agent)
