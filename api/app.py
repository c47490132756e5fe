"""The FastAPI application: create_app(settings). Heavy work happens in worker processes."""

from __future__ import annotations

from fastapi import FastAPI

from api import errors
from api.console.mount import install as install_console
from api.metrics import registry_for
from api.request_context import RequestContext
from api.routers import agents, assessments, calls, health, keys, reviews, rubrics, spotchecks
from qa_service import __version__
from qa_service.config import Settings

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

    app.add_middleware(RequestContext)
    return app


def create_app_from_env() -> FastAPI:
    """The factory each HTTP process of ``qa-service serve`` calls: settings from the environment."""
    return create_app(Settings())
