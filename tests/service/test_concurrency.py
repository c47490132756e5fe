"""Real concurrency: parallel uploads to a live server, and a worker killed in the middle of a call."""

from __future__ import annotations

import hashlib
import signal
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

import httpx
from fastapi.testclient import TestClient
from sqlalchemy import select

from api.app import create_app
from qa_service.config import Settings
from qa_service.db.session import session_scope
from qa_service.db.tables import Call
from qa_service.service import prepare
from tests.conftest import SAMPLES
from tests.service.conftest import auth, metadata, service_settings, upload
from tests.service.live import live_server, start_worker

CLIP = SAMPLES / "zh-dev-11-cut.wav"


def _variant(n: int) -> bytes:
    """The same recording with one byte of the RIFF padding changed: other content, same audio."""
    data = bytearray(CLIP.read_bytes())
    data[-1] = n % 256
    return bytes(data)


def test_fifty_parallel_uploads_lose_and_duplicate_nothing(client, keys, settings):
    # 40 distinct calls, plus 10 repeats of some of them racing their originals.
    jobs = [(f"par-{n}", _variant(n)) for n in range(40)] + [(f"par-{n}", _variant(n)) for n in range(10)]
    with live_server(settings) as url, httpx.Client(base_url=url, timeout=60) as http:

        def send(job: tuple[str, bytes]) -> tuple[str, int, str]:
            external_id, content = job
            r = http.post(
                "/v1/calls",
                headers=auth(keys["uploader"]),
                files={"audio": ("a.wav", content, "audio/wav")},
                data={"metadata": metadata(external_id)},
            )
            return external_id, r.status_code, r.json().get("id", r.text)

        with ThreadPoolExecutor(max_workers=50) as pool:
            results = list(pool.map(send, jobs))
    assert all(code in (200, 202) for _, code, _ in results), [r for r in results if r[1] not in (200, 202)]
    by_external: dict[str, set[str]] = {}
    for external_id, _, call_id in results:
        by_external.setdefault(external_id, set()).add(call_id)
    assert all(len(ids) == 1 for ids in by_external.values())  # a repeat got the original's id
    assert sum(code == 202 for _, code, _ in results) == 40
    with session_scope(settings.db_url) as session:
        rows = session.scalars(select(Call)).all()
        assert sorted(c.external_id for c in rows) == sorted(f"par-{n}" for n in range(40))
        for c in rows:
            n = int(c.external_id.split("-")[1])
            stored = settings.data_dir / c.audio_path
            assert (
                c.content_sha256
                == hashlib.sha256(_variant(n)).hexdigest()
                == hashlib.sha256(stored.read_bytes()).hexdigest()
            )
    assert list((settings.data_dir / "staging").iterdir()) == []


@contextmanager
def _service(tmp_path, db_url, **service) -> Iterator[tuple[Settings, TestClient]]:
    """A client on the test's database with these service settings (short leases, fast polls)."""
    settings = service_settings(tmp_path, db_url, **service)
    prepare(settings)
    with TestClient(create_app(settings)) as client:
        yield settings, client


def test_a_worker_killed_mid_call_leaves_the_call_to_finish_after_restart(tmp_path, db_url, keys):
    with _service(tmp_path, db_url, lease_s=3, poll_interval_s=0.2) as (settings, client):
        call_id = upload(client, keys["uploader"], CLIP, metadata("kill-1")).json()["id"]

        def status() -> tuple[str, int]:
            body = client.get(f"/v1/calls/{call_id}", headers=auth(keys["admin"])).json()
            return body["status"], body["attempts"]

        worker = start_worker(settings)
        try:
            deadline = time.monotonic() + 120
            while status()[0] != "running":
                assert time.monotonic() < deadline and worker.poll() is None
                time.sleep(0.1)
            time.sleep(1.0)  # well inside the pipeline
            worker.kill()
            worker.wait()
            assert status() == ("running", 1)  # nobody finished it
        finally:
            worker.kill()
        replacement = start_worker(settings)
        try:
            deadline = time.monotonic() + 180
            while status()[0] != "done":
                assert time.monotonic() < deadline and replacement.poll() is None, status()
                time.sleep(0.5)
        finally:
            replacement.terminate()
            replacement.wait(30)
        assert status() == ("done", 2)
        body = client.get(f"/v1/calls/{call_id}", headers=auth(keys["admin"])).json()
        assert body["score"] is not None and body["findings"]


def test_sigterm_makes_a_worker_give_its_call_back(tmp_path, db_url, keys):
    with _service(tmp_path, db_url, poll_interval_s=0.2) as (settings, client):
        call_id = upload(client, keys["uploader"], CLIP, metadata("term-1")).json()["id"]
        worker = start_worker(settings)
        try:
            deadline = time.monotonic() + 120
            while (
                client.get(f"/v1/calls/{call_id}", headers=auth(keys["admin"])).json()["status"] != "running"
            ):
                assert time.monotonic() < deadline and worker.poll() is None
                time.sleep(0.1)
            worker.send_signal(signal.SIGTERM)
            assert worker.wait(60) == 0
        finally:
            worker.kill()
        body = client.get(f"/v1/calls/{call_id}", headers=auth(keys["admin"])).json()
        assert (body["status"], body["attempts"]) in {("queued", 0), ("done", 1)}  # released, or finished
