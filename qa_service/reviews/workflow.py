"""Reviews: reviewers confirm or overturn each automatic finding, add manual findings and submit a
human score; disputes are resolved by a second reviewer. The machine score is kept beside."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from qa_service import audit
from qa_service.db.tables import ApiKey, Call, Dispute, Review, ReviewDecision, ReviewItem, utcnow
from qa_service.errors import ConflictError, ForbiddenError, InvalidMetadataError, NotFoundError
from qa_service.keys import Principal
from qa_service.scoring.schema import parse_rubric
from qa_service.scoring.score import aggregate


class DecisionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    check_id: str
    decision: Literal["confirm", "overturn"]
    reason: str | None = Field(default=None, max_length=2000)

    @model_validator(mode="after")
    def _reasoned(self) -> DecisionIn:
        if self.decision == "overturn" and not (self.reason and self.reason.strip()):
            raise ValueError(f"overturning {self.check_id!r} needs a reason")
        return self


class ManualFinding(BaseModel):
    """What machines cannot judge (e.g. 业务知识 accuracy): a deduction with its evidence."""

    model_config = ConfigDict(extra="forbid")
    category: str = Field(min_length=1, max_length=100)
    description: str = Field(min_length=1, max_length=2000)
    deduction: float = Field(ge=0, le=100, description="points off the total")
    start: float | None = Field(default=None, ge=0)
    end: float | None = Field(default=None, ge=0)


class ReviewIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "example": {
                "decisions": [
                    {"check_id": "greeting", "decision": "confirm"},
                    {
                        "check_id": "forbidden_expressions",
                        "decision": "overturn",
                        "reason": "客户原话，非坐席",
                    },
                ],
                "manual_findings": [
                    {
                        "category": "业务知识",
                        "description": "退货时限说错（应为7天）",
                        "deduction": 5,
                        "start": 41.2,
                    }
                ],
                "human_score": None,
                "comment": "",
            }
        },
    )
    decisions: list[DecisionIn] = Field(default_factory=list)
    manual_findings: list[ManualFinding] = Field(default_factory=list)
    human_score: float | None = Field(
        default=None, ge=0, le=100, description="omit to use the score computed from the decisions"
    )
    comment: str | None = Field(default=None, max_length=5000)


@dataclass(frozen=True)
class _Verdict:
    check_id: str
    category: str
    status: str
    severity: str
    points: float
    needs_review: bool = False


_FLIP = {"passed": "failed", "failed": "passed"}


def reviewed_score(call: Call, overturned: set[str], deduction: float) -> float | None:
    """The call's rubric score with these findings overturned and manual deductions applied."""
    if call.result is None or call.rubric is None:
        return None
    rubric = parse_rubric(call.rubric.content, call.rubric.rubric_id).rubric
    verdicts = [
        _Verdict(
            f["check_id"],
            f["category"],
            _FLIP.get(f["status"], f["status"]) if f["check_id"] in overturned else f["status"],
            f["severity"],
            float(f.get("points", 0.0)),
        )
        for f in call.result.get("findings", [])
    ]
    total, *_ = aggregate(verdicts, rubric)
    return None if total is None else round(max(0.0, total - deduction), 2)


def effective_score(call: Call) -> float | None:
    """The score in force: the human one once reviewed, else the machine's."""
    return call.human_score if call.provenance == "human_reviewed" else call.score_total


def _findings(call: Call) -> dict[str, dict[str, Any]]:
    return {f["check_id"]: f for f in (call.result or {}).get("findings", [])}


def actor(principal: Principal) -> str:
    return f"{principal.role}:{principal.name}"


def submit_review(session: Session, call: Call, body: ReviewIn, principal: Principal) -> Review:
    if call.status != "done" or call.result is None:
        raise ConflictError(f"call {call.id} is {call.status}: only analysed calls can be reviewed")
    item = session.scalar(select(ReviewItem).where(ReviewItem.call_id == call.id))
    if principal.role == "reviewer" and (item is None or item.assigned_to != principal.key_id):
        raise ForbiddenError("reviewers review the calls assigned to them")
    findings = _findings(call)
    for d in body.decisions:
        finding = findings.get(d.check_id)
        if finding is None:
            raise InvalidMetadataError(f"the call has no finding {d.check_id!r}")
        if finding["status"] not in _FLIP:
            raise InvalidMetadataError(f"{d.check_id!r} was not applicable: nothing to confirm or overturn")
    if len({d.check_id for d in body.decisions}) != len(body.decisions):
        raise InvalidMetadataError("one decision per finding")
    overturned = {d.check_id for d in body.decisions if d.decision == "overturn"}
    deduction = sum(m.deduction for m in body.manual_findings)
    computed = reviewed_score(call, overturned | _upheld_disputes(session, call.id), deduction)
    human = body.human_score if body.human_score is not None else computed
    if human is None:
        raise InvalidMetadataError("the call has no machine score to start from: give human_score")
    previous = session.scalar(
        select(func.max(Review.version)).where(
            Review.call_id == call.id, Review.reviewer_id == principal.key_id
        )
    )
    review = Review(
        call_id=call.id,
        reviewer_id=principal.key_id,
        version=(previous or 0) + 1,
        human_score=human,
        computed_score=computed,
        comment=body.comment,
        manual_findings=[m.model_dump() for m in body.manual_findings],
        decisions=[
            ReviewDecision(
                check_id=d.check_id,
                machine_status=findings[d.check_id]["status"],
                decision=d.decision,
                reason=d.reason,
            )
            for d in body.decisions
        ],
    )
    session.add(review)
    before = effective_score(call)
    call.human_score, call.provenance, call.reviewed_at = human, "human_reviewed", utcnow()
    if item is not None:
        item.status, item.done_at = "done", utcnow()
    session.flush()
    audit.record(
        session,
        actor(principal),
        "review.submitted",
        "call",
        call.id,
        review_id=review.id,
        version=review.version,
        score_before=before,
        human_score=human,
        machine_score=call.score_total,
        overturned=sorted(overturned),
    )
    return review


