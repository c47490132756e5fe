"""Scorecards from the database: each agent's calls of a period turned into assessment inputs,
with the reviewed (human) view wherever a review or dispute changed the machine's."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from qa_service.assessments.compute import CallInput, Scorecard, scorecards
from qa_service.assessments.config import AssessmentConfig, load_assessment_config
from qa_service.db.tables import Agent, Call
from qa_service.errors import InvalidMetadataError
from qa_service.spotchecks.plans import reviewed_verdicts

DEFAULT_CONFIG = "assessment.default.yaml"
# Uploader tags that mark a call which led to a formal complaint about the agent (投诉).
COMPLAINT_TAGS = {"complaint", "投诉", "客诉"}


def parse_period(period: str) -> tuple[date, date, str]:
    """``2026-11`` -> (2026-11-01, 2026-12-01, previous period label)."""
    try:
        year, month = (int(x) for x in period.split("-"))
        start = date(year, month, 1)
    except ValueError as exc:
        raise InvalidMetadataError(f"period must look like 2026-11, got {period!r}") from exc
    end = date(year + month // 12, month % 12 + 1, 1)
    return start, end, shift_period(f"{year:04d}-{month:02d}", -1)


def shift_period(period: str, months: int) -> str:
    """``2026-11`` moved by ``months`` (``-1``: ``2026-10``)."""
    year, month = (int(x) for x in period.split("-"))
    index = year * 12 + month - 1 + months
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def load_config(rubric_dir: Path) -> AssessmentConfig:
    return load_assessment_config(rubric_dir / DEFAULT_CONFIG)


def call_input(session: Session, call: Call) -> CallInput:
    result = call.result or {}
    findings = result.get("findings", [])
    resolution = next((f for f in findings if f.get("kind") == "resolution"), None)
    outcome = ((resolution or {}).get("data") or {}).get("outcome")
    reviewed = reviewed_verdicts(session, call.id) if call.provenance == "human_reviewed" else None
    if reviewed is not None:
        failed = [check for check, passed in reviewed.items() if not passed]
    else:
        failed = [f["check_id"] for f in findings if f["status"] == "failed"]
    latency = (result.get("metrics") or {}).get("response_latency") or {}
    categories = ((result.get("score") or {}).get("categories")) or {}
    return CallInput(
        call_id=call.id,
        agent_id=call.agent.external_id,
        team=call.agent.team,
        machine_score=call.score_total,
        human_score=call.human_score if call.provenance == "human_reviewed" else None,
        categories={k: v for k, v in categories.items() if v is not None},
        # A promised follow-up is not a resolution yet: it counts once the outcome is known.
        resolved={"resolved": True, "unresolved": False}.get(outcome or ""),
        satisfaction=call.customer_satisfaction,
        duration_s=call.duration_s,
        response_latency_s=latency.get("mean_s"),
        complaint=bool(COMPLAINT_TAGS & {str(t).lower() for t in (call.tags or [])}),
        failed_checks=failed,
    )


def _calls(session: Session, start: date, end: date, team: str | None, agent: str | None) -> list[Call]:
    query = (
        select(Call)
        .join(Agent, Agent.id == Call.agent_id)
        .where(
            Call.status == "done",
            Call.started_at >= datetime.combine(start, time.min, tzinfo=UTC),
            Call.started_at < datetime.combine(end, time.min, tzinfo=UTC),
        )
        .order_by(Call.started_at, Call.id)
    )
    if team:
        query = query.where(Agent.team == team)
    if agent:
        query = query.where(Agent.external_id == agent)
    return list(session.scalars(query))


def assess(
    session: Session, config: AssessmentConfig, period: str, team: str | None = None
) -> list[Scorecard]:
    """Scorecards of every agent (of a team) with calls in the period; trends against the last one.

    Ranks and the 服务之星 are computed within each team, so a team filter does not change them."""
    start, end, previous_label = parse_period(period)
    calls = _calls(session, start, end, team, None)
    prev_start, prev_end, _ = parse_period(previous_label)
    previous_cards = scorecards(
        [call_input(session, c) for c in _calls(session, prev_start, prev_end, team, None)], config
    )
    previous = {card.agent_id: card.total for card in previous_cards if card.total is not None}
    return scorecards([call_input(session, c) for c in calls], config, previous)


def to_csv(cards: list[Scorecard]) -> str:
    rows = [_flat(card) for card in cards]
    out = io.StringIO()
    if rows:
        writer = csv.DictWriter(out, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return out.getvalue()


def to_xlsx(cards: list[Scorecard], period: str) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = f"考核 {period}"
    rows = [_flat(card) for card in cards]
    if rows:
        sheet.append(list(rows[0]))
        for row in rows:
            sheet.append(list(row.values()))
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _flat(card: Scorecard) -> dict[str, Any]:
    data = card.to_dict()
    row: dict[str, Any] = {
        "agent_id": data["agent_id"],
        "team": data["team"],
        "calls": data["calls"],
        "total": data["total"],
        "grade": data["grade"],
        "passed": data["passed"],
        "rank_in_team": data["rank_in_team"],
        "star": data["star"],
        "trend": data["trend"],
    }
    for name, component in data["components"].items():
        row[f"{name}_score"] = component["score"]
    row["top_failed_checks"] = "; ".join(f"{c['check_id']}×{c['count']}" for c in data["top_failed_checks"])
    return row
