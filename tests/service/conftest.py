"""Service tests run on a fresh database each: SQLite always, PostgreSQL when QA_TEST_POSTGRES_URL
names a server (`.ci/run` starts one), with the same tests."""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from api.app import create_app
from qa_service.config import ServiceSettings, Settings
from qa_service.db.session import session_scope
from qa_service.keys import create_key
from qa_service.service import prepare

POSTGRES = os.environ.get("QA_TEST_POSTGRES_URL")
ROLES = ("uploader", "reviewer", "supervisor", "admin")


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    from qa_service.db.session import get_engine

    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'qa.db'}"
        yield url
        get_engine(url).dispose()
        return
    if not POSTGRES:
        pytest.skip("QA_TEST_POSTGRES_URL is not set (scripts/with-postgres.sh starts a server)")
    name = f"qa_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(POSTGRES, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(POSTGRES).set(database=name).render_as_string(hide_password=False)
    yield url
    get_engine(url).dispose()
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def service_settings(tmp_path: Path, db_url: str, **service: Any) -> Settings:
    defaults: dict[str, Any] = {
        "lease_s": 30,
        "retry_backoff_s": 0,
        "poll_interval_s": 0.1,
        "webhook_backoff_s": 0,
    }
    return Settings(
        data_dir=tmp_path / "data",
        database_url=db_url,  # type: ignore[arg-type]
        service=ServiceSettings(**{**defaults, **service}),
    )


@pytest.fixture
def settings(tmp_path: Path, db_url: str) -> Settings:
    s = service_settings(tmp_path, db_url)
    prepare(s)
    return s


@pytest.fixture
def keys(settings: Settings) -> dict[str, str]:
    with session_scope(settings.db_url) as session:
        made = {role: create_key(session, role, f"{role}-test") for role in ROLES}
        made["uploader2"] = create_key(session, "uploader", "other-pbx")
    return made


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as c:
        yield c


def auth(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def metadata(external_id: str = "pbx-1", **overrides: Any) -> str:
    base = {
        "external_id": external_id,
        "agent_id": "A1024",
        "agent_name": "王丽",
        "team": "售后一组",
        "started_at": "2026-11-23T09:12:00+08:00",
        "direction": "inbound",
        "channel_layout": "stereo_agent_left",
        "language": "zh",
        "queue": "after-sales",
        "customer_satisfaction": 4,
        "tags": ["test"],
    }
    base.update(overrides)
    return json.dumps({k: v for k, v in base.items() if v is not None}, ensure_ascii=False)


def upload(client: TestClient, key: str, audio: Path | bytes, meta: str, filename: str = "call.wav") -> Any:
    content = audio.read_bytes() if isinstance(audio, Path) else audio
    return client.post(
        "/v1/calls",
        headers=auth(key),
        files={"audio": (filename, content, "audio/wav")},
        data={"metadata": meta},
    )
