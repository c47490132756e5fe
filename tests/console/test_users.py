"""Console users in the core: password hashing, sign-in with lockout, sessions and their expiry."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest

from qa_service.config import ConsoleSettings
from qa_service.db.session import session_scope
from qa_service.db.tables import ApiKey, ConsoleSession, utcnow
from qa_service.errors import AuthError, ConflictError, InvalidMetadataError
from qa_service.keys import authenticate
from qa_service.users import (
    LockedOutError,
    attempt_sign_in,
    create_user,
    disable_user,
    hash_password,
    resolve_session,
    start_session,
    sweep_sessions,
    verify_password,
)

POLICY = ConsoleSettings(max_failed_sign_ins=3, lockout_min=10, idle_timeout_min=30, absolute_timeout_h=8)


def test_passwords_are_salted_scrypt_hashes():
    first, second = hash_password("s3cret-pass"), hash_password("s3cret-pass")
    assert first != second and first.startswith("scrypt$16384$8$1$")
    assert "s3cret-pass" not in first
    assert verify_password("s3cret-pass", first) and not verify_password("s3cret-pasS", first)
    assert not verify_password("x", "garbage")


def test_a_user_acts_through_an_identity_key_that_cannot_sign_api_requests(settings):
    with session_scope(settings.db_url) as session:
        user = create_user(session, "li", "password-1", "reviewer", "售后一组")
        key = session.get(ApiKey, user.key_id)
        assert key is not None and (key.role, key.name, key.team) == ("reviewer", "li", "售后一组")
        with pytest.raises(AuthError):
            authenticate(session, f"qa_{key.prefix}_guess")
        with pytest.raises(ConflictError):
            create_user(session, "li", "password-2", "reviewer")
        with pytest.raises(InvalidMetadataError, match="at least 8"):
            create_user(session, "zhao", "short", "reviewer")
        with pytest.raises(InvalidMetadataError, match="unknown role"):
            create_user(session, "zhao", "password-1", "uploader")


def test_failed_sign_ins_lock_the_user_out_for_a_while(settings):
    now = utcnow()
    with session_scope(settings.db_url) as session:
        create_user(session, "li", "password-1", "reviewer")
    for _ in range(3):
        with session_scope(settings.db_url) as session:
            assert isinstance(attempt_sign_in(session, "li", "wrong-one", POLICY, now), AuthError)
    with session_scope(settings.db_url) as session:
        refused = attempt_sign_in(session, "li", "password-1", POLICY, now + timedelta(minutes=5))
        assert isinstance(refused, LockedOutError) and "try again in 5 min" in refused.message
    with session_scope(settings.db_url) as session:
        user = attempt_sign_in(session, "li", "password-1", POLICY, now + timedelta(minutes=11))
        assert not isinstance(user, Exception) and user.failed_sign_ins == 0
        unknown = attempt_sign_in(session, "nobody", "password-1", POLICY, now)
        assert isinstance(unknown, AuthError) and unknown.message == "wrong user name or password"


def test_sessions_end_when_idle_too_long_past_their_lifetime_or_when_the_user_is_disabled(settings):
    now = utcnow()
    with session_scope(settings.db_url) as session:
        user = create_user(session, "li", "password-1", "reviewer")
        token = start_session(session, user, POLICY, now)
    with session_scope(settings.db_url) as session:
        found = resolve_session(session, token, POLICY, now + timedelta(minutes=29))
        assert found is not None and found.principal.role == "reviewer" and found.principal.name == "li"
        assert found.principal.key_id == user.key_id and found.needs_touch
        assert resolve_session(session, token, POLICY, now + timedelta(minutes=31)) is None
        assert resolve_session(session, token + "x", POLICY, now) is None
        row_expiry = now + timedelta(hours=8)
        assert resolve_session(session, token, POLICY, row_expiry) is None
    with session_scope(settings.db_url) as session:
        disable_user(session, "li")
    with session_scope(settings.db_url) as session:
        assert resolve_session(session, token, POLICY, now) is None
        assert isinstance(attempt_sign_in(session, "li", "password-1", POLICY, now), AuthError)


def test_workers_sweep_sessions_that_expired_or_went_idle(settings):
    now = utcnow()
    with session_scope(settings.db_url) as session:
        li = create_user(session, "li", "password-1", "reviewer")
        wang = create_user(session, "wang", "password-1", "supervisor")
        idle = start_session(session, li, POLICY, now - timedelta(minutes=31))
        fresh = start_session(session, wang, POLICY, now)
    with session_scope(settings.db_url) as session:
        assert sweep_sessions(session, POLICY, now) == 1
    with session_scope(settings.db_url) as session:
        assert resolve_session(session, fresh, POLICY, now) is not None
        assert session.get(ConsoleSession, hashlib.sha256(idle.encode()).hexdigest()) is None
    with session_scope(settings.db_url) as session:  # past its lifetime however busy it was
        assert sweep_sessions(session, POLICY, now + timedelta(hours=8)) == 1