def _upheld_disputes(session: Session, call_id: str) -> set[str]:
    return set(
        session.scalars(
            select(Dispute.check_id).where(Dispute.call_id == call_id, Dispute.status == "upheld")
        )
    )


def latest_review(session: Session, call_id: str) -> Review | None:
    return session.scalar(
        select(Review)
        .where(Review.call_id == call_id)
        .order_by(Review.created_at.desc(), Review.id.desc())
        .limit(1)
    )


def open_dispute(
    session: Session, call: Call, check_id: str, reason: str, principal: Principal, window_days: float
) -> Dispute:
    if check_id not in _findings(call):
        raise InvalidMetadataError(f"the call has no finding {check_id!r}")
    if not reason.strip():
        raise InvalidMetadataError("a dispute needs a reason")
    check_team(session, principal, call.agent.team)
    since = call.reviewed_at or call.finished_at
    if since is None or utcnow() > since + timedelta(days=window_days):
        raise ConflictError(f"the dispute window ({window_days:g} days after the score) has closed")
    if session.scalar(
        select(Dispute.id).where(
            Dispute.call_id == call.id, Dispute.check_id == check_id, Dispute.status == "open"
        )
    ):
        raise ConflictError(f"{check_id!r} of this call is already disputed")
    dispute = Dispute(call_id=call.id, check_id=check_id, reason=reason, opened_by=principal.key_id)
    session.add(dispute)
    session.flush()
    audit.record(
        session, actor(principal), "dispute.opened", "dispute", dispute.id, call_id=call.id, check_id=check_id
    )
    return dispute


def resolve_dispute(
    session: Session, dispute: Dispute, upheld: bool, resolution: str, principal: Principal
) -> Dispute:
    """Upheld: the disputed finding counts as overturned from now on, and the score follows."""
    if dispute.status != "open":
        raise ConflictError(f"dispute {dispute.id} is already {dispute.status}")
    reviewers = set(session.scalars(select(Review.reviewer_id).where(Review.call_id == dispute.call_id)))
    if principal.key_id == dispute.opened_by or principal.key_id in reviewers:
        raise ForbiddenError(
            "a dispute is resolved by a second reviewer: not its opener nor the call's reviewer"
        )
    call = session.get(Call, dispute.call_id)
    assert call is not None
    before = effective_score(call)
    dispute.status = "upheld" if upheld else "rejected"
    dispute.resolved_by, dispute.resolution, dispute.resolved_at = principal.key_id, resolution, utcnow()
    session.flush()
    if upheld:
        review = latest_review(session, call.id)
        reviewed = {d.check_id for d in review.decisions if d.decision == "overturn"} if review else set()
        deduction = sum(float(m.get("deduction", 0)) for m in review.manual_findings) if review else 0.0
        call.human_score = reviewed_score(call, reviewed | _upheld_disputes(session, call.id), deduction)
        call.provenance, call.reviewed_at = "human_reviewed", utcnow()
    audit.record(
        session,
        actor(principal),
        f"dispute.{dispute.status}",
        "dispute",
        dispute.id,
        call_id=call.id,
        check_id=dispute.check_id,
        score_before=before,
        score_after=effective_score(call),
    )
    return dispute


def check_team(session: Session, principal: Principal, team: str | None) -> None:
    """Keys scoped to a team act only on that team's agents."""
    key = session.get(ApiKey, principal.key_id)
    if key is not None and key.team and team != key.team:
        raise ForbiddenError(f"this key is scoped to team {key.team!r}")


def key_team(session: Session, principal: Principal) -> str | None:
    key = session.get(ApiKey, principal.key_id)
    return key.team if key is not None else None


def get_dispute(session: Session, dispute_id: int) -> Dispute:
    dispute = session.get(Dispute, dispute_id)
    if dispute is None:
        raise NotFoundError(f"no dispute {dispute_id}")
    return dispute
