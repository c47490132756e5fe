"""Adds the console to the app: its pages, its static files and its HTML error pages."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import Response
from fastapi.staticfiles import StaticFiles

from api.console import pages_auth, pages_manage, pages_review, pages_scorecard
from api.console.auth import signed_in
from api.console.guards import ConsolePageError, SignInRequired
from api.console.render import STATIC, page, redirect
from qa_service.throttle import FailureThrottle


def install(app: FastAPI) -> None:
    policy = app.state.settings.console
    app.state.sign_in_throttle = FailureThrottle(
        policy.max_failed_sign_ins_per_client, policy.client_window_min * 60
    )
    for module in (pages_auth, pages_review, pages_scorecard, pages_manage):
        app.include_router(module.router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    @app.exception_handler(SignInRequired)
    async def _sign_in(request: Request, exc: SignInRequired) -> Response:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return redirect(f"/login?next={target}")

    @app.exception_handler(ConsolePageError)
    async def _error_page(request: Request, exc: ConsolePageError) -> Response:
        user = signed_in(request, request.app.state.settings)
        return page(
            request,
            "error.html",
            {"error_key": exc.key, "detail": exc.detail, "code": exc.code, "status": exc.status_code},
            user,
            status_code=exc.status_code,
        )
