"""The worker: claims queued calls and processes them, one at a time, with a renewed lease.

The unit of work is :func:`process_call`, a pure function of a call id, so that a distributed
queue could dispatch it instead of :func:`run_worker`'s polling loop. Several worker processes
are safe: a call is claimed by one conditional UPDATE (PostgreSQL also skips rows another worker
has locked), and only the worker holding the lease may store the result.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm import Session

from qa_service import rubrics
from qa_service.config import Settings
from qa_service.db.session import get_engine, session_scope
from qa_service.db.tables import Call, CallCheck, StageTiming, utcnow
from qa_service.errors import AudioError, LayoutError, QAError
from qa_service.ingest import AGENT_CHANNEL
from qa_service.reviews.queue import enqueue_flagged
from qa_service.scoring.schema import RubricError
from qa_service.spotchecks.plans import run_due_plans
from qa_service.storage import RecordingStore
from qa_service.users import sweep_sessions
from qa_service.webhooks import deliver_due, enqueue_for_call

log = logging.getLogger("qa_service.worker")

# Stages in the order the pipeline reports them; a failure is charged to the one after the last
# reported (model loading and language detection run inside 'detect_speech'..'transcribe').
STAGES = ("decode", "detect_speech", "transcribe", "assign_roles", "measure_pacing", "score", "store")
_HOUSEKEEPING_INTERVAL_S = 60.0  # due spot-check plans, expired console sessions
# Errors no retry can fix: the recording itself, its layout, the rubric.
PERMANENT_ERRORS: tuple[type[QAError], ...] = (AudioError, LayoutError, RubricError)


class Released(Exception):
    """The worker is shutting down and gave the call back to the queue."""


@dataclass
class Outcome:
    call_id: str
    status: str  # done | failed | queued (retry or released) | lost (lease taken over)


def new_worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


def claim_next(settings: Settings, worker_id: str) -> str | None:
    """Take the oldest due queued call; re-queue calls whose worker stopped renewing its lease."""
    url = settings.db_url
    now = utcnow()
    with session_scope(url) as session:
        _recover_expired(session, settings)
        query = (
            select(Call.id)
            .where(Call.status == "queued", or_(Call.not_before.is_(None), Call.not_before <= now))
            .order_by(Call.created_at, Call.id)
            .limit(1)
        )
        if get_engine(url).dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True)
        call_id = session.scalar(query)
        if call_id is None:
            return None
        claimed = session.execute(
            update(Call)
            .where(Call.id == call_id, Call.status == "queued")
            .values(
                status="running",
                worker_id=worker_id,
                lease_expires_at=now + timedelta(seconds=settings.service.lease_s),
                attempts=Call.attempts + 1,
                processing_started_at=now,
                not_before=None,
            )
        )
        return call_id if claimed.rowcount == 1 else None  # type: ignore[attr-defined]


def _recover_expired(session: Session, settings: Settings) -> None:
    now = utcnow()
    for call in session.scalars(
        select(Call).where(Call.status == "running", Call.lease_expires_at < now).with_for_update()
    ):
        log.warning("lease expired", extra={"call_id": call.id, "worker": call.worker_id})
        if call.attempts >= settings.service.max_attempts:
            _mark_failed(session, call, "worker_lost", "the worker stopped while processing it", None)
        else:
            call.status, call.worker_id, call.lease_expires_at = "queued", None, None


def renew_lease(settings: Settings, call_id: str, worker_id: str) -> bool:
    with session_scope(settings.db_url) as session:
        renewed = session.execute(
            update(Call)
            .where(Call.id == call_id, Call.worker_id == worker_id, Call.status == "running")
            .values(lease_expires_at=utcnow() + timedelta(seconds=settings.service.lease_s))
        )
        return renewed.rowcount == 1  # type: ignore[attr-defined]


def process_call(
    call_id: str,
    settings: Settings,
    worker_id: str,
    *,
    should_stop: Callable[[], bool] = lambda: False,
) -> Outcome:
    """Analyse and score one claimed call and store the result (or the failure) on its row."""
    from qa_service.pipeline import run_pipeline
    from qa_service.report import analysis_to_dict
    from qa_service.scoring.engine import score_analysis

    with session_scope(settings.db_url) as session:
        call = session.get(Call, call_id)
        if call is None or call.worker_id != worker_id:
            return Outcome(call_id, "lost")
        path = RecordingStore(settings.data_dir).path_of(call.audio_path)
        layout, language, queue = call.channel_layout, call.language, call.queue
    done: list[str] = []
    stage_started = [time.monotonic()]

    def hook(step: str, *_: Any, completed: int | None = None, total: int | None = None) -> None:
        if step in STAGES and (completed is None or completed == total):
            done.append(step)
            stage_started[0] = time.monotonic()
        if should_stop():
            raise Released

    heartbeat = _Heartbeat(settings, call_id, worker_id)
    heartbeat.start()
    try:
        analysis = run_pipeline(
            path, settings, agent_channel=AGENT_CHANNEL[layout], language=language, hook=hook
        )
        data = analysis_to_dict(analysis)
        started = time.monotonic()
        with session_scope(settings.db_url) as session:
            row = rubrics.active_for(session, data["language"], queue)
            rubric = rubrics.loaded(row) if row is not None else None
            rubric_pk = row.id if row is not None else None
        scored = score_analysis(data, settings, rubric)
        timings = {**analysis.timings, "score": round(time.monotonic() - started, 3)}
        hook("score")
    except Released:
        return _release(settings, call_id, worker_id)
    except Exception as exc:  # every failure is stored on the call, never lost
        stage = _failed_stage(done)
        elapsed = time.monotonic() - stage_started[0]
        return _record_failure(settings, call_id, worker_id, stage, exc, elapsed)
    finally:
        heartbeat.stop()
    return _store_result(settings, call_id, worker_id, scored, timings, rubric_pk)


def _failed_stage(done: list[str]) -> str:
    last = STAGES.index(done[-1]) if done else -1
    return STAGES[min(last + 1, len(STAGES) - 1)]


def _owned(session: Session, call_id: str, worker_id: str) -> Call | None:
    call = session.get(Call, call_id, with_for_update=True)
    if call is None or call.worker_id != worker_id or call.status != "running":
        return None
    return call


def _store_result(
    settings: Settings,
    call_id: str,
    worker_id: str,
    scored: dict[str, Any],
    timings: dict[str, float],
    rubric_pk: int | None,
) -> Outcome:
    with session_scope(settings.db_url) as session:
        call = _owned(session, call_id, worker_id)
        if call is None:
            log.warning("result dropped: the lease was taken over", extra={"call_id": call_id})
            return Outcome(call_id, "lost")
        apply_score(session, call, scored, rubric_pk)
        call.status, call.finished_at, call.timings = "done", utcnow(), timings
        call.error_code = call.error = call.failed_stage = None
        call.worker_id = call.lease_expires_at = None
        session.add_all(
            StageTiming(call_id=call_id, stage=stage, seconds=seconds) for stage, seconds in timings.items()
        )
        enqueue_flagged(session, call)
        enqueue_for_call(session, call)
    log.info("call done", extra={"call_id": call_id, "timings": timings})
    return Outcome(call_id, "done")


def apply_score(session: Session, call: Call, scored: dict[str, Any], rubric_pk: int | None) -> None:
    """Store a (re-)scored result and its per-check verdicts on the call."""
    call.result = scored
    call.rubric_pk = rubric_pk
    score = scored.get("score")
    call.score_total = score["total"] if score else None
    call.flagged = scored.get("flagged")
    call.flag_reasons = scored.get("flag_reasons")
    call.transcript_text = "\n".join(u.get("text_normalized") or u["text"] for u in scored["utterances"])
    session.execute(delete(CallCheck).where(CallCheck.call_id == call.id))
    session.add_all(
        CallCheck(call_id=call.id, check_id=f["check_id"], status=f["status"], severity=f["severity"])
        for f in scored.get("findings", [])
    )
    session.flush()


def _record_failure(
    settings: Settings, call_id: str, worker_id: str, stage: str, exc: Exception, elapsed: float
) -> Outcome:
    permanent = isinstance(exc, PERMANENT_ERRORS)
    code = exc.code if isinstance(exc, QAError) else type(exc).__name__
    message = exc.message if isinstance(exc, QAError) else str(exc) or type(exc).__name__
    if not permanent:
        log.exception("call failed", extra={"call_id": call_id, "stage": stage})
    with session_scope(settings.db_url) as session:
        call = _owned(session, call_id, worker_id)
        if call is None:
            return Outcome(call_id, "lost")
        session.add(StageTiming(call_id=call_id, stage=stage, seconds=round(elapsed, 3), failed=True))
        if permanent or call.attempts >= settings.service.max_attempts:
            _mark_failed(session, call, code, message, stage)
            return Outcome(call_id, "failed")
        backoff = settings.service.retry_backoff_s * 2 ** (call.attempts - 1)
        call.status, call.worker_id, call.lease_expires_at = "queued", None, None
        call.not_before = utcnow() + timedelta(seconds=backoff)
        call.error_code, call.error, call.failed_stage = code, message, stage
    return Outcome(call_id, "queued")


def _mark_failed(session: Session, call: Call, code: str, message: str, stage: str | None) -> None:
    call.status, call.finished_at = "failed", utcnow()
    call.error_code, call.error, call.failed_stage = code, message, stage
    call.worker_id = call.lease_expires_at = None
    enqueue_for_call(session, call)


def _release(settings: Settings, call_id: str, worker_id: str) -> Outcome:
    with session_scope(settings.db_url) as session:
        call = _owned(session, call_id, worker_id)
        if call is not None:
            call.status, call.worker_id, call.lease_expires_at = "queued", None, None
            call.attempts = max(0, call.attempts - 1)  # a shutdown is not the call's fault
    log.info("call released for another worker", extra={"call_id": call_id})
    return Outcome(call_id, "queued")


class _Heartbeat:
    """Renews the call's lease in the background while the pipeline runs."""

    def __init__(self, settings: Settings, call_id: str, worker_id: str) -> None:
        self._args = (settings, call_id, worker_id)
        self._interval = settings.service.lease_s / 3
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"lease-{call_id[:8]}", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stopped.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stopped.wait(self._interval):
            try:
                if not renew_lease(*self._args):
                    return
            except Exception:
                log.exception("lease renewal failed")


def run_worker(settings: Settings, stop: threading.Event, *, max_calls: int | None = None) -> int:
    """Poll for calls until ``stop`` is set; returns how many calls were processed."""
    worker_id = new_worker_id()
    log.info("worker started", extra={"worker": worker_id})
    processed = 0
    plans_checked = 0.0
    while not stop.is_set() and (max_calls is None or processed < max_calls):
        try:
            if time.monotonic() - plans_checked > _HOUSEKEEPING_INTERVAL_S:
                plans_checked = time.monotonic()
                with session_scope(settings.db_url) as session:
                    run_due_plans(session)
                    sweep_sessions(session, settings.console)
            deliver_due(settings)
            call_id = claim_next(settings, worker_id)
        except Exception:
            log.exception("worker loop error")
            stop.wait(settings.service.poll_interval_s)
            continue
        if call_id is None:
            stop.wait(settings.service.poll_interval_s)
            continue
        outcome = process_call(call_id, settings, worker_id, should_stop=stop.is_set)
        processed += 1
        log.info("call processed", extra={"call_id": call_id, "status": outcome.status})
    log.info("worker stopped", extra={"worker": worker_id})
    return processed
