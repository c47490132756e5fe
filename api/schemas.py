"""Response and request bodies of the HTTP API (the OpenAPI document is built from these)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

CallStatus = Literal["queued", "running", "done", "failed"]


class ErrorBody(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "example": {"error": "invalid_metadata", "detail": "invalid metadata: agent_id: Field required"}
        }
    )
    error: str = Field(description="a stable machine-readable code")
    detail: str = Field(description="what is wrong, for people")


ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorBody, "description": text}
    for code, text in {
        401: "missing, unknown or revoked API key",
        403: "the key's role may not do this",
        404: "no such resource",
        422: "invalid input",
    }.items()
}


class CallAccepted(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "id": "5f0c6f1e9b8d4c47a1e2d3c4b5a69788",
                "status": "queued",
                "status_url": "/v1/calls/5f0c6f1e9b8d4c47a1e2d3c4b5a69788",
                "duplicate": False,
            }
        }
    )
    id: str
    status: CallStatus
    status_url: str
    duplicate: bool = Field(description="true when this external_id and content were uploaded before")


class AgentOut(BaseModel):
    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={"example": {"agent_id": "A1024", "name": "王丽", "team": "售后一组"}},
    )
    agent_id: str
    name: str | None
    team: str | None


class AgentIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"example": {"agent_id": "A1024", "name": "王丽", "team": "售后一组"}},
    )
    agent_id: str = Field(min_length=1, max_length=200)
    name: str | None = Field(default=None, max_length=200)
    team: str | None = Field(default=None, max_length=200)


class CallError(BaseModel):
    code: str | None
    message: str | None
    stage: str | None


class RubricRef(BaseModel):
    id: str
    version: int
    sha256: str


_STATUS_EXAMPLE: dict[str, Any] = {
    "id": "5f0c6f1e9b8d4c47a1e2d3c4b5a69788",
    "external_id": "pbx-20261123-000123",
    "status": "done",
    "attempts": 1,
    "error": None,
    "created_at": "2026-11-23T09:30:02Z",
    "finished_at": "2026-11-23T09:30:14Z",
}


class CallStatusOut(BaseModel):
    """What an uploader may read: the processing status of its own upload."""

    model_config = ConfigDict(json_schema_extra={"example": _STATUS_EXAMPLE})
    id: str
    external_id: str
    status: CallStatus
    attempts: int
    error: CallError | None
    created_at: datetime
    finished_at: datetime | None


class CallSummary(CallStatusOut):
    agent: AgentOut
    started_at: datetime | None
    direction: str | None
    channel_layout: str
    language: str
    queue: str | None
    duration_s: float
    score: float | None = Field(description="the machine score")
    human_score: float | None = Field(description="the reviewers' score, once reviewed")
    provenance: Literal["machine", "human_reviewed"]
    effective_score: float | None = Field(description="the score in force: human once reviewed")
    flagged: bool | None
    flag_reasons: list[str] | None


class CallDetail(CallSummary):
    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                **_STATUS_EXAMPLE,
                "human_score": None,
                "provenance": "machine",
                "effective_score": 92.5,
                "agent": {"agent_id": "A1024", "name": "王丽", "team": "售后一组"},
                "started_at": "2026-11-23T09:12:00+08:00",
                "direction": "inbound",
                "channel_layout": "stereo_agent_left",
                "language": "zh",
                "queue": "after-sales",
                "duration_s": 66.6,
                "score": 92.5,
                "flagged": False,
                "flag_reasons": [],
                "ring_seconds": 4.0,
                "customer_satisfaction": 5,
                "tags": ["vip"],
                "audio": {
                    "format": "wav/pcm_mulaw",
                    "channels": 2,
                    "size": 1065572,
                    "sha256": "9f2c…",
                    "url": "/v1/calls/5f0c…/audio",
                },
                "rubric": {"id": "zh-CN.default", "version": 1, "sha256": "c1d4…"},
                "categories": {"courtesy": {"score": 100.0, "weight": 35}},
                "findings": [
                    {
                        "check_id": "greeting",
                        "kind": "required_phrase",
                        "category": "courtesy",
                        "status": "passed",
                        "severity": "normal",
                        "needs_review": False,
                        "detail": "found '很高兴为您服务'",
                        "detail_code": "phrase.found",
                        "detail_params": {"phrase": "很高兴为您服务"},
                        "evidence": [
                            {
                                "role": "agent",
                                "start": 0.9,
                                "end": 3.1,
                                "text": "您好，很高兴为您服务",
                                "matched": "很高兴为您服务",
                                "similarity": 1.0,
                            }
                        ],
                    }
                ],
                "pii": [],
                "metrics": {"agent_speech_rate": 270.3},
                "timings": {"transcribe": 8.1},
            }
        }
    )
    ring_seconds: float | None
    customer_satisfaction: int | None
    tags: list[str]
    audio: dict[str, Any]
    rubric: RubricRef | None
    categories: dict[str, Any] | None
    findings: list[dict[str, Any]]
    pii: list[dict[str, Any]]
    metrics: dict[str, Any] | None
    timings: dict[str, Any] | None


class CallPage(BaseModel):
    items: list[CallSummary]
    next_cursor: str | None = Field(description="pass as `cursor` for the next page; null on the last")


class Transcript(BaseModel):
    call_id: str
    language: str
    layout: str
    duration_s: float
    utterances: list[dict[str, Any]]


class RescoreIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"example": {"rubric_id": "zh-CN.default", "version": 3}}
    )
    rubric_id: str
    version: int


class RubricOut(BaseModel):
    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "example": {
                "rubric_id": "zh-CN.default",
                "version": 1,
                "language": "zh",
                "name": "客服通话质检标准（默认）",
                "sha256": "c1d4…",
                "active": True,
                "queue": None,
                "created_at": "2026-11-23T09:00:00Z",
            }
        },
    )
    rubric_id: str
    version: int
    language: str
    name: str
    sha256: str
    active: bool
    queue: str | None
    created_at: datetime


class RubricDetail(RubricOut):
    content: str = Field(description="the rubric's YAML, exactly as published")


class ActivateIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    queue: str | None = Field(default=None, description="activate for one queue only")


class KeyIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"example": {"role": "uploader", "name": "pbx-shanghai"}}
    )
    role: Literal["uploader", "reviewer", "supervisor", "admin"]
    name: str | None = Field(default=None, max_length=100, description="for uploaders: the source system")
    webhook_url: str | None = Field(default=None, max_length=2000)


class KeyCreated(BaseModel):
    key: str = Field(description="shown once; only its hash is stored")
    prefix: str
    role: str
    name: str


class KeyOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    prefix: str
    role: str
    name: str
    webhook_url: str | None
    created_at: datetime
    revoked_at: datetime | None


class WebhookIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"example": {"url": "https://pbx.example.com/qa-hook"}}
    )
    url: str = Field(pattern=r"^https?://", max_length=2000)


class WebhookOut(BaseModel):
    url: str
    secret: str = Field(description="HMAC-SHA256 key for the QA-Signature header")


class DeliveryOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    call_id: str
    event: str
    url: str
    status: Literal["pending", "delivered", "failed"]
    attempts: int
    last_status_code: int | None
    last_error: str | None
    created_at: datetime
    delivered_at: datetime | None


class DecisionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    check_id: str
    machine_status: str
    decision: Literal["confirm", "overturn"]
    reason: str | None


class ReviewOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    call_id: str
    reviewer_id: int
    version: int
    human_score: float
    computed_score: float | None
    comment: str | None
    manual_findings: list[dict[str, Any]]
    decisions: list[DecisionOut]
    created_at: datetime


class ReviewItemOut(BaseModel):
    id: int
    call_id: str
    reasons: list[str]
    priority: int
    status: Literal["open", "assigned", "done"]
    assigned_to: int | None
    assigned_at: datetime | None
    created_at: datetime
    call: CallSummary


class AssignIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"example": {"mode": "even", "reviewer_ids": [3, 4], "daily_cap": 40}},
    )
    mode: Literal["even", "explicit"] = "even"
    reviewer_ids: list[int] = Field(min_length=1)
    item_ids: list[int] = Field(
        default_factory=list, description="explicit mode: these items, to the one reviewer"
    )
    daily_cap: int | None = Field(default=None, ge=1, description="default: settings")


class DisputeIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "example": {"call_id": "5f0c…", "check_id": "forbidden_expressions", "reason": "客户原话"}
        },
    )
    call_id: str
    check_id: str
    reason: str = Field(min_length=1, max_length=5000)


class DisputeResolveIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"example": {"upheld": True, "resolution": "复核属实"}}
    )
    upheld: bool
    resolution: str = Field(min_length=1, max_length=5000)


class DisputeOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    call_id: str
    check_id: str
    reason: str
    opened_by: int
    opened_at: datetime
    status: Literal["open", "upheld", "rejected"]
    resolved_by: int | None
    resolution: str | None
    resolved_at: datetime | None


class AuditOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    at: datetime
    actor: str
    action: str
    entity: str
    entity_id: str
    detail: dict[str, Any]
