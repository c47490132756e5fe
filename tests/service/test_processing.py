"""The worker runs the real pipeline on uploaded calls; results, search, re-scoring, failures."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from sqlalchemy import select

from qa_service.db.session import session_scope
from qa_service.db.tables import Call, StageTiming
from qa_service.worker import claim_next, process_call
from tests.conftest import ROOT, SAMPLES, ZH_DEFAULT_VERSION
from tests.service.conftest import auth, metadata, upload

BLAME = SAMPLES / "zh-dev-11-cut.wav"  # agent on the left; blame-shifting in the first seconds


def work_one(settings, **kwargs) -> str:
    call_id = claim_next(settings, "test-worker")
    assert call_id is not None
    outcome = process_call(call_id, settings, "test-worker", **kwargs)
    return outcome.status


def test_an_uploaded_call_is_analysed_scored_and_served(client, keys, settings):
    accepted = upload(client, keys["uploader"], BLAME, metadata("blame-1")).json()
    assert work_one(settings) == "done"
    staff = auth(keys["reviewer"])
    call = client.get(f"/v1/calls/{accepted['id']}", headers=staff).json()
    assert call["status"] == "done" and call["attempts"] == 1 and call["error"] is None
    assert call["rubric"]["id"] == "zh-CN.default" and len(call["rubric"]["sha256"]) == 64
    assert (
        0 <= call["score"] < 60
        and call["flagged"]
        and "critical:forbidden_expressions" in call["flag_reasons"]
    )
    findings = {f["check_id"]: f for f in call["findings"]}
    [hit] = findings["forbidden_expressions"]["evidence"]
    assert hit["role"] == "agent" and hit["start"] < 4.5 and "不是我们的问题" in hit["text"]
    assert findings["interruptions"]["status"] == "passed"  # the customer interrupted, not the agent
    assert {"transcribe", "score", "decode"} <= set(call["timings"])
    assert call["agent"] == {"agent_id": "A1024", "name": "王丽", "team": "售后一组"}

    transcript = client.get(f"/v1/calls/{accepted['id']}/transcript", headers=staff).json()
    roles = [u["role"] for u in transcript["utterances"] if u["suspect"] is None]
    assert roles == ["agent", "customer", "agent", "customer", "agent"]
    assert all(u["words"] for u in transcript["utterances"])

    audio = client.get(f"/v1/calls/{accepted['id']}/audio", headers={**staff, "Range": "bytes=100-199"})
    assert audio.status_code == 206 and audio.content == BLAME.read_bytes()[100:200]
    assert audio.headers["content-range"] == f"bytes 100-199/{BLAME.stat().st_size}"
    whole = client.get(f"/v1/calls/{accepted['id']}/audio", headers=staff)
    assert whole.status_code == 200 and whole.content == BLAME.read_bytes()

    with session_scope(settings.db_url) as session:
        stages = {t.stage for t in session.scalars(select(StageTiming))}
    assert {"decode", "transcribe", "score"} <= stages


def test_search_filters_and_cursor_pagination(client, keys, settings):
    ids = []
    for n, (agent, team, queue) in enumerate(
        [("A1", "T1", "sales"), ("A2", "T1", "after-sales"), ("A3", "T2", "after-sales")]
    ):
        meta = metadata(
            f"search-{n}",
            agent_id=agent,
            team=team,
            queue=queue,
            started_at=f"2026-11-0{n + 1}T10:00:00+00:00",
        )
        ids.append(
            upload(client, keys["uploader"], BLAME if n == 0 else SAMPLES / "zh-dev-23-cut.wav", meta).json()[
                "id"
            ]
        )
    assert work_one(settings) == "done"  # the oldest: search-0, the blame-shifting call
    staff = auth(keys["supervisor"])

    def found(**params) -> list[str]:
        return [c["id"] for c in client.get("/v1/calls", headers=staff, params=params).json()["items"]]

    assert found() == ids[::-1]  # newest first
    assert found(agent="A2") == [ids[1]]
    assert found(team="T1") == [ids[1], ids[0]]
    assert found(queue="after-sales") == [ids[2], ids[1]]
    assert found(started_from="2026-11-02T00:00:00Z", started_to="2026-11-03T00:00:00Z") == [ids[1]]
    assert found(status="queued") == [ids[2], ids[1]]
    assert found(status="done", flagged=True) == [ids[0]]
    assert found(score_max=60) == [ids[0]] and found(score_min=99) == []
    assert found(failed_check="forbidden_expressions") == [ids[0]]
    assert found(failed_check="pii_disclosure") == []
    assert found(q="快遞公司") == [ids[0]]  # traditional characters find the simplified transcript
    assert found(q="检查 照片") == [ids[0]] and found(q="检查 发票号码") == []

    page1 = client.get("/v1/calls", headers=staff, params={"limit": 2}).json()
    page2 = client.get("/v1/calls", headers=staff, params={"limit": 2, "cursor": page1["next_cursor"]}).json()
    assert [c["id"] for c in page1["items"] + page2["items"]] == ids[::-1] and page2["next_cursor"] is None
    bad = client.get("/v1/calls", headers=staff, params={"cursor": "nonsense"})
    assert bad.status_code == 422 and bad.json()["error"] == "invalid_metadata"


def test_rescoring_with_another_rubric_version_needs_no_transcription(client, keys, settings):
    accepted = upload(client, keys["uploader"], BLAME, metadata("rescore-1")).json()
    assert work_one(settings) == "done"
    admin = auth(keys["admin"])
    before = client.get(f"/v1/calls/{accepted['id']}", headers=admin).json()
    default = (ROOT / "rubric" / "zh-CN.default.yaml").read_text(encoding="utf-8")
    newer = ZH_DEFAULT_VERSION + 1
    strict = default.replace(f"version: {ZH_DEFAULT_VERSION}", f"version: {newer}", 1).replace(
        "{mode: cap, cap: 60}", "{mode: zero}"
    )
    assert strict != default
    published = client.post(
        "/v1/rubrics", headers={**admin, "content-type": "application/yaml"}, content=strict.encode()
    )
    assert published.status_code == 201 and published.json()["version"] == newer
    assert published.json()["active"] is False  # publishing does not activate
    changed = strict.replace("pass_threshold: 80", "pass_threshold: 70")
    immutable = client.post(
        "/v1/rubrics", headers={**admin, "content-type": "application/yaml"}, content=changed.encode()
    )
    assert immutable.status_code == 409
    started = time.perf_counter()
    r = client.post(
        f"/v1/calls/{accepted['id']}/rescore",
        headers=admin,
        json={"rubric_id": "zh-CN.default", "version": newer},
    )
    assert r.status_code == 200, r.text
    assert time.perf_counter() - started < 5  # no model is run
    after = r.json()
    assert after["rubric"]["sha256"] != before["rubric"]["sha256"]
    assert before["score"] > 0 and after["score"] == 0  # a critical failure now zeroes the call
    assert after["findings"] == before["findings"]
    assert after["timings"] == before["timings"]
    missing = client.post(
        f"/v1/calls/{accepted['id']}/rescore",
        headers=admin,
        json={"rubric_id": "zh-CN.default", "version": 9},
    )
    assert missing.status_code == 404


def test_the_active_rubric_per_language_and_queue(client, keys, settings):
    admin = auth(keys["admin"])
    text = (ROOT / "rubric" / "zh-CN.default.yaml").read_text(encoding="utf-8")
    queue_rubric = text.replace("id: zh-CN.default", "id: zh-CN.sales", 1)
    r = client.post(
        "/v1/rubrics",
        headers={**admin, "content-type": "application/yaml"},
        content=queue_rubric.encode(),
        params={"activate": True, "queue": "sales"},
    )
    assert r.status_code == 201 and r.json()["active"] and r.json()["queue"] == "sales"
    upload(client, keys["uploader"], BLAME, metadata("q-1", queue="sales"))
    upload(client, keys["uploader"], BLAME, metadata("q-2", queue="after-sales"))
    assert work_one(settings) == "done" and work_one(settings) == "done"
    items = client.get("/v1/calls", headers=admin).json()["items"]
    rubric_of = {
        c["external_id"]: client.get(f"/v1/calls/{c['id']}", headers=admin).json()["rubric"]["id"]
        for c in items
    }
    assert rubric_of == {"q-1": "zh-CN.sales", "q-2": "zh-CN.default"}
    listed = client.get("/v1/rubrics", headers=admin, params={"active": True}).json()
    assert {(x["rubric_id"], x["queue"]) for x in listed} >= {
        ("zh-CN.sales", "sales"),
        ("zh-CN.default", None),
    }
    bad = client.post(
        "/v1/rubrics", headers={**admin, "content-type": "application/yaml"}, content=b"id: x\nversion: 0\n"
    )
    assert (
        bad.status_code == 422
        and bad.json()["error"] == "invalid_rubric"
        and "version" in bad.json()["detail"]
    )


def test_a_transient_failure_is_retried_then_succeeds(client, keys, settings, monkeypatch):
    import qa_service.pipeline as pipeline

    real = pipeline.run_pipeline
    calls = {"n": 0}

    def flaky(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 1:
            raise OSError("disk hiccup")
        return real(*args, **kwargs)

    monkeypatch.setattr(pipeline, "run_pipeline", flaky)
    accepted = upload(client, keys["uploader"], BLAME, metadata("flaky-1")).json()
    assert work_one(settings) == "queued"
    with session_scope(settings.db_url) as session:
        call = session.get(Call, accepted["id"])
        assert call is not None
        assert (call.status, call.attempts, call.error_code, call.failed_stage) == (
            "queued",
            1,
            "OSError",
            "decode",
        )
    assert work_one(settings) == "done"
    with session_scope(settings.db_url) as session:
        call = session.get(Call, accepted["id"])
        assert call is not None and (call.status, call.attempts, call.error_code) == ("done", 2, None)


def test_a_permanent_failure_is_stored_with_its_stage(client, keys, settings):
    accepted = upload(client, keys["uploader"], BLAME, metadata("broken-1")).json()
    with session_scope(settings.db_url) as session:
        call = session.get(Call, accepted["id"])
        assert call is not None
        stored = Path(settings.data_dir) / call.audio_path
    stored.write_bytes(b"garbage" * 100)  # the stored file went bad after it was accepted
    assert work_one(settings) == "failed"
    body = client.get(f"/v1/calls/{accepted['id']}", headers=auth(keys["uploader"])).json()
    assert body["status"] == "failed" and body["attempts"] == 1  # no retry: a retry cannot fix it
    assert body["error"]["code"] == "not_audio" and body["error"]["stage"] == "decode"


def test_retries_stop_at_the_maximum(client, keys, settings, monkeypatch):
    import qa_service.pipeline as pipeline

    def broken(*args, **kwargs):
        raise RuntimeError("out of memory")

    monkeypatch.setattr(pipeline, "run_pipeline", broken)
    accepted = upload(client, keys["uploader"], BLAME, metadata("oom-1")).json()
    outcomes = [work_one(settings) for _ in range(settings.service.max_attempts)]
    assert outcomes == ["queued"] * (settings.service.max_attempts - 1) + ["failed"]
    assert claim_next(settings, "w") is None
    body = client.get(f"/v1/calls/{accepted['id']}", headers=auth(keys["admin"])).json()
    assert body["status"] == "failed" and body["error"]["message"] == "out of memory"


def test_shutdown_releases_the_call(client, keys, settings):
    accepted = upload(client, keys["uploader"], BLAME, metadata("release-1")).json()
    assert work_one(settings, should_stop=lambda: True) == "queued"
    with session_scope(settings.db_url) as session:
        call = session.get(Call, accepted["id"])
        assert call is not None and (call.status, call.attempts, call.worker_id) == ("queued", 0, None)


@pytest.mark.parametrize("expired", [True, False])
def test_a_silent_workers_call_is_requeued_after_its_lease(client, keys, settings, expired):
    from datetime import timedelta

    from qa_service.db.tables import utcnow

    accepted = upload(client, keys["uploader"], BLAME, metadata("lease-1")).json()
    assert claim_next(settings, "crashed-worker") == accepted["id"]
    with session_scope(settings.db_url) as session:
        call = session.get(Call, accepted["id"])
        assert call is not None
        call.lease_expires_at = utcnow() + timedelta(seconds=-1 if expired else 60)
    taken = claim_next(settings, "new-worker")
    assert taken == (accepted["id"] if expired else None)
