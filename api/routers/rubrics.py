"""/v1/rubrics: published versions are validated and immutable; one active per language/queue."""

from __future__ import annotations

import json
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from sqlalchemy import select

from api import schemas
from api.deps import Admin, SessionDep, Staff
from qa_service import rubrics
from qa_service.db.tables import Rubric
from qa_service.errors import InvalidMetadataError

router = APIRouter(prefix="/v1/rubrics", tags=["rubrics"], responses=schemas.ERRORS)


@router.get("", summary="Published rubric versions", response_model=list[schemas.RubricOut])
def list_rubrics(
    principal: Staff, session: SessionDep, language: str | None = None, active: bool | None = None
) -> list[Rubric]:
    query = select(Rubric).order_by(Rubric.rubric_id, Rubric.version)
    if language:
        query = query.where(Rubric.language == language)
    if active is not None:
        query = query.where(Rubric.active.is_(active))
    return list(session.scalars(query))


@router.post(
    "",
    status_code=201,
    summary='Publish a rubric version (YAML body, or JSON {"content": YAML})',
    response_model=schemas.RubricDetail,
    responses={
        409: {"model": schemas.ErrorBody, "description": "this id and version exist with other content"}
    },
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/yaml": {
                    "schema": {"type": "string"},
                    "example": "id: zh-CN.sales\nversion: 1\n…",
                },
                "application/json": {
                    "schema": {"type": "object", "properties": {"content": {"type": "string"}}}
                },
            },
        }
    },
)
async def publish_rubric(
    request: Request,
    response: Response,
    principal: Admin,
    session: SessionDep,
    activate: Annotated[bool, Query(description="make it the active version at once")] = False,
    queue: Annotated[str | None, Query(description="with activate: only for this queue")] = None,
) -> Rubric:
    raw = await request.body()
    text = raw.decode("utf-8", "replace")
    if request.headers.get("content-type", "").startswith("application/json"):
        try:
            text = str(json.loads(text)["content"])
        except (ValueError, KeyError, TypeError) as exc:
            raise InvalidMetadataError('a JSON body must be {"content": "<the rubric YAML>"}') from exc
    row, created = rubrics.publish(session, text)
    if activate:
        rubrics.activate(session, row.rubric_id, row.version, queue)
    if not created:
        response.status_code = 200
    return row


@router.get(
    "/{rubric_id}/{version}", summary="One rubric version with its YAML", response_model=schemas.RubricDetail
)
def get_rubric(rubric_id: str, version: int, principal: Staff, session: SessionDep) -> Rubric:
    return rubrics.get(session, rubric_id, version)


@router.post(
    "/{rubric_id}/{version}/activate",
    summary="Make a version active for its language (optionally one queue)",
    response_model=schemas.RubricOut,
)
def activate_rubric(
    rubric_id: str, version: int, body: schemas.ActivateIn, principal: Admin, session: SessionDep
) -> Rubric:
    return rubrics.activate(session, rubric_id, version, body.queue)
