"""Spot-check plans in the database: run on demand or on schedule, every pick recorded with the
plan, seed and stratum that chose it; sampled calls join the review queue."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from qa_service import audit
from qa_service.db.tables import Agent, Call, Review, SpotCheckPick, SpotCheckPlan, SpotCheckRun, utcnow
from qa_service.errors import NotFoundError
from qa_service.reviews.queue import enqueue
from qa_service.reviews.statistics import Interval, sample_size_for_margin
from qa_service.reviews.workflow import latest_review
from qa_service.spotchecks.sampling import (
    Candidate,
    Pick,
    PlanSpec,
    compliance_by_check,
    period_bounds,
    period_label,
)
from qa_service.spotchecks.sampling import (
    select as select_calls,
)


def _at(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def get_plan(session: Session, plan_id: int) -> SpotCheckPlan:
    plan = session.get(SpotCheckPlan, plan_id)
    if plan is None:
        raise NotFoundError(f"no spot-check plan {plan_id}")
    return plan


def create_plan(
    session: Session, name: str, spec: PlanSpec, scheduled: bool, key_id: int, actor: str
) -> SpotCheckPlan:
    plan = SpotCheckPlan(name=name, spec=spec.model_dump(), scheduled=scheduled, created_by=key_id)
    if scheduled:  # first run when the current period ends, on the period just completed
        _, end = period_bounds(spec.period, utcnow().date())
        plan.next_run_at = _at(end)
    session.add(plan)
    session.flush()
    audit.record(session, actor, "spot_check_plan.created", "spot_check_plan", plan.id, spec=plan.spec)
    return plan


def candidates(session: Session, spec: PlanSpec, start: date, end: date) -> list[Candidate]:
    """Analysed calls that started in [start, end), with whether they were reviewed already."""
    reviewed = exists().where(Review.call_id == Call.id)
    query = (
        select(Call.id, Agent.external_id, Call.queue, Call.flagged, reviewed)
        .join(Agent, Agent.id == Call.agent_id)
        .where(Call.status == "done", Call.started_at >= _at(start), Call.started_at < _at(end))
    )
    if spec.agents:
        query = query.where(Agent.external_id.in_(spec.agents))
    if spec.queues:
        query = query.where(Call.queue.in_(spec.queues))
    return [
        Candidate(call_id=c, agent_id=a, queue=q, flagged=bool(f), reviewed=bool(r))
        for c, a, q, f, r in session.execute(query)
    ]


def run_plan(
    session: Session,
    plan: SpotCheckPlan,
    *,
    day: date | None = None,
    seed: int | None = None,
    triggered_by: str,
) -> tuple[SpotCheckRun, list[Pick]]:
    spec = PlanSpec.model_validate(plan.spec)
    day = day or utcnow().date()
    start, end = period_bounds(spec.period, day)
    seed = seed if seed is not None else secrets.randbelow(2**31)
    picks = select_calls(candidates(session, spec, start, end), spec, seed)
    run = SpotCheckRun(
        plan_id=plan.id,
        seed=seed,
        period=period_label(spec.period, start),
        period_start=_at(start),
        period_end=_at(end),
        triggered_by=triggered_by,
    )
    session.add(run)
    session.flush()
    for p in picks:
        session.add(
            SpotCheckPick(
                run_id=run.id,
                call_id=p.call_id,
                agent_id=p.agent_id,
                stratum=p.stratum,
                stratum_population=p.stratum_population,
                stratum_sampled=p.stratum_sampled,
            )
        )
        call = session.get(Call, p.call_id)
        assert call is not None
        enqueue(session, call, ["spot_check"])
    session.flush()
    audit.record(
        session,
        triggered_by,
        "spot_check.run",
        "spot_check_plan",
        plan.id,
        run_id=run.id,
        seed=seed,
        picks=len(picks),
    )
    return run, picks


def run_due_plans(session: Session) -> int:
    """Run scheduled plans whose period has ended (the worker calls this); returns how many ran."""
    ran = 0
    now = utcnow()
    for plan in session.scalars(
        select(SpotCheckPlan).where(
            SpotCheckPlan.scheduled.is_(True),
            SpotCheckPlan.active.is_(True),
            SpotCheckPlan.next_run_at <= now,
        )
    ):
        assert plan.next_run_at is not None
        spec = PlanSpec.model_validate(plan.spec)
        last_day = plan.next_run_at.date() - timedelta(days=1)
        run_plan(session, plan, day=last_day, triggered_by="schedule")
        _, next_end = period_bounds(spec.period, plan.next_run_at.date())
        plan.next_run_at = _at(next_end)
        ran += 1
    return ran


@dataclass(frozen=True)
class AgentStatistics:
    agent_id: str
    calls: int
    sampled: int
    reviewed: int
    compliance: dict[str, Interval]
    needed_for_margin: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "agent_id": self.agent_id,
            "calls": self.calls,
            "sampled": self.sampled,
            "sampled_fraction": round(self.sampled / self.calls, 4) if self.calls else None,
            "reviewed": self.reviewed,
            "compliance": {
                check: {"estimate": i.estimate, "low": i.low, "high": i.high, "n": i.n}
                for check, i in sorted(self.compliance.items())
            },
            "needed_for_margin": self.needed_for_margin,
        }


def run_statistics(session: Session, run: SpotCheckRun, margin: float) -> list[AgentStatistics]:
    """Per agent: sampled fraction, compliance per check (stratified, 95 % Wilson) from the
    reviewed picks, and the sample size a ±margin estimate would need."""
    picks = list(session.scalars(select(SpotCheckPick).where(SpotCheckPick.run_id == run.id)))
    by_agent: dict[str, list[SpotCheckPick]] = {}
    for p in picks:
        by_agent.setdefault(p.agent_id, []).append(p)
    out = []
    for agent_id, agent_picks in sorted(by_agent.items()):
        population = sum({p.stratum: p.stratum_population for p in agent_picks}.values())
        verdicts = {
            p.call_id: v for p in agent_picks if (v := reviewed_verdicts(session, p.call_id)) is not None
        }
        compliance = compliance_by_check(
            [
                Pick(p.call_id, p.agent_id, p.stratum, p.stratum_population, p.stratum_sampled)
                for p in agent_picks
                if p.call_id in verdicts
            ],
            verdicts,
        )
        out.append(
            AgentStatistics(
                agent_id=agent_id,
                calls=population,
                sampled=len(agent_picks),
                reviewed=len(verdicts),
                compliance=compliance,
                needed_for_margin=sample_size_for_margin(margin, population=population or None),
            )
        )
    return out


def reviewed_verdicts(session: Session, call_id: str) -> dict[str, bool] | None:
    """check id -> passed, as the latest review left it; None when the call was not reviewed."""
    review = latest_review(session, call_id)
    call = session.get(Call, call_id)
    if review is None or call is None or call.result is None:
        return None
    overturned = {d.check_id for d in review.decisions if d.decision == "overturn"}
    out = {}
    for f in call.result.get("findings", []):
        if f["status"] in ("passed", "failed"):
            passed = f["status"] == "passed"
            out[f["check_id"]] = (not passed) if f["check_id"] in overturned else passed
    return out
