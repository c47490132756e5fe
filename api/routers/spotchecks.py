"""/v1/spot-check-plans and /v1/spot-checks: reproducible stratified sampling with its statistics."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select

from api import schemas
from api.deps import SessionDep, Staff, Supervisor
from qa_service.db.tables import SpotCheckPick, SpotCheckPlan, SpotCheckRun
from qa_service.errors import NotFoundError
from qa_service.reviews.calibration import calibration
from qa_service.reviews.workflow import actor
from qa_service.spotchecks import plans
from qa_service.spotchecks.sampling import PlanSpec

router = APIRouter(tags=["spot checks"], responses=schemas.ERRORS)


class PlanIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "example": {
                "name": "每人每月5通",
                "spec": {"period": "month", "count": 5, "stratify_by": ["flagged", "queue"]},
                "scheduled": True,
            }
        },
    )
    name: str = Field(min_length=1, max_length=200)
    spec: PlanSpec
    scheduled: bool = Field(default=False, description="the worker runs it when each period ends")


class PlanOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    name: str
    spec: dict[str, Any]
    scheduled: bool
    next_run_at: datetime | None
    active: bool
    created_at: datetime


class RunIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"example": {"day": "2026-11-15", "seed": 20261115}}
    )
    day: date | None = Field(default=None, description="a day in the period to sample (default: today)")
    seed: int | None = Field(default=None, ge=0, description="repeat a selection with its recorded seed")


class PickOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    run_id: int
    call_id: str
    agent_id: str
    stratum: str
    stratum_population: int
    stratum_sampled: int


class RunOut(BaseModel):
    id: int
    plan_id: int
    seed: int
    period: str
    triggered_by: str
    created_at: datetime
    picks: list[PickOut]


def _run_out(session: SessionDep, run: SpotCheckRun) -> RunOut:
    picks = session.scalars(
        select(SpotCheckPick).where(SpotCheckPick.run_id == run.id).order_by(SpotCheckPick.call_id)
    )
    return RunOut(
        id=run.id,
        plan_id=run.plan_id,
        seed=run.seed,
        period=run.period,
        triggered_by=run.triggered_by,
        created_at=run.created_at,
        picks=[PickOut.model_validate(p) for p in picks],
    )


@router.get("/v1/spot-check-plans", summary="Spot-check plans", response_model=list[PlanOut])
def list_plans(principal: Staff, session: SessionDep) -> list[SpotCheckPlan]:
    return list(session.scalars(select(SpotCheckPlan).order_by(SpotCheckPlan.id)))


@router.post(
    "/v1/spot-check-plans", status_code=201, summary="Create a spot-check plan", response_model=PlanOut
)
def create_plan(body: PlanIn, principal: Supervisor, session: SessionDep) -> SpotCheckPlan:
    return plans.create_plan(
        session, body.name, body.spec, body.scheduled, principal.key_id, actor(principal)
    )


@router.post(
    "/v1/spot-check-plans/{plan_id}/run",
    status_code=201,
    summary="Sample now: the picks join the review queue; the seed is recorded",
    response_model=RunOut,
)
def run_plan(plan_id: int, body: RunIn, principal: Supervisor, session: SessionDep) -> RunOut:
    run, _ = plans.run_plan(
        session, plans.get_plan(session, plan_id), day=body.day, seed=body.seed, triggered_by=actor(principal)
    )
    return _run_out(session, run)


@router.get(
    "/v1/spot-checks",
    summary="Sampling runs with every pick's plan, seed and stratum",
    response_model=list[RunOut],
)
def list_runs(principal: Staff, session: SessionDep, plan_id: int | None = None) -> list[RunOut]:
    query = select(SpotCheckRun).order_by(SpotCheckRun.id.desc())
    if plan_id is not None:
        query = query.where(SpotCheckRun.plan_id == plan_id)
    return [_run_out(session, r) for r in session.scalars(query)]


@router.get(
    "/v1/spot-checks/{run_id}/statistics",
    summary="Per agent: sampled fraction, compliance per check with 95 % Wilson intervals "
    "(stratified weights), and the sample size for a margin of error",
)
def run_statistics(
    run_id: int,
    principal: Staff,
    session: SessionDep,
    margin: Annotated[float, Query(gt=0, lt=0.5, description="wanted half-width of the interval")] = 0.1,
) -> list[dict[str, Any]]:
    run = session.get(SpotCheckRun, run_id)
    if run is None:
        raise NotFoundError(f"no spot-check run {run_id}")
    return [s.to_dict() for s in plans.run_statistics(session, run, margin)]


@router.get(
    "/v1/calibration",
    summary="Per check: reviewer agreement (percent, Cohen's kappa) and the precision of automatic verdicts",
)
def get_calibration(principal: Supervisor, session: SessionDep) -> dict[str, Any]:
    return calibration(session)
