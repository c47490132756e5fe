"""The service's tables. The call row is also the job: the worker claims it by its status."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator


def utcnow() -> datetime:
    return datetime.now(UTC)


class UtcDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every database (SQLite stores them naive)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UtcDateTime,
        dict[str, Any]: JSON,
        list[Any]: JSON,
    }


CALL_STATUSES = ("queued", "running", "done", "failed")
ROLES = ("uploader", "reviewer", "supervisor", "admin")


class ApiKey(Base):
    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    prefix: Mapped[str] = mapped_column(String(16), unique=True)
    key_hash: Mapped[str] = mapped_column(String(64))
    role: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(100))
    webhook_url: Mapped[str | None] = mapped_column(String(2000))
    webhook_secret: Mapped[str | None] = mapped_column(String(100))
    # Supervisors and reviewers may be scoped to one team (None: every team).
    team: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None]


class Agent(Base):
    __tablename__ = "agents"

    id: Mapped[int] = mapped_column(primary_key=True)
    external_id: Mapped[str] = mapped_column(String(200), unique=True)
    name: Mapped[str | None] = mapped_column(String(200))
    team: Mapped[str | None] = mapped_column(String(200), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Rubric(Base):
    """A published rubric version: immutable; at most one active per language and queue."""

    __tablename__ = "rubrics"
    __table_args__ = (UniqueConstraint("rubric_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    rubric_id: Mapped[str] = mapped_column(String(200))
    version: Mapped[int]
    language: Mapped[str] = mapped_column(String(8))
    name: Mapped[str] = mapped_column(String(200))
    sha256: Mapped[str] = mapped_column(String(64))
    content: Mapped[str] = mapped_column(Text)
    active: Mapped[bool] = mapped_column(Boolean, default=False)
    queue: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Call(Base):
    __tablename__ = "calls"
    __table_args__ = (
        UniqueConstraint("source", "external_id"),
        Index("ix_calls_claim", "status", "not_before", "created_at"),
        Index("ix_calls_listing", "created_at", "id"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    source: Mapped[str] = mapped_column(String(100))
    external_id: Mapped[str] = mapped_column(String(200))
    uploaded_by: Mapped[int] = mapped_column(ForeignKey("api_keys.id"), index=True)
    agent_id: Mapped[int] = mapped_column(ForeignKey("agents.id"), index=True)
    # The recording, content-addressed under the data directory.
    content_sha256: Mapped[str] = mapped_column(String(64))
    audio_path: Mapped[str] = mapped_column(String(300))
    audio_size: Mapped[int]
    audio_format: Mapped[str] = mapped_column(String(40))
    audio_channels: Mapped[int]
    duration_s: Mapped[float] = mapped_column(Float)
    # Metadata from the uploader.
    started_at: Mapped[datetime | None] = mapped_column(index=True)
    direction: Mapped[str | None] = mapped_column(String(16))
    channel_layout: Mapped[str] = mapped_column(String(32))
    language: Mapped[str] = mapped_column(String(8))
    ring_seconds: Mapped[float | None] = mapped_column(Float)
    queue: Mapped[str | None] = mapped_column(String(200), index=True)
    customer_satisfaction: Mapped[int | None]
    tags: Mapped[list[Any]] = mapped_column(default=list)
    # The job.
    status: Mapped[str] = mapped_column(String(16), default="queued")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    not_before: Mapped[datetime | None]
    worker_id: Mapped[str | None] = mapped_column(String(100))
    lease_expires_at: Mapped[datetime | None]
    error_code: Mapped[str | None] = mapped_column(String(100))
    error: Mapped[str | None] = mapped_column(Text)
    failed_stage: Mapped[str | None] = mapped_column(String(40))
    timings: Mapped[dict[str, Any] | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    processing_started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    # Results (texts masked as configured).
    result: Mapped[dict[str, Any] | None]
    rubric_pk: Mapped[int | None] = mapped_column(ForeignKey("rubrics.id"))
    score_total: Mapped[float | None] = mapped_column(Float, index=True)
    flagged: Mapped[bool | None] = mapped_column(Boolean, index=True)
    flag_reasons: Mapped[list[Any] | None]
    transcript_text: Mapped[str | None] = mapped_column(Text)
    # After QA review: the reviewer's score; `provenance` says which score is in force.
    human_score: Mapped[float | None] = mapped_column(Float)
    provenance: Mapped[str] = mapped_column(String(20), default="machine", server_default="machine")
    reviewed_at: Mapped[datetime | None]

    agent: Mapped[Agent] = relationship(lazy="selectin")
    rubric: Mapped[Rubric | None] = relationship(lazy="selectin")


class CallCheck(Base):
    """One row per check verdict of a call's current score: the 'failed check' filter."""

    __tablename__ = "call_checks"
    __table_args__ = (Index("ix_call_checks_check_status", "check_id", "status"),)

    call_id: Mapped[str] = mapped_column(ForeignKey("calls.id", ondelete="CASCADE"), primary_key=True)
    check_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    status: Mapped[str] = mapped_column(String(20))
    severity: Mapped[str] = mapped_column(String(20))


