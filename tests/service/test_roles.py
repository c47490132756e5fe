"""Every route admits exactly its roles: 401 without a valid key, 403 for the wrong role."""

from __future__ import annotations

import pytest

from tests.conftest import ZH_DEFAULT_VERSION
from tests.service.conftest import ROLES, auth, metadata

# (method, path, roles allowed). Bodies are valid enough to get past validation when allowed.
ROUTES = [
    ("POST", "/v1/calls", {"uploader", "admin"}),
    ("GET", "/v1/calls", {"reviewer", "supervisor", "admin"}),
    ("GET", "/v1/calls/{id}", {"uploader", "reviewer", "supervisor", "admin"}),
    ("GET", "/v1/calls/{id}/transcript", {"reviewer", "supervisor", "admin"}),
    ("GET", "/v1/calls/{id}/audio", {"reviewer", "supervisor", "admin"}),
    ("POST", "/v1/calls/{id}/rescore", {"supervisor", "admin"}),
    ("GET", "/v1/rubrics", {"reviewer", "supervisor", "admin"}),
    ("POST", "/v1/rubrics", {"admin"}),
    ("GET", f"/v1/rubrics/zh-CN.default/{ZH_DEFAULT_VERSION}", {"reviewer", "supervisor", "admin"}),
    ("POST", f"/v1/rubrics/zh-CN.default/{ZH_DEFAULT_VERSION}/activate", {"admin"}),
    ("GET", "/v1/agents", {"reviewer", "supervisor", "admin"}),
    ("POST", "/v1/agents", {"supervisor", "admin"}),
    ("POST", "/v1/keys", {"admin"}),
    ("GET", "/v1/keys", {"admin"}),
    ("DELETE", "/v1/keys/nosuchprefix", {"admin"}),
    ("PUT", "/v1/webhook", {"uploader", "admin"}),
    ("DELETE", "/v1/webhook", {"uploader", "admin"}),
    ("GET", "/v1/webhook/deliveries", {"uploader", "reviewer", "supervisor", "admin"}),
    ("GET", "/v1/review-queue", {"reviewer", "supervisor", "admin"}),
    ("POST", "/v1/review-queue/assign", {"supervisor", "admin"}),
    ("POST", "/v1/review-queue/999999/claim", {"reviewer", "supervisor", "admin"}),
    ("GET", "/v1/calls/{id}/reviews", {"reviewer", "supervisor", "admin"}),
    ("POST", "/v1/calls/{id}/reviews", {"reviewer", "supervisor", "admin"}),
    ("GET", "/v1/disputes", {"reviewer", "supervisor", "admin"}),
    ("POST", "/v1/disputes", {"supervisor", "admin"}),
    ("POST", "/v1/disputes/999999/resolve", {"reviewer", "supervisor", "admin"}),
    ("GET", "/v1/audit", {"supervisor", "admin"}),
    ("GET", "/v1/spot-check-plans", {"reviewer", "supervisor", "admin"}),
    ("POST", "/v1/spot-check-plans", {"supervisor", "admin"}),
    ("POST", "/v1/spot-check-plans/999999/run", {"supervisor", "admin"}),
    ("GET", "/v1/spot-checks", {"reviewer", "supervisor", "admin"}),
    ("GET", "/v1/spot-checks/999999/statistics", {"reviewer", "supervisor", "admin"}),
    ("GET", "/v1/calibration", {"supervisor", "admin"}),
    ("GET", "/v1/assessments?period=2026-11", {"supervisor", "admin"}),
    ("GET", "/v1/agents/A1024/scorecard?period=2026-11", {"supervisor", "admin"}),
]


def _request(client, method, path, key, call_id):
    path = path.replace("{id}", call_id)
    kwargs: dict = {"headers": auth(key) if key else {}}
    if path == "/v1/calls" and method == "POST":
        from tests.conftest import SAMPLES

        kwargs["files"] = {"audio": ("a.wav", (SAMPLES / "zh-dev-11-cut.wav").read_bytes())}
        kwargs["data"] = {"metadata": metadata(f"roles-{key[-6:] if key else 'none'}")}
    elif path.endswith("/rescore"):
        kwargs["json"] = {"rubric_id": "zh-CN.default", "version": ZH_DEFAULT_VERSION}
    elif path == "/v1/rubrics" and method == "POST":
        kwargs["content"] = b"id: x\n"
        kwargs["headers"]["content-type"] = "application/yaml"
    elif path.endswith("/activate"):
        kwargs["json"] = {}
    elif path == "/v1/agents" and method == "POST":
        kwargs["json"] = {"agent_id": "A9", "team": "T"}
    elif path == "/v1/keys" and method == "POST":
        kwargs["json"] = {"role": "reviewer"}
    elif path == "/v1/webhook" and method == "PUT":
        kwargs["json"] = {"url": "http://127.0.0.1:9/hook"}
    elif path == "/v1/review-queue/assign":
        kwargs["json"] = {"mode": "even", "reviewer_ids": [1]}
    elif path.endswith("/reviews") and method == "POST":
        kwargs["json"] = {"human_score": 90}
    elif path == "/v1/disputes" and method == "POST":
        kwargs["json"] = {"call_id": call_id, "check_id": "greeting", "reason": "x"}
    elif path.endswith("/resolve"):
        kwargs["json"] = {"upheld": False, "resolution": "x"}
    elif path == "/v1/spot-check-plans" and method == "POST":
        kwargs["json"] = {"name": "p", "spec": {"count": 1}}
    elif path.endswith("/run"):
        kwargs["json"] = {}
    return client.request(method, path, **kwargs)


@pytest.fixture
def call_id(client, keys):
    from tests.conftest import SAMPLES

    files = {"audio": ("a.wav", (SAMPLES / "zh-dev-11-cut.wav").read_bytes())}
    r = client.post(
        "/v1/calls", headers=auth(keys["uploader"]), files=files, data={"metadata": metadata("owned")}
    )
    assert r.status_code == 202
    return r.json()["id"]


@pytest.mark.parametrize(("method", "path", "allowed"), ROUTES, ids=[f"{m} {p}" for m, p, _ in ROUTES])
def test_route_roles(client, keys, call_id, method, path, allowed):
    assert _request(client, method, path, None, call_id).status_code == 401
    assert _request(client, method, path, "qa_deadbeef_wrong", call_id).status_code == 401
    for role in ROLES:
        r = _request(client, method, path, keys[role], call_id)
        if role in allowed:
            assert r.status_code not in (401, 403), (role, r.status_code, r.text)
        else:
            assert r.status_code == 403, (role, r.status_code, r.text)
            assert r.json()["error"] == "forbidden"


def test_an_uploader_reads_only_its_own_uploads(client, keys, call_id):
    assert client.get(f"/v1/calls/{call_id}", headers=auth(keys["uploader"])).status_code == 200
    other = client.get(f"/v1/calls/{call_id}", headers=auth(keys["uploader2"]))
    assert other.status_code == 404


def test_a_revoked_key_is_refused(client, keys):
    made = client.post(
        "/v1/keys", headers=auth(keys["admin"]), json={"role": "reviewer", "name": "temp"}
    ).json()
    assert client.get("/v1/agents", headers=auth(made["key"])).status_code == 200
    assert client.delete(f"/v1/keys/{made['prefix']}", headers=auth(keys["admin"])).status_code == 204
    r = client.get("/v1/agents", headers=auth(made["key"]))
    assert r.status_code == 401 and r.json()["error"] == "unauthorized"
    listed = client.get("/v1/keys", headers=auth(keys["admin"])).json()
    assert all("key_hash" not in k and "key" not in k for k in listed)
