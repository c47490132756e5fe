"""Who may see a console page: sign-in redirects, role checks and CSRF checks on forms."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, Request
from starlette.datastructures import FormData

from api.console.auth import csrf_matches, signed_in
from api.deps import SettingsDep
from qa_service.users import SignedIn


class SignInRequired(Exception):
    """Not signed in (or the session ended): go to the sign-in page, then back."""


class ConsolePageError(Exception):
    """An error page: ``key`` names its message in the catalogue; ``detail`` adds the cause, and
    ``code`` (a typed error's) says that cause in the page's language."""

    def __init__(
        self, status_code: int, key: str, detail: str | None = None, code: str | None = None
    ) -> None:
        super().__init__(key)
        self.status_code, self.key, self.detail, self.code = status_code, key, detail, code


def current_user(request: Request, settings: SettingsDep) -> SignedIn:
    user = signed_in(request, settings)
    if user is None:
        raise SignInRequired()
    return user


def allow(*roles: str) -> Callable[[SignedIn], SignedIn]:
    """Admit these roles (admins always), like the API's role dependencies."""
    allowed = {*roles, "admin"}

    def check(user: Annotated[SignedIn, Depends(current_user)]) -> SignedIn:
        if user.role not in allowed:
            raise ConsolePageError(403, "error.forbidden")
        return user

    return check


Staff = Annotated[SignedIn, Depends(allow("reviewer", "supervisor"))]
Supervisor = Annotated[SignedIn, Depends(allow("supervisor"))]
Admin = Annotated[SignedIn, Depends(allow())]


async def checked_form(request: Request, user: SignedIn) -> FormData:
    """The posted form, once its ``csrf_token`` field matches the session's."""
    form = await request.form()
    given = form.get("csrf_token")
    if not isinstance(given, str) or not csrf_matches(user.csrf_token, given):
        raise ConsolePageError(403, "error.csrf")
    return form
