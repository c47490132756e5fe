"""Console tests: a fresh service per test (SQLite, and PostgreSQL when configured, as the service
tests), console users of each role, and helpers to sign in through the form."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from qa_service import rubrics
from qa_service.config import Settings
from qa_service.db.session import session_scope
from qa_service.db.tables import Call, utcnow
from qa_service.keys import create_key
from qa_service.reviews.queue import enqueue_flagged
from qa_service.scoring.dialogue import parse_dialogue
from qa_service.scoring.engine import score_analysis
from qa_service.service import prepare
from qa_service.users import create_user
from qa_service.worker import apply_score
from tests.conftest import SAMPLES
from tests.service.conftest import db_url, metadata, service_settings, upload

__all__ = ["db_url"]  # the service tests' database fixture: SQLite, and PostgreSQL when configured

PASSWORD = "correct horse battery"
PEOPLE = {"li": "reviewer", "zhao": "reviewer", "wang": "supervisor", "root": "admin"}
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')

# A call with a forbidden expression (critical) and a mobile number said by the customer.
DIALOGUE = """[0.5-3.5] agent: 您好，很高兴为您服务，请问有什么可以帮您？
[4.0-9.0] customer: 我的快递三天了还没到，我的手机号是13812764509。
[9.5-12.0] agent: 这不是我们的问题，我们不负责。
[12.5-14.0] customer: 那我找谁？
[14.5-17.0] agent: 好的，感谢您的来电，再见。"""


def make_settings(tmp_path: Path, db_url: str, **overrides: Any) -> Settings:
    settings = service_settings(tmp_path, db_url)
    for name, value in overrides.items():
        setattr(settings, name, value)
    prepare(settings)
    return settings


@pytest.fixture
def settings(tmp_path: Path, db_url: str) -> Settings:
    return make_settings(tmp_path, db_url)


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings), follow_redirects=False) as c:
        yield c


@pytest.fixture
def people(settings: Settings) -> dict[str, int]:
    """User name -> identity key id."""
    with session_scope(settings.db_url) as session:
        made = {name: create_user(session, name, PASSWORD, role) for name, role in PEOPLE.items()}
        return {name: user.key_id for name, user in made.items()}


def scored_call(client: TestClient, settings: Settings, external_id: str = "pbx-c1") -> str:
    """An uploaded real recording whose result is the typed dialogue scored with the default rubric
    (no models run): done, flagged (critical) and in the review queue."""
    with session_scope(settings.db_url) as session:
        key = create_key(session, "uploader", f"pbx-{external_id}")
    call_id = str(upload(client, key, SAMPLES / "zh-dev-11-cut.wav", metadata(external_id)).json()["id"])
    with session_scope(settings.db_url) as session:
        rubric = rubrics.active_for(session, "zh", None)
        assert rubric is not None
        result = score_analysis(
            parse_dialogue(DIALOGUE, "zh", settings.pacing), settings, rubrics.loaded(rubric)
        )
        call = session.get(Call, call_id)
        assert call is not None
        call.status, call.finished_at = "done", utcnow()
        apply_score(session, call, result, rubric.id)
        enqueue_flagged(session, call)
    return call_id


def csrf_of(html: str) -> str:
    found = _CSRF.search(html)
    assert found, "no csrf_token field on the page"
    return found.group(1)


def sign_in(client: TestClient, username: str, password: str = PASSWORD, next: str = "/queue") -> Any:
    form = client.get(f"/login?next={next}")
    assert form.status_code == 200
    return client.post(
        "/login",
        data={"username": username, "password": password, "csrf_token": csrf_of(form.text), "next": next},
    )


def signed_in(client: TestClient, username: str) -> str:
    """Sign in and return the session's CSRF token."""
    response = sign_in(client, username)
    assert response.status_code == 303 and response.headers["location"] == "/queue", response.text
    return csrf_of(client.get("/queue").text)
