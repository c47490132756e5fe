"""Console users and their sign-in sessions.

Passwords are hashed with scrypt (a per-user random salt; about 50 ms and 16 MiB per guess), and a
user who fails several times in a row is locked out for a while. Sessions live in the database:
the browser holds a random token, the table only its SHA-256, so a leaked table signs nobody in.
Each session has its own CSRF token. A user acts through an identity row in ``api_keys`` (see
``ConsoleUser``), so a signed-in user is a ``Principal`` like an API key, with the same roles.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from qa_service.config import ConsoleSettings
from qa_service.db.tables import CONSOLE_ROLES, ApiKey, ConsoleSession, ConsoleUser, utcnow
from qa_service.errors import AuthError, ConflictError, InvalidMetadataError, NotFoundError
from qa_service.keys import Principal

USERNAME = re.compile(r"^[\w.@-]{2,64}$")
MIN_PASSWORD_LENGTH = 8
_SCRYPT = {"n": 2**14, "r": 8, "p": 1}
# A session's last use is written at most this often (reads must not take the write lock each time).
TOUCH_EVERY = timedelta(seconds=60)


class LockedOutError(AuthError):
    code = "locked_out"


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, dklen=32, **_SCRYPT)
    return f"scrypt${_SCRYPT['n']}${_SCRYPT['r']}${_SCRYPT['p']}${salt.hex()}${digest.hex()}"


def verify_password(password: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        computed = hashlib.scrypt(
            password.encode(), salt=bytes.fromhex(salt), n=int(n), r=int(r), p=int(p), dklen=32
        )
    except ValueError:
        return False
    return hmac.compare_digest(computed.hex(), digest)


@functools.cache
def _dummy_hash() -> str:
    """Checked for unknown user names, so that timing does not tell which names exist. Made on
    first use, not at import: every command and worker imports this module."""
    return hash_password(secrets.token_urlsafe(16))


_WRONG = "wrong user name or password"


def check_password_rules(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidMetadataError(f"a password needs at least {MIN_PASSWORD_LENGTH} characters")


def create_user(
    session: Session, username: str, password: str, role: str, team: str | None = None
) -> ConsoleUser:
    if not USERNAME.match(username):
        raise InvalidMetadataError("a user name is 2-64 letters, digits or . _ @ -")
    if role not in CONSOLE_ROLES:
        raise InvalidMetadataError(f"unknown role {role!r}: expected one of {', '.join(CONSOLE_ROLES)}")
    check_password_rules(password)
    if session.scalar(select(ConsoleUser.id).where(ConsoleUser.username == username)) is not None:
        raise ConflictError(f"user {username!r} exists")
    # The identity key: the secret is thrown away at once, so it can never be used as an API key.
    identity = ApiKey(
        prefix=secrets.token_hex(6),
        key_hash=hashlib.sha256(secrets.token_bytes(32)).hexdigest(),
        role=role,
        name=username,
        team=team or None,
    )
    session.add(identity)
    session.flush()
    user = ConsoleUser(
        username=username,
        password_hash=hash_password(password),
        role=role,
        team=team or None,
        key_id=identity.id,
    )
    session.add(user)
    session.flush()
    return user


def get_user(session: Session, username: str) -> ConsoleUser:
    user = session.scalar(select(ConsoleUser).where(ConsoleUser.username == username))
    if user is None:
        raise NotFoundError(f"no user {username!r}")
    return user


def set_password(session: Session, username: str, password: str) -> None:
    """A new password; every session of the user ends."""
    check_password_rules(password)
    user = get_user(session, username)
    user.password_hash, user.failed_sign_ins, user.locked_until = hash_password(password), 0, None
    session.execute(delete(ConsoleSession).where(ConsoleSession.user_id == user.id))
    session.flush()


def disable_user(session: Session, username: str) -> None:
    user = get_user(session, username)
    user.disabled = True
    key = session.get(ApiKey, user.key_id)
    if key is not None and key.revoked_at is None:
        key.revoked_at = utcnow()
    session.execute(delete(ConsoleSession).where(ConsoleSession.user_id == user.id))
    session.flush()


def attempt_sign_in(
    session: Session, username: str, password: str, policy: ConsoleSettings, now: datetime | None = None
) -> ConsoleUser | AuthError:
    """The user, or the refusal. Returned, not raised, so that the caller commits the failure count."""
    now = now or utcnow()
    user = session.scalar(select(ConsoleUser).where(ConsoleUser.username == username))
    if user is None or user.disabled:
        verify_password(password, _dummy_hash())
        return AuthError(_WRONG)
    if user.locked_until is not None and now < user.locked_until:
        minutes = max(1, round((user.locked_until - now).total_seconds() / 60))
        return LockedOutError(f"too many failed sign-ins: try again in {minutes} min")
    if not verify_password(password, user.password_hash):
        user.failed_sign_ins += 1
        if user.failed_sign_ins >= policy.max_failed_sign_ins:
            user.failed_sign_ins, user.locked_until = 0, now + timedelta(minutes=policy.lockout_min)
        session.flush()
        return AuthError(_WRONG)
    user.failed_sign_ins, user.locked_until, user.last_sign_in_at = 0, None, now
    session.flush()
    return user


@dataclass(frozen=True)
class SignedIn:
    """A valid session: who it is, and the CSRF token that unsafe requests must echo."""

    principal: Principal
    user_id: int
    team: str | None
    csrf_token: str
    needs_touch: bool

    @property
    def username(self) -> str:
        return self.principal.name

    @property
    def role(self) -> str:
        return self.principal.role


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start_session(
    session: Session, user: ConsoleUser, policy: ConsoleSettings, now: datetime | None = None
) -> str:
    """A new session (a new token on every sign-in); returns the token for the cookie."""
    now = now or utcnow()
    session.execute(
        delete(ConsoleSession).where(ConsoleSession.user_id == user.id, ConsoleSession.expires_at <= now)
    )
    token = secrets.token_urlsafe(32)
    session.add(
        ConsoleSession(
            token_hash=_digest(token),
            user_id=user.id,
            csrf_token=secrets.token_urlsafe(32),
            created_at=now,
            last_seen_at=now,
            expires_at=now + timedelta(hours=policy.absolute_timeout_h),
        )
    )
    session.flush()
    return token


def end_session(session: Session, token: str) -> None:
    session.execute(delete(ConsoleSession).where(ConsoleSession.token_hash == _digest(token)))
    session.flush()


def resolve_session(
    session: Session, token: str, policy: ConsoleSettings, now: datetime | None = None
) -> SignedIn | None:
    """The signed-in user of a cookie token, or None when unknown, expired, idle or disabled."""
    now = now or utcnow()
    row = session.get(ConsoleSession, _digest(token))
    if row is None or now >= row.expires_at:
        return None
    if now - row.last_seen_at > timedelta(minutes=policy.idle_timeout_min):
        return None
    user = session.get(ConsoleUser, row.user_id)
    if user is None or user.disabled:
        return None
    return SignedIn(
        principal=Principal(user.key_id, user.role, user.username),
        user_id=user.id,
        team=user.team,
        csrf_token=row.csrf_token,
        needs_touch=now - row.last_seen_at > TOUCH_EVERY,
    )


def sweep_sessions(session: Session, policy: ConsoleSettings, now: datetime | None = None) -> int:
    """Delete sessions past their lifetime or idle too long (workers do this every minute)."""
    now = now or utcnow()
    idle_since = now - timedelta(minutes=policy.idle_timeout_min)
    result = session.execute(
        delete(ConsoleSession).where(
            (ConsoleSession.expires_at <= now) | (ConsoleSession.last_seen_at < idle_since)
        )
    )
    session.flush()
    return int(getattr(result, "rowcount", 0) or 0)


def touch_session(session: Session, token: str, now: datetime | None = None) -> None:
    row = session.get(ConsoleSession, _digest(token))
    if row is not None:
        row.last_seen_at = now or utcnow()
        session.flush()


def reviewers(session: Session, team: str | None = None) -> list[ConsoleUser]:
    """Users who can be given review work (for assignment lists), of a team when given."""
    query = select(ConsoleUser).where(ConsoleUser.role == "reviewer", ConsoleUser.disabled.is_(False))
    if team:
        query = query.where(ConsoleUser.team == team)
    return list(session.scalars(query.order_by(ConsoleUser.username)))
