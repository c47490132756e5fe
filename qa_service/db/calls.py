"""Queries on calls: listing with filters and keyset (cursor) pagination."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, and_, exists, or_, select
from sqlalchemy.orm import Session

from qa_service.db.tables import Agent, Call, CallCheck
from qa_service.errors import InvalidMetadataError


@dataclass(frozen=True)
class CallFilters:
    agent: str | None = None
    team: str | None = None
    queue: str | None = None
    started_from: datetime | None = None
    started_to: datetime | None = None
    status: str | None = None
    flagged: bool | None = None
    score_min: float | None = None
    score_max: float | None = None
    failed_check: str | None = None
    text: str | None = None
    uploaded_by: int | None = None


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def filtered(f: CallFilters) -> Select[Call]:
    query = select(Call)
    if f.agent or f.team:
        query = query.join(Agent, Agent.id == Call.agent_id)
        if f.agent:
            query = query.where(Agent.external_id == f.agent)
        if f.team:
            query = query.where(Agent.team == f.team)
    conditions = [
        Call.queue == f.queue if f.queue else None,
        Call.started_at >= f.started_from if f.started_from else None,
        Call.started_at < f.started_to if f.started_to else None,
        Call.status == f.status if f.status else None,
        Call.flagged.is_(f.flagged) if f.flagged is not None else None,
        Call.score_total >= f.score_min if f.score_min is not None else None,
        Call.score_total <= f.score_max if f.score_max is not None else None,
        Call.uploaded_by == f.uploaded_by if f.uploaded_by is not None else None,
    ]
    query = query.where(*[c for c in conditions if c is not None])
    if f.failed_check:
        query = query.where(
            exists().where(
                CallCheck.call_id == Call.id,
                CallCheck.check_id == f.failed_check,
                CallCheck.status == "failed",
            )
        )
    if f.text:
        words = [w for w in f.text.split() if w]
        query = query.where(*[Call.transcript_text.ilike(f"%{_escape_like(w)}%", escape="\\") for w in words])
    return query


def encode_cursor(call: Call) -> str:
    raw = json.dumps([call.created_at.isoformat(), call.id]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, str]:
    try:
        created, call_id = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        return datetime.fromisoformat(created), str(call_id)
    except (ValueError, TypeError) as exc:
        raise InvalidMetadataError("invalid cursor: pass the next_cursor of a previous page") from exc


def list_calls(
    session: Session, f: CallFilters, *, cursor: str | None = None, limit: int = 50
) -> tuple[list[Call], str | None]:
    """Newest first; ``next_cursor`` is None on the last page."""
    query = filtered(f)
    if cursor:
        created, call_id = decode_cursor(cursor)
        query = query.where(
            or_(Call.created_at < created, and_(Call.created_at == created, Call.id < call_id))
        )
    rows = list(
        session.scalars(query.order_by(Call.created_at.desc(), Call.id.desc()).limit(limit + 1)).unique()
    )
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, encode_cursor(rows[-1]) if more and rows else None
