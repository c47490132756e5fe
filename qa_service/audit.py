"""The audit log: every change to reviews, disputes, plans and assignments, with who and when."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from qa_service.db.tables import AuditEntry


def record(session: Session, actor: str, action: str, entity: str, entity_id: object, **detail: Any) -> None:
    session.add(
        AuditEntry(actor=actor, action=action, entity=entity, entity_id=str(entity_id), detail=detail)
    )
