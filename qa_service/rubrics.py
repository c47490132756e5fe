"""Published rubric versions: validated, immutable, one active per language (and queue)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from qa_service.db.tables import Rubric
from qa_service.errors import ConflictError, NotFoundError
from qa_service.scoring.engine import DEFAULT_RUBRICS
from qa_service.scoring.schema import LoadedRubric, parse_rubric


def publish(session: Session, text: str, source: str = "upload") -> tuple[Rubric, bool]:
    """Store a new rubric version; (row, created). Re-publishing identical content is a no-op."""
    loaded = parse_rubric(text, source)
    r = loaded.rubric
    existing = session.scalar(select(Rubric).where(Rubric.rubric_id == r.id, Rubric.version == r.version))
    if existing is not None:
        if existing.sha256 != loaded.sha256:
            raise ConflictError(
                f"rubric {r.id} version {r.version} is already published with other content; "
                "published versions are immutable: raise the version"
            )
        return existing, False
    row = Rubric(
        rubric_id=r.id,
        version=r.version,
        language=r.language,
        name=r.name,
        sha256=loaded.sha256,
        content=text,
    )
    session.add(row)
    session.flush()
    return row, True


def activate(session: Session, rubric_id: str, version: int, queue: str | None = None) -> Rubric:
    """Make a version the active one for its language (and queue, when given)."""
    row = get(session, rubric_id, version)
    for other in session.scalars(
        select(Rubric).where(Rubric.language == row.language, Rubric.active.is_(True), Rubric.id != row.id)
    ):
        if other.queue == queue:
            other.active = False
    row.active, row.queue = True, queue
    session.flush()
    return row


def get(session: Session, rubric_id: str, version: int) -> Rubric:
    row = session.scalar(select(Rubric).where(Rubric.rubric_id == rubric_id, Rubric.version == version))
    if row is None:
        raise NotFoundError(f"no rubric {rubric_id} version {version}")
    return row


def active_for(session: Session, language: str, queue: str | None) -> Rubric | None:
    """The queue's own active rubric, else the language's general one."""
    rows = session.scalars(select(Rubric).where(Rubric.language == language, Rubric.active.is_(True))).all()
    return next((r for r in rows if queue and r.queue == queue), None) or next(
        (r for r in rows if r.queue is None), None
    )


def loaded(row: Rubric) -> LoadedRubric:
    return parse_rubric(row.content, f"{row.rubric_id}@{row.version}")


@dataclass
class SeedReport:
    activated: list[str] = field(default_factory=list)  # "id@version"
    refused: list[str] = field(default_factory=list)  # why a default was not published


def seed_defaults(session: Session, rubric_dir: Path) -> SeedReport:
    """Publish the bundled default rubrics.

    A default becomes active where its language has no general rubric active, and replaces an
    older version of itself: a deployment that runs on the defaults gets their corrections,
    one that activated its own rubric keeps it. An edited default that kept its version is
    refused (published versions are immutable) and the published one stays in force.
    """
    report = SeedReport()
    for name in DEFAULT_RUBRICS.values():
        path = rubric_dir / name
        if not path.is_file():
            continue
        try:
            row, _ = publish(session, path.read_text(encoding="utf-8"), str(path))
        except ConflictError as exc:
            report.refused.append(exc.message)
            continue
        current = active_for(session, row.language, None)
        if current is None or (current.rubric_id == row.rubric_id and current.version < row.version):
            activate(session, row.rubric_id, row.version)
            report.activated.append(f"{row.rubric_id}@{row.version}")
    return report
