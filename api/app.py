"""The FastAPI application: create_app(settings). Heavy work happens in worker processes."""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Awaitable, Callable

from fastapi import FastAPI, Request, Response

from api import errors
from api.console.mount import install as install_console
from api.metrics import registry_for
from api.routers import agents, assessments, calls, health, keys, reviews, rubrics, spotchecks
from qa_service import __version__
from qa_service.config import Settings
from qa_service.logs import request_id

log = logging.getLogger("api.access")

DESCRIPTION = """Call-recording quality assurance for customer-service centres.

Telephony systems upload recordings (`POST /v1/calls`); workers transcribe, separate the parties,
measure pacing and score each call against the active rubric of its language. Every finding
carries its evidence: the words, the speaker and the time. Authenticate with
`Authorization: Bearer <API key>`; keys have one role: `uploader`, `reviewer`, `supervisor` or
`admin`. Errors are `{"error": code, "detail": message}`."""


def create_app(settings: Settings) -> FastAPI:
    app = FastAPI(title="qa-service", version=__version__, description=DESCRIPTION)
    app.state.settings = settings
    app.state.registry = registry_for(settings.db_url)
    errors.install(app)
    for module in (calls, reviews, spotchecks, assessments, rubrics, agents, keys, health):
        app.include_router(module.router)
    install_console(app)

    @app.middleware("http")
    async def request_context(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        rid = request.headers.get("x-request-id") or uuid.uuid4().hex
        token = request_id.set(rid)
        started = time.perf_counter()
        try:
            response = await call_next(request)
        finally:
            request_id.reset(token)
        response.headers["X-Request-ID"] = rid
        if request.url.path not in ("/healthz", "/metrics"):
            log.info(
                "request",
                extra={
                    "request_id": rid,
                    "method": request.method,
                    "path": request.url.path,
                    "status": response.status_code,
                    "ms": round((time.perf_counter() - started) * 1000, 1),
                },
            )
        return response

    return app
