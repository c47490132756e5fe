"""/v1/calls: upload, status and results, transcript, audio, listing, re-scoring."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import FileResponse
from starlette.concurrency import run_in_threadpool

from api import schemas
from api.deps import Reader, SessionDep, SettingsDep, Staff, Supervisor, Uploader
from api.metrics import UPLOADS
from api.upload import read_upload
from qa_service import rubrics
from qa_service.config import Settings
from qa_service.db.calls import CallFilters, list_calls
from qa_service.db.session import session_scope
from qa_service.db.tables import Call
from qa_service.errors import ConflictError, NotFoundError, QAError, UploadTooLargeError
from qa_service.ingest import CallMetadata, find_replay, parse_metadata, probe_upload, queue_upload
from qa_service.keys import Principal
from qa_service.reviews.queue import enqueue_flagged
from qa_service.reviews.workflow import effective_score
from qa_service.storage import RecordingStore, StagedFile

router = APIRouter(prefix="/v1/calls", tags=["calls"], responses=schemas.ERRORS)

_UPLOAD_DOC = """Upload one recorded call as `multipart/form-data`:

* `audio`: the recording (WAV, FLAC, MP3, OGG/Opus, M4A; any sample rate; mono or stereo);
* `metadata`: a JSON object, e.g.
  `{"external_id": "pbx-20261123-000123", "agent_id": "A1024", "agent_name": "王丽", "team": "售后一组",
  "started_at": "2026-11-23T09:12:00+08:00", "direction": "inbound", "channel_layout": "stereo_agent_left",
  "language": "zh", "ring_seconds": 4, "queue": "after-sales", "customer_satisfaction": 5, "tags": ["vip"]}`.

