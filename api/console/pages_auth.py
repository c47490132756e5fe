"""Sign-in, sign-out and the language switch."""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import Response

from api.console import auth, i18n
from api.console.guards import ConsolePageError, Staff, checked_form
from api.console.render import page, redirect
from api.deps import SettingsDep
from qa_service import users
from qa_service.db.session import session_scope
from qa_service.throttle import FailureThrottle
from qa_service.users import LockedOutError

router = APIRouter(include_in_schema=False)
LOGIN_CSRF_COOKIE = "qa_login_csrf"


def safe_next(url: str | None) -> str:
    """Only paths of this site (no scheme, no //host) are followed after sign-in."""
    if not url or not url.startswith("/") or url.startswith("//") or "\\" in url:
        return "/queue"
    return url


@router.get("/")
def home(request: Request, settings: SettingsDep) -> Response:
    return redirect("/queue" if auth.signed_in(request, settings) else "/login")


@router.get("/login")
def login_form(request: Request, settings: SettingsDep, next: str | None = None) -> Response:
    if auth.signed_in(request, settings):
        return redirect(safe_next(next))
    token = request.cookies.get(LOGIN_CSRF_COOKIE) or secrets.token_urlsafe(32)
    response = page(request, "login.html", {"login_csrf": token, "next": safe_next(next)})
    response.set_cookie(
        LOGIN_CSRF_COOKIE,
        token,
        httponly=True,
        samesite="lax",
        secure=auth.cookie_is_secure(request, settings),
        max_age=3600,
    )
    return response


@router.post("/login")
def login(
    request: Request,
    settings: SettingsDep,
    username: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    csrf_token: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "/queue",
) -> Response:
    expected = request.cookies.get(LOGIN_CSRF_COOKIE)
    if not expected or not auth.csrf_matches(expected, csrf_token):
        raise ConsolePageError(403, "error.csrf")
    back = f"/login?next={safe_next(next)}"
    if not username.strip() or not password:
        return redirect(back, "error", "flash.sign_in_missing")
    # Per address, whatever the user names: the per-user lockout does not stop one client trying
    # one password on many accounts. A refused attempt is not checked at all (no password hash).
    throttle: FailureThrottle = request.app.state.sign_in_throttle
    client = request.client.host if request.client else "unknown"
    if throttle.retry_after(client) > 0:
        raise ConsolePageError(429, "error.too_many_sign_ins")
    with session_scope(settings.db_url) as session:
        outcome = users.attempt_sign_in(session, username.strip(), password, settings.console)
        token = None
        if not isinstance(outcome, Exception):
            old = request.cookies.get(auth.SESSION_COOKIE)
            if old:  # a new session on every sign-in: a planted token never becomes signed in
                users.end_session(session, old)
            token = users.start_session(session, outcome, settings.console)
    if token is None:
        throttle.failed(client)
        key = "flash.locked_out" if isinstance(outcome, LockedOutError) else "flash.sign_in_failed"
        return redirect(back, "error", key)
    response = redirect(safe_next(next))
    auth.set_session_cookie(response, request, settings, token)
    response.delete_cookie(LOGIN_CSRF_COOKIE)
    return response


@router.post("/logout")
async def logout(request: Request, settings: SettingsDep, user: Staff) -> Response:
    await checked_form(request, user)
    token = request.cookies.get(auth.SESSION_COOKIE)
    if token:
        with session_scope(settings.db_url) as session:
            users.end_session(session, token)
    response = redirect("/login", "success", "flash.signed_out")
    auth.clear_session_cookie(response)
    return response


@router.get("/lang")
def switch_language(to: Annotated[str, Query(pattern="^(zh-CN|en)$")], next: str | None = None) -> Response:
    """A display preference only (a cookie): nothing changes on the server."""
    response = redirect(safe_next(next) if next else "/")
    response.set_cookie(i18n.LANG_COOKIE, to, max_age=365 * 86400, samesite="lax")
    return response