class StageTiming(Base):
    """Seconds spent per pipeline stage and attempt (metrics; never updated)."""

    __tablename__ = "stage_timings"

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[str] = mapped_column(ForeignKey("calls.id", ondelete="CASCADE"), index=True)
    stage: Mapped[str] = mapped_column(String(40))
    seconds: Mapped[float] = mapped_column(Float)
    failed: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class WebhookDelivery(Base):
    """The outbox: written with the call's final status, delivered and retried by workers."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (Index("ix_webhook_due", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[str] = mapped_column(ForeignKey("calls.id", ondelete="CASCADE"), index=True)
    key_id: Mapped[int] = mapped_column(ForeignKey("api_keys.id"), index=True)
    event: Mapped[str] = mapped_column(String(40))
    url: Mapped[str] = mapped_column(String(2000))
    payload: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_status_code: Mapped[int | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    delivered_at: Mapped[datetime | None]


class ReviewItem(Base):
    """The review queue: a flagged or spot-check-sampled call waiting for (or under) review."""

    __tablename__ = "review_items"
    __table_args__ = (Index("ix_review_items_open", "status", "priority", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[str] = mapped_column(ForeignKey("calls.id", ondelete="CASCADE"), unique=True)
    reasons: Mapped[list[Any]] = mapped_column(default=list)
    priority: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[str] = mapped_column(String(16), default="open")  # open | assigned | done
    assigned_to: Mapped[int | None] = mapped_column(ForeignKey("api_keys.id"), index=True)
    assigned_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    done_at: Mapped[datetime | None]

    call: Mapped[Call] = relationship(lazy="selectin")


class Review(Base):
    """One submitted review of a call; a later submission by the same reviewer is a new version."""

    __tablename__ = "reviews"

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[str] = mapped_column(ForeignKey("calls.id", ondelete="CASCADE"), index=True)
    reviewer_id: Mapped[int] = mapped_column(ForeignKey("api_keys.id"), index=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    human_score: Mapped[float] = mapped_column(Float)
    computed_score: Mapped[float | None] = mapped_column(Float)
    comment: Mapped[str | None] = mapped_column(Text)
    manual_findings: Mapped[list[Any]] = mapped_column(default=list)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    decisions: Mapped[list[ReviewDecision]] = relationship(
        lazy="selectin", order_by="ReviewDecision.check_id"
    )


class ReviewDecision(Base):
    __tablename__ = "review_decisions"
    __table_args__ = (Index("ix_review_decisions_check", "check_id", "decision"),)

    review_id: Mapped[int] = mapped_column(ForeignKey("reviews.id", ondelete="CASCADE"), primary_key=True)
    check_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    machine_status: Mapped[str] = mapped_column(String(20))
    decision: Mapped[str] = mapped_column(String(16))  # confirm | overturn
    reason: Mapped[str | None] = mapped_column(Text)


class Dispute(Base):
    __tablename__ = "disputes"

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[str] = mapped_column(ForeignKey("calls.id", ondelete="CASCADE"), index=True)
    check_id: Mapped[str] = mapped_column(String(200))
    reason: Mapped[str] = mapped_column(Text)
    opened_by: Mapped[int] = mapped_column(ForeignKey("api_keys.id"))
    opened_at: Mapped[datetime] = mapped_column(default=utcnow)
    status: Mapped[str] = mapped_column(String(16), default="open", index=True)  # open | upheld | rejected
    resolved_by: Mapped[int | None] = mapped_column(ForeignKey("api_keys.id"))
    resolution: Mapped[str | None] = mapped_column(Text)
    resolved_at: Mapped[datetime | None]


class SpotCheckPlan(Base):
    __tablename__ = "spot_check_plans"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    spec: Mapped[dict[str, Any]]
    scheduled: Mapped[bool] = mapped_column(Boolean, default=False)
    next_run_at: Mapped[datetime | None]
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_by: Mapped[int] = mapped_column(ForeignKey("api_keys.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class SpotCheckRun(Base):
    __tablename__ = "spot_check_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("spot_check_plans.id"), index=True)
    seed: Mapped[int] = mapped_column(Integer)
    period: Mapped[str] = mapped_column(String(16))
    period_start: Mapped[datetime]
    period_end: Mapped[datetime]
    triggered_by: Mapped[str] = mapped_column(String(100))  # a key name, or "schedule"
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class SpotCheckPick(Base):
    """Audit of a sampled call: which plan, run (seed) and stratum chose it, and its weight."""

    __tablename__ = "spot_check_picks"

    run_id: Mapped[int] = mapped_column(
        ForeignKey("spot_check_runs.id", ondelete="CASCADE"), primary_key=True
    )
    call_id: Mapped[str] = mapped_column(ForeignKey("calls.id", ondelete="CASCADE"), primary_key=True)
    agent_id: Mapped[str] = mapped_column(String(200), index=True)
    stratum: Mapped[str] = mapped_column(String(300))
    stratum_population: Mapped[int] = mapped_column(Integer)
    stratum_sampled: Mapped[int] = mapped_column(Integer)


class AuditEntry(Base):
    """Who changed what, when: reviews, decisions, disputes, plans, assignments."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_entity", "entity", "entity_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(60))
    entity: Mapped[str] = mapped_column(String(40))
    entity_id: Mapped[str] = mapped_column(String(64))
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)


CONSOLE_ROLES = ("reviewer", "supervisor", "admin")


class ConsoleUser(Base):
    """A person who signs in to the web console. Reviews, assignments and the audit log refer to
    API keys, so each user owns an identity key row (``key_id``) whose secret was never kept: the
    user acts as that key, with the same role and team semantics as a real API key."""

    __tablename__ = "console_users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(300))
    role: Mapped[str] = mapped_column(String(16))
    team: Mapped[str | None] = mapped_column(String(200))
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    key_id: Mapped[int] = mapped_column(ForeignKey("api_keys.id"), unique=True)
    failed_sign_ins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_sign_in_at: Mapped[datetime | None]


class ConsoleSession(Base):
    """A signed-in browser: only a SHA-256 of the cookie's token is stored."""

    __tablename__ = "console_sessions"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("console_users.id", ondelete="CASCADE"), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