The recording is streamed to disk, probed (decodable, duration within limits), stored and queued
before the `202`. Uploading the same `external_id` with the same content again returns the same
call; with other content, `409`."""


def _error(call: Call) -> schemas.CallError | None:
    if call.error_code is None:
        return None
    return schemas.CallError(code=call.error_code, message=call.error, stage=call.failed_stage)


def _agent(call: Call) -> schemas.AgentOut:
    return schemas.AgentOut(agent_id=call.agent.external_id, name=call.agent.name, team=call.agent.team)


def _status(call: Call) -> dict[str, Any]:
    return {
        "id": call.id,
        "external_id": call.external_id,
        "status": call.status,
        "attempts": call.attempts,
        "error": _error(call),
        "created_at": call.created_at,
        "finished_at": call.finished_at,
    }


def summary(call: Call) -> schemas.CallSummary:
    return schemas.CallSummary(
        **_status(call),
        agent=_agent(call),
        started_at=call.started_at,
        direction=call.direction,
        channel_layout=call.channel_layout,
        language=(call.result or {}).get("language", call.language),
        queue=call.queue,
        duration_s=call.duration_s,
        score=call.score_total,
        human_score=call.human_score,
        provenance=call.provenance,  # type: ignore[arg-type]
        effective_score=effective_score(call),
        flagged=call.flagged,
        flag_reasons=call.flag_reasons,
    )


def detail(call: Call) -> schemas.CallDetail:
    result = call.result or {}
    score = result.get("score") or {}
    return schemas.CallDetail(
        **summary(call).model_dump(),
        ring_seconds=call.ring_seconds,
        customer_satisfaction=call.customer_satisfaction,
        tags=call.tags or [],
        audio={
            "format": call.audio_format,
            "channels": call.audio_channels,
            "size": call.audio_size,
            "sha256": call.content_sha256,
            "url": f"/v1/calls/{call.id}/audio",
        },
        rubric=schemas.RubricRef(**result["rubric"]) if result.get("rubric") else None,
        categories=score.get("categories"),
        findings=result.get("findings", []),
        pii=result.get("pii", []),
        metrics=result.get("metrics"),
        timings=call.timings,
    )


def _get(session: SessionDep, call_id: str) -> Call:
    call = session.get(Call, call_id)
    if call is None:
        raise NotFoundError(f"no call {call_id}")
    return call


def _accept(
    settings: Settings, store: RecordingStore, staged: StagedFile, meta: CallMetadata, principal: Principal
) -> tuple[Call, bool]:
    """Probe, look up and queue in one worker thread. Only the last step writes, so SQLite's write
    lock is held for the inserts and the commit alone, never while probing or storing audio."""
    probe = probe_upload(staged, meta, settings)
    with session_scope(settings.db_url, readonly=True) as session:
        replayed = find_replay(session, principal, meta, staged)
    if replayed is not None:
        return replayed, False
    with session_scope(settings.db_url) as session:
        return queue_upload(session, store, staged, probe, meta, principal)


@router.post(
    "",
    status_code=202,
    summary="Upload a call recording",
    description=_UPLOAD_DOC,
    response_model=schemas.CallAccepted,
    responses={
        409: {"model": schemas.ErrorBody, "description": "external_id reused with other content"},
        413: {"model": schemas.ErrorBody, "description": "recording over the size limit"},
        415: {"model": schemas.ErrorBody, "description": "not a decodable recording"},
        400: {"model": schemas.ErrorBody, "description": "not a well-formed multipart upload"},
    },
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "multipart/form-data": {
                    "schema": {
                        "type": "object",
                        "required": ["audio", "metadata"],
                        "properties": {
                            "audio": {"type": "string", "format": "binary"},
                            "metadata": {"type": "string", "description": "JSON object, see above"},
                        },
                    }
                }
            },
        }
    },
)
async def upload_call(
    request: Request, response: Response, principal: Uploader, settings: SettingsDep
) -> schemas.CallAccepted:
    limit = int(settings.service.max_upload_mb * 1e6)
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit + 1_000_000:
        UPLOADS.labels("refused").inc()
        raise UploadTooLargeError(f"the upload exceeds the {settings.service.max_upload_mb:.0f} MB limit")
    store = RecordingStore(settings.data_dir)
    try:
        upload = await read_upload(request.headers.get("content-type"), request.stream(), store, limit)
        try:
            meta = parse_metadata(upload.metadata)
        except QAError:
            upload.staged.path.unlink(missing_ok=True)
            raise
        call, created = await run_in_threadpool(_accept, settings, store, upload.staged, meta, principal)
    except QAError:
        UPLOADS.labels("refused").inc()
        raise
    UPLOADS.labels("accepted" if created else "duplicate").inc()
    response.headers["Location"] = f"/v1/calls/{call.id}"
    if not created:
        response.status_code = 200
    return schemas.CallAccepted.model_validate(
        {"id": call.id, "status": call.status, "status_url": f"/v1/calls/{call.id}", "duplicate": not created}
    )


@router.get(
    "/{call_id}",
    summary="A call: status, metadata, score, flags and findings with evidence",
    response_model=schemas.CallDetail | schemas.CallStatusOut,
)
def get_call(
    call_id: str, principal: Reader, session: SessionDep
) -> schemas.CallDetail | schemas.CallStatusOut:
    call = _get(session, call_id)
    if principal.role == "uploader":
        if call.uploaded_by != principal.key_id:
            raise NotFoundError(f"no call {call_id}")
        return schemas.CallStatusOut(**_status(call))
    return detail(call)


@router.get(
    "/{call_id}/transcript",
    summary="The call's utterances, words and times",
    response_model=schemas.Transcript,
)
def get_transcript(call_id: str, principal: Staff, session: SessionDep) -> schemas.Transcript:
    call = _get(session, call_id)
    if call.result is None:
        raise ConflictError(f"call {call_id} is {call.status}: no transcript yet")
    return schemas.Transcript(
        call_id=call.id,
        language=call.result["language"],
        layout=call.result["layout"],
        duration_s=call.result["duration_s"],
        utterances=call.result["utterances"],
    )


@router.get(
    "/{call_id}/audio",
    summary="The recording as uploaded (supports HTTP Range for players)",
    response_class=FileResponse,
    responses={200: {"content": {"audio/*": {}}}, 206: {"description": "a byte range"}},
)
def get_audio(call_id: str, principal: Staff, session: SessionDep, settings: SettingsDep) -> FileResponse:
    call = _get(session, call_id)
    path = RecordingStore(settings.data_dir).path_of(call.audio_path)
    media = {"wav": "audio/wav", "flac": "audio/flac", "mp3": "audio/mpeg", "ogg": "audio/ogg"}
    ext = path.suffix.lstrip(".")
    return FileResponse(
        path, media_type=media.get(ext, "application/octet-stream"), filename=f"{call.external_id}.{ext}"
    )


@router.get("", summary="Search calls (newest first, cursor pagination)", response_model=schemas.CallPage)
def search_calls(
    principal: Staff,
    session: SessionDep,
    agent: str | None = None,
    team: str | None = None,
    queue: str | None = None,
    started_from: Annotated[datetime | None, Query(description="started at or after (ISO 8601)")] = None,
    started_to: Annotated[datetime | None, Query(description="started before (ISO 8601)")] = None,
    status: schemas.CallStatus | None = None,
    flagged: bool | None = None,
    score_min: Annotated[float | None, Query(ge=0, le=100)] = None,
    score_max: Annotated[float | None, Query(ge=0, le=100)] = None,
    failed_check: Annotated[str | None, Query(description="calls where this check id failed")] = None,
    q: Annotated[str | None, Query(description="words that must all occur in the transcript")] = None,
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> schemas.CallPage:
    filters = CallFilters(
        agent=agent,
        team=team,
        queue=queue,
        started_from=started_from,
        started_to=started_to,
        status=status,
        flagged=flagged,
        score_min=score_min,
        score_max=score_max,
        failed_check=failed_check,
        text=_search_text(q),
    )
    rows, next_cursor = list_calls(session, filters, cursor=cursor, limit=limit)
    return schemas.CallPage(items=[summary(c) for c in rows], next_cursor=next_cursor)


def _search_text(q: str | None) -> str | None:
    if not q or not q.strip():
        return None
    from qa_service.text.normalize import to_simplified

    return to_simplified(q.strip())


@router.post(
    "/{call_id}/rescore",
    summary="Score the stored analysis again with another rubric version (no re-transcription)",
    response_model=schemas.CallDetail,
)
def rescore_call(
    call_id: str, body: schemas.RescoreIn, principal: Supervisor, session: SessionDep, settings: SettingsDep
) -> schemas.CallDetail:
    from qa_service.scoring.engine import score_analysis
    from qa_service.worker import apply_score

    call = _get(session, call_id)
    if call.status != "done" or call.result is None:
        raise ConflictError(f"call {call_id} is {call.status}: only analysed calls can be re-scored")
    row = rubrics.get(session, body.rubric_id, body.version)
    scored = score_analysis(call.result, settings, rubrics.loaded(row))
    apply_score(session, call, scored, row.id)
    enqueue_flagged(session, call)
    return detail(call)
