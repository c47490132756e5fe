"""Console sessions on the web side: the cookie, CSRF checks, and the signed-in user of a request.

The session cookie is HttpOnly and SameSite=Lax, Secure over https (``QA_CONSOLE__SECURE_COOKIE``).
Unsafe requests must echo the session's CSRF token: in the form field ``csrf_token`` (console
forms) or the ``X-CSRF-Token`` header (the console's scripts calling the /v1 JSON API)."""

from __future__ import annotations

import hmac

from fastapi import Request, Response

from qa_service import users
from qa_service.config import Settings
from qa_service.db.session import session_scope
from qa_service.errors import ForbiddenError
from qa_service.keys import Principal

SESSION_COOKIE = "qa_session"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def cookie_is_secure(request: Request, settings: Settings) -> bool:
    mode = settings.console.secure_cookie
    if mode == "auto":
        forwarded = request.headers.get("x-forwarded-proto", "")
        return request.url.scheme == "https" or forwarded.split(",")[0].strip() == "https"
    return mode == "always"


def set_session_cookie(response: Response, request: Request, settings: Settings, token: str) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=int(settings.console.absolute_timeout_h * 3600),
        httponly=True,
        samesite="lax",
        secure=cookie_is_secure(request, settings),
        path="/",
    )


def clear_session_cookie(response: Response) -> None:
    response.delete_cookie(SESSION_COOKIE, path="/")


def signed_in(request: Request, settings: Settings) -> users.SignedIn | None:
    """The request's valid session (cached on the request), its last use refreshed now and then."""
    if hasattr(request.state, "console_user"):
        cached: users.SignedIn | None = request.state.console_user
        return cached
    token = request.cookies.get(SESSION_COOKIE)
    found = None
    if token:
        with session_scope(settings.db_url, readonly=True) as session:
            found = users.resolve_session(session, token, settings.console)
        if found is not None and found.needs_touch:
            with session_scope(settings.db_url) as session:
                users.touch_session(session, token)
    request.state.console_user = found
    return found


def csrf_matches(expected: str, given: str | None) -> bool:
    return bool(given) and hmac.compare_digest(expected.encode(), str(given).encode())


def principal_from_cookie(request: Request, settings: Settings) -> Principal | None:
    """For the /v1 API: a signed-in console user acts as their principal; unsafe methods need the
    CSRF header, so that another site cannot make the browser act with the cookie."""
    user = signed_in(request, settings)
    if user is None:
        return None
    if request.method not in SAFE_METHODS and not csrf_matches(
        user.csrf_token, request.headers.get(CSRF_HEADER)
    ):
        raise ForbiddenError("missing or wrong X-CSRF-Token header for a request signed in by cookie")
    return user.principal
