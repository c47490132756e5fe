"""Request dependencies: settings, the request's one transaction, the caller's key and role."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from api.console.auth import principal_from_cookie
from qa_service.config import Settings
from qa_service.db.session import session_scope
from qa_service.errors import AuthError, ForbiddenError
from qa_service.keys import Principal, authenticate

_bearer = HTTPBearer(auto_error=False, description="an API key: `Authorization: Bearer qa_…`")


def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def get_session(request: Request, settings: Annotated[Settings, Depends(get_settings)]) -> Iterator[Session]:
    """The request owns the transaction: committed when the handler returns, else rolled back.
    Reads (GET) never take SQLite's write lock."""
    with session_scope(settings.db_url, readonly=request.method in ("GET", "HEAD")) as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session)]
SettingsDep = Annotated[Settings, Depends(get_settings)]


def get_principal(
    request: Request,
    settings: SettingsDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    """An API key (Bearer), else the web console's session cookie (with its CSRF header on unsafe
    methods): a signed-in user acts with their role, like a key."""
    if credentials is None or credentials.scheme.lower() != "bearer":
        principal = principal_from_cookie(request, settings)
        if principal is None:
            raise AuthError("missing API key: send 'Authorization: Bearer <key>'")
        return principal
    with session_scope(settings.db_url, readonly=True) as session:
        return authenticate(session, credentials.credentials)


def require(*roles: str) -> Callable[[Principal], Principal]:
    """A dependency that admits only these roles (admin is always admitted)."""
    allowed = {*roles, "admin"}

    def check(principal: Annotated[Principal, Depends(get_principal)]) -> Principal:
        if principal.role not in allowed:
            raise ForbiddenError(
                f"role {principal.role!r} may not do this (needs {' or '.join(sorted(allowed))})"
            )
        return principal

    return check


Uploader = Annotated[Principal, Depends(require("uploader"))]
Reader = Annotated[Principal, Depends(require("uploader", "reviewer", "supervisor"))]
Staff = Annotated[Principal, Depends(require("reviewer", "supervisor"))]
Supervisor = Annotated[Principal, Depends(require("supervisor"))]
Admin = Annotated[Principal, Depends(require())]
