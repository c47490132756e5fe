"""Accepting an upload: validate the metadata, probe the audio, store it, queue the call.

The HTTP layer streams the file into a :class:`~qa_service.storage.StagingWriter`; everything
after that lives here, so that a refusal at any step leaves nothing stored. Three steps, each
with its own transaction or none: :func:`probe_upload` (no database), :func:`find_replay` (a
read) and :func:`queue_upload` (the write).
"""

from __future__ import annotations

import json
import uuid
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from qa_service.audio import AudioProbe, probe_audio
from qa_service.config import Settings
from qa_service.db.tables import Agent, Call
from qa_service.errors import (
    ConflictError,
    DurationLimitError,
    InvalidMetadataError,
    LayoutError,
)
from qa_service.keys import Principal
from qa_service.storage import RecordingStore, StagedFile

ChannelLayout = Literal["stereo_agent_left", "stereo_agent_right", "mono"]
AGENT_CHANNEL: dict[str, int | None] = {"stereo_agent_left": 0, "stereo_agent_right": 1, "mono": None}


class CallMetadata(BaseModel):
    """The ``metadata`` part of an upload."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    external_id: str = Field(min_length=1, max_length=200, description="the call's id in the source system")
    agent_id: str = Field(min_length=1, max_length=200, description="unknown agents are created")
    agent_name: str | None = Field(default=None, max_length=200)
    team: str | None = Field(default=None, max_length=200)
    started_at: AwareDatetime = Field(description="when the call started, with a UTC offset")
    direction: Literal["inbound", "outbound"]
    channel_layout: ChannelLayout
    language: Literal["zh", "en", "auto"] = "auto"
    ring_seconds: float | None = Field(default=None, ge=0, le=600)
    queue: str | None = Field(default=None, max_length=200)
    customer_satisfaction: int | None = Field(default=None, ge=1, le=5)
    tags: list[str] = Field(default_factory=list, max_length=50)


def parse_metadata(raw: str | bytes | None) -> CallMetadata:
    if raw is None or not str(raw).strip():
        raise InvalidMetadataError("the 'metadata' part is missing: a JSON object is required")
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise InvalidMetadataError(f"metadata is not valid JSON: {exc.msg} at position {exc.pos}") from exc
    if not isinstance(data, dict):
        raise InvalidMetadataError("metadata must be a JSON object")
    try:
        return CallMetadata.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or '(top level)'}: {e['msg']}" for e in exc.errors()
        )
        raise InvalidMetadataError(f"invalid metadata: {problems}") from exc


def check_recording(probe: AudioProbe, meta: CallMetadata, settings: Settings) -> None:
    if probe.duration_s > settings.service.max_duration_s:
        raise DurationLimitError(
            f"the recording lasts {probe.duration_s:.0f} s; the limit is {settings.service.max_duration_s:.0f} s"
        )
    if probe.channels > 2:
        raise LayoutError(f"the recording has {probe.channels} channels: expected mono or stereo")
    if meta.channel_layout != "mono" and probe.channels != 2:
        raise LayoutError(
            f"channel_layout {meta.channel_layout} needs a stereo recording, "
            f"but the file has {probe.channels} channel; send channel_layout 'mono'"
        )


def probe_upload(staged: StagedFile, meta: CallMetadata, settings: Settings) -> AudioProbe:
    """Refuse a recording that cannot be processed; the staged file is deleted if refused."""
    try:
        probe = probe_audio(staged.path)
        check_recording(probe, meta, settings)
    except BaseException:
        staged.path.unlink(missing_ok=True)
        raise
    return probe


def find_replay(
    session: Session, principal: Principal, meta: CallMetadata, staged: StagedFile
) -> Call | None:
    """The call an earlier upload of the same ``external_id`` created, if any.

    Raises :class:`ConflictError` when that upload had other content; the staged file is
    deleted whenever a call is found or the upload conflicts."""
    existing = _existing(session, principal.name, meta.external_id)
    if existing is None:
        return None
    staged.path.unlink(missing_ok=True)
    return _replay(existing, meta, staged)


def queue_upload(
    session: Session,
    store: RecordingStore,
    staged: StagedFile,
    probe: AudioProbe,
    meta: CallMetadata,
    principal: Principal,
) -> tuple[Call, bool]:
    """Store a probed recording and queue its call; returns (call, created).

    The recording is moved into the store before the first query, so that a SQLite writer
    holds the write lock only for the inserts and the commit."""
    try:
        relative = store.commit(staged, _extension(probe))
    finally:
        staged.path.unlink(missing_ok=True)
    call = Call(
        id=uuid.uuid4().hex,
        source=principal.name,
        external_id=meta.external_id,
        uploaded_by=principal.key_id,
        agent_id=upsert_agent(session, meta.agent_id, meta.agent_name, meta.team).id,
        content_sha256=staged.sha256,
        audio_path=relative,
        audio_size=staged.size,
        audio_format=f"{probe.container}/{probe.codec}",
        audio_channels=probe.channels,
        duration_s=probe.duration_s,
        started_at=meta.started_at,
        direction=meta.direction,
        channel_layout=meta.channel_layout,
        language=meta.language,
        ring_seconds=meta.ring_seconds,
        queue=meta.queue,
        customer_satisfaction=meta.customer_satisfaction,
        tags=meta.tags,
        status="queued",
    )
    try:
        with session.begin_nested():
            session.add(call)
            session.flush()
    except IntegrityError:
        # A concurrent upload of the same external_id won the race: answer as a replay would.
        existing = _existing(session, principal.name, meta.external_id)
        if existing is None:
            raise
        # (A recording stored for a conflicting upload stays: another upload of the same content
        # may be referencing it at this moment.)
        return _replay(existing, meta, staged), False
    return call, True


def _replay(existing: Call, meta: CallMetadata, staged: StagedFile) -> Call:
    if existing.content_sha256 != staged.sha256:
        raise ConflictError(
            f"external_id {meta.external_id!r} was uploaded before with other content (call {existing.id})"
        )
    return existing


def _existing(session: Session, source: str, external_id: str) -> Call | None:
    return session.scalar(select(Call).where(Call.source == source, Call.external_id == external_id))


def upsert_agent(session: Session, external_id: str, name: str | None, team: str | None) -> Agent:
    agent = session.scalar(select(Agent).where(Agent.external_id == external_id))
    if agent is None:
        try:
            with session.begin_nested():
                agent = Agent(external_id=external_id, name=name, team=team)
                session.add(agent)
                session.flush()
        except IntegrityError:  # created by a concurrent request meanwhile
            agent = session.scalars(select(Agent).where(Agent.external_id == external_id)).one()
    else:
        if name and agent.name != name:
            agent.name = name
        if team and agent.team != team:
            agent.team = team
    return agent


def _extension(probe: AudioProbe) -> str:
    return {"wav": "wav", "flac": "flac", "mp3": "mp3", "ogg": "ogg"}.get(
        probe.container.split(",")[0], probe.container.split(",")[0][:8] or "bin"
    )
