"""API keys: ``qa_<prefix>_<secret>``; only a SHA-256 of the whole key is stored.

The keys are 190-bit random strings, so a fast hash is safe (there is nothing to brute-force) and
the lookup by prefix keeps authentication to one indexed query and one constant-time compare.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from qa_service.db.tables import ROLES, ApiKey, utcnow
from qa_service.errors import AuthError, InvalidMetadataError


@dataclass(frozen=True)
class Principal:
    """Who is calling: the key's row id, role and name."""

    key_id: int
    role: str
    name: str


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def create_key(session: Session, role: str, name: str | None = None, webhook_url: str | None = None) -> str:
    """Store a new key and return it; it is shown once and cannot be recovered."""
    if role not in ROLES:
        raise InvalidMetadataError(f"unknown role {role!r}: expected one of {', '.join(ROLES)}")
    prefix = secrets.token_hex(6)
    key = f"qa_{prefix}_{secrets.token_urlsafe(24)}"
    session.add(
        ApiKey(
            prefix=prefix,
            key_hash=_digest(key),
            role=role,
            name=name or f"{role}-{prefix}",
            webhook_url=webhook_url,
            webhook_secret=secrets.token_urlsafe(32) if webhook_url else None,
        )
    )
    session.flush()
    return key


def authenticate(session: Session, key: str) -> Principal:
    parts = key.split("_")
    if len(parts) < 3 or parts[0] != "qa":
        raise AuthError("malformed API key")
    row = session.scalar(select(ApiKey).where(ApiKey.prefix == parts[1]))
    if row is None or row.revoked_at is not None or not hmac.compare_digest(row.key_hash, _digest(key)):
        raise AuthError("unknown or revoked API key")
    return Principal(row.id, row.role, row.name)


def revoke_key(session: Session, prefix: str) -> None:
    row = session.scalar(select(ApiKey).where(ApiKey.prefix == prefix))
    if row is None:
        raise InvalidMetadataError(f"no key with prefix {prefix!r}")
    row.revoked_at = utcnow()
    session.flush()


def has_admin(session: Session) -> bool:
    return (
        session.scalar(select(ApiKey.id).where(ApiKey.role == "admin", ApiKey.revoked_at.is_(None)))
        is not None
    )
