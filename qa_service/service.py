"""What `serve` and `worker` do before they start: the data directory, migrations, rubrics."""

from __future__ import annotations

import logging
import secrets

from qa_service import keys, rubrics
from qa_service.config import Settings
from qa_service.db import migrate
from qa_service.db.session import session_scope

log = logging.getLogger("qa_service.service")


def prepare(settings: Settings) -> None:
    """Create the data directory, upgrade the database, publish the bundled default rubrics."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    migrate.upgrade(settings.db_url)
    with session_scope(settings.db_url) as session:
        report = rubrics.seed_defaults(session, settings.rubric_dir)
    for rubric in report.activated:
        log.info("default rubric active", extra={"rubric": rubric})
    for reason in report.refused:
        log.warning("default rubric not published", extra={"reason": reason})


def first_admin_key(settings: Settings) -> str | None:
    """A new admin key when the database has none (first start), else None."""
    with session_scope(settings.db_url) as session:
        if keys.has_admin(session):
            return None
        return keys.create_key(session, "admin", "admin")


def first_console_admin(settings: Settings) -> str | None:
    """On first start (no console users yet), the console user ``admin`` with a new random
    password, which is returned to be shown once; else None."""
    from sqlalchemy import select

    from qa_service import users
    from qa_service.db.tables import ConsoleUser

    with session_scope(settings.db_url) as session:
        if session.scalar(select(ConsoleUser.id).limit(1)) is not None:
            return None
        password = secrets.token_urlsafe(12)
        users.create_user(session, "admin", password, "admin")
        return password
