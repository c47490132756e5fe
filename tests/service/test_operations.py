"""Health, readiness, metrics, the OpenAPI document, migrations, logs and the key command."""

from __future__ import annotations

import json
import logging

import pytest

from qa_service.db import migrate
from qa_service.db.session import session_scope
from qa_service.logs import JsonFormatter
from tests.conftest import SAMPLES
from tests.service.conftest import auth, metadata, upload


def test_health_and_readiness(client, settings, monkeypatch, tmp_path):
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.json()["checks"]["database"] == "ok"
    monkeypatch.setattr(settings.asr, "model", str(tmp_path / "missing-model"))
    not_ready = client.get("/readyz")
    assert not_ready.status_code == 503 and "does not exist" in not_ready.json()["checks"]["asr_model"]


def test_metrics_count_uploads_queue_and_stages(client, keys, settings):
    upload(client, keys["uploader"], SAMPLES / "zh-dev-11-cut.wav", metadata("m-1"))
    upload(client, keys["uploader"], b"not audio", metadata("m-2"))
    text = client.get("/metrics").text
    lines = {
        line.rsplit(" ", 1)[0]: float(line.rsplit(" ", 1)[1])
        for line in text.splitlines()
        if line and not line.startswith("#")
    }
    assert lines["qa_queue_depth"] == 1
    assert (
        lines['qa_uploads_total{outcome="accepted"}'] >= 1
        and lines['qa_uploads_total{outcome="refused"}'] >= 1
    )
    assert lines['qa_calls{status="queued"}'] == 1


def test_requests_carry_an_id_and_log_json(client, caplog):
    caplog.set_level(logging.INFO, logger="api.access")
    r = client.get("/healthz", headers={"X-Request-ID": "abc123"})
    assert r.headers["x-request-id"] == "abc123"
    client.get("/v1/agents")
    record = next(rec for rec in caplog.records if getattr(rec, "path", None) == "/v1/agents")
    line = json.loads(JsonFormatter().format(record))
    assert line["status"] == 401 and line["method"] == "GET" and len(line["request_id"]) == 32


def test_openapi_documents_every_route_with_examples(client):
    spec = client.get("/openapi.json").json()
    upload_op = spec["paths"]["/v1/calls"]["post"]
    assert set(upload_op["requestBody"]["content"]["multipart/form-data"]["schema"]["required"]) == {
        "audio",
        "metadata",
    }
    assert {"202", "409", "413", "415", "422", "401", "403"} <= set(upload_op["responses"])
    for path, ops in spec["paths"].items():
        for method, op in ops.items():
            assert op.get("summary"), (method, path)
    schemas = spec["components"]["schemas"]
    for name in ("CallAccepted", "CallDetail", "ErrorBody", "RubricOut", "AgentOut"):
        assert "example" in schemas[name], name
    assert spec["components"]["securitySchemes"]["HTTPBearer"]["scheme"] == "bearer"


def test_migrations_match_the_tables(settings):
    migrate.check(settings.db_url)  # raises when a model change has no migration


def test_keys_create_prints_only_the_key(tmp_path, capsys, monkeypatch, client, keys):
    from qa_service.cli import main

    monkeypatch.setenv("QA_DATA_DIR", str(tmp_path / "cli-data"))
    monkeypatch.delenv("QA_DATABASE_URL", raising=False)
    assert main(["keys", "create", "--role", "reviewer", "--name", "qa-team"]) == 0
    out = capsys.readouterr().out
    assert out.count("\n") == 1 and out.startswith("qa_")
    with pytest.raises(SystemExit) as refused:
        main(["keys", "create", "--role", "emperor"])
    assert refused.value.code == 2 and "invalid choice" in capsys.readouterr().err


def test_agents_are_listed_created_and_updated(client, keys):
    sup = auth(keys["supervisor"])
    assert (
        client.post(
            "/v1/agents", headers=sup, json={"agent_id": "B7", "name": "李雷", "team": "一组"}
        ).status_code
        == 201
    )
    assert client.post("/v1/agents", headers=sup, json={"agent_id": "B7", "team": "二组"}).status_code == 200
    assert client.get("/v1/agents", headers=sup, params={"team": "二组"}).json() == [
        {"agent_id": "B7", "name": "李雷", "team": "二组"}
    ]
    assert client.post("/v1/agents", headers=sup, json={"agent_id": ""}).status_code == 422


def test_the_first_admin_key_is_made_once(settings):
    from qa_service.service import first_admin_key

    assert first_admin_key(settings) is not None
    assert first_admin_key(settings) is None


def test_the_first_console_admin_is_made_once_and_can_sign_in(settings):
    from qa_service.db.tables import ConsoleUser
    from qa_service.service import first_console_admin
    from qa_service.users import attempt_sign_in

    password = first_console_admin(settings)
    assert password and len(password) >= 12
    assert first_console_admin(settings) is None
    with session_scope(settings.db_url) as session:
        user = attempt_sign_in(session, "admin", password, settings.console)
        assert isinstance(user, ConsoleUser) and user.role == "admin"
