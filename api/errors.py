"""Typed core errors to HTTP: one JSON shape, ``{"error": code, "detail": message}``."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from api.upload import MalformedUploadError
from qa_service.errors import (
    AudioError,
    AuthError,
    ConflictError,
    DatabaseError,
    DurationLimitError,
    ForbiddenError,
    InvalidMetadataError,
    LayoutError,
    NotFoundError,
    QAError,
    UploadTooLargeError,
)
from qa_service.scoring.schema import RubricError

log = logging.getLogger("api")

STATUS: list[tuple[type[QAError], int]] = [
    (AuthError, 401),
    (ForbiddenError, 403),
    (NotFoundError, 404),
    (ConflictError, 409),
    (UploadTooLargeError, 413),
    (MalformedUploadError, 400),
    (InvalidMetadataError, 422),
    (DurationLimitError, 422),
    (LayoutError, 422),
    (AudioError, 415),
    (RubricError, 422),
    (DatabaseError, 503),
]


def status_for(exc: QAError) -> int:
    return next((code for kind, code in STATUS if isinstance(exc, kind)), 400)


def body(error: str, detail: str) -> dict[str, str]:
    return {"error": error, "detail": detail}


def install(app: FastAPI) -> None:
    @app.exception_handler(QAError)
    async def _qa_error(request: Request, exc: QAError) -> JSONResponse:
        status = status_for(exc)
        headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
        return JSONResponse(body(exc.code, exc.message), status_code=status, headers=headers)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors())
        return JSONResponse(body("invalid_request", problems), status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        return JSONResponse(body(code, str(exc.detail)), status_code=exc.status_code)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error")
        return JSONResponse(body("internal_error", "an unexpected error occurred"), status_code=500)
