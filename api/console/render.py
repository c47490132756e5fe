"""Rendering console pages: the Jinja2 environment, the context every page gets, flash messages
and the security headers of HTML responses."""

from __future__ import annotations

import json
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote
from zoneinfo import ZoneInfo

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from jinja2 import pass_context
from jinja2.runtime import Context

from api.console import i18n
from qa_service.errors import QAError
from qa_service.users import SignedIn

HERE = Path(__file__).resolve().parent
STATIC = HERE.parent / "static"
CHART_JS = STATIC / "vendor" / "chart.umd.min.js"
FLASH_COOKIE = "qa_flash"

templates = Jinja2Templates(directory=HERE / "templates")


@pass_context
def _localtime(context: Context, value: datetime | None) -> str:
    """A stored (UTC) time in the console's time zone, to the minute."""
    if value is None:
        return ""
    zone = ZoneInfo(context["request"].app.state.settings.console.timezone)
    return value.astimezone(zone).strftime("%Y-%m-%d %H:%M")


templates.env.filters["localtime"] = _localtime

# Every asset comes from the app itself (customer sites are often offline): nothing else may load.
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
        "media-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'self'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


def language(request: Request) -> str:
    return i18n.pick_language(request.cookies.get(i18n.LANG_COOKIE))


def flash(
    response: Response, kind: str, key: str, detail: str | None = None, code: str | None = None
) -> Response:
    """A message for the next page: ``kind`` is success or error, ``key`` a catalogue key; ``code``
    a typed error's code, said in the page's language, with ``detail`` (its English message) below."""
    response.set_cookie(
        FLASH_COOKIE,
        quote(json.dumps([kind, key, detail, code])),
        max_age=60,
        httponly=True,
        samesite="lax",
    )
    return response


def _take_flash(request: Request) -> list[dict[str, str | None]]:
    raw = request.cookies.get(FLASH_COOKIE)
    if not raw:
        return []
    try:
        kind, key, detail, *rest = json.loads(unquote(raw))
    except (ValueError, TypeError):
        return []
    if kind not in ("success", "error") or not str(key).startswith("flash."):
        return []
    code = rest[0] if rest and isinstance(rest[0], str) else None
    return [{"kind": kind, "key": str(key), "detail": None if detail is None else str(detail), "code": code}]


def redirect(
    url: str,
    kind: str | None = None,
    key: str | None = None,
    detail: str | None = None,
    code: str | None = None,
) -> Response:
    response = RedirectResponse(url, status_code=303)
    if kind and key:
        flash(response, kind, key, detail, code)
    return response


def failed(url: str, key: str, exc: QAError) -> Response:
    """Back to ``url`` with an error message: ``key`` says what failed, the error's code why."""
    return redirect(url, "error", key, exc.message, exc.code)


def page(
    request: Request,
    template: str,
    context: dict[str, Any] | None = None,
    user: SignedIn | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    lang = language(request)
    flashes = _take_flash(request)
    ctx = {
        "request": request,
        "lang": lang,
        "languages": i18n.LANGUAGES,
        "t": i18n.translator(lang),
        "finding_detail": partial(i18n.finding_detail, lang),
        "error_message": partial(i18n.error_message, lang),
        "script_strings": i18n.script_strings(lang),
        "user": user,
        "csrf_token": user.csrf_token if user else None,
        "flashes": flashes,
        "chart_js": CHART_JS.is_file(),
        "path": request.url.path,
        "next_url": request.url.path + (f"?{request.url.query}" if request.url.query else ""),
        **(context or {}),
    }
    response = templates.TemplateResponse(request, template, ctx, status_code=status_code)
    if flashes:
        response.delete_cookie(FLASH_COOKIE)
    response.headers.update(SECURITY_HEADERS)
    return response
