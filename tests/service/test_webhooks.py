"""Webhooks: signed POSTs to the uploader's URL on completion and failure, retried, logged."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

from qa_service.webhooks import SIGNATURE_HEADER, deliver_due, sign, verify
from qa_service.worker import claim_next, process_call
from tests.conftest import SAMPLES
from tests.service.conftest import auth, metadata, upload


class Receiver:
    """A local HTTP endpoint that answers with the next scripted status codes."""

    def __init__(self, statuses: list[int]) -> None:
        self.statuses = statuses
        self.received: list[tuple[dict[str, str], bytes]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.received.append((dict(self.headers), body))
                code = receiver.statuses.pop(0) if receiver.statuses else 200
                self.send_response(code)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()


def test_signatures_verify_and_reject_tampering_and_replays():
    body = b'{"a": 1}'
    header = sign("s3cret", body, 1_700_000_000)
    assert verify("s3cret", body, header, now=1_700_000_100)
    assert not verify("s3cret", body + b" ", header, now=1_700_000_100)
    assert not verify("other", body, header, now=1_700_000_100)
    assert not verify("s3cret", body, header, now=1_700_000_000 + 3600)  # too old: a replay
    assert not verify("s3cret", body, "garbage", now=1_700_000_100)


def test_completion_is_posted_signed_and_retried_until_delivered(client, keys, settings):
    receiver = Receiver([500, 503])  # two failures, then success
    try:
        registered = client.put(
            "/v1/webhook", headers=auth(keys["uploader"]), json={"url": receiver.url}
        ).json()
        secret = registered["secret"]
        accepted = upload(client, keys["uploader"], SAMPLES / "zh-dev-11-cut.wav", metadata("hook-1")).json()
        call_id = claim_next(settings, "w")
        assert call_id == accepted["id"]
        assert process_call(call_id, settings, "w").status == "done"
        for _ in range(3):
            assert deliver_due(settings) == 1
        assert deliver_due(settings) == 0  # delivered: nothing more to send
        assert len(receiver.received) == 3
        headers, body = receiver.received[-1]
        assert verify(secret, body, headers[SIGNATURE_HEADER])
        event = json.loads(body)
        assert event["event"] == "call.done" and event["call_id"] == accepted["id"]
        assert event["external_id"] == "hook-1" and event["flagged"] is True
        log = client.get("/v1/webhook/deliveries", headers=auth(keys["uploader"])).json()
        assert [(d["status"], d["attempts"], d["last_status_code"]) for d in log] == [("delivered", 3, 200)]
        assert client.get("/v1/webhook/deliveries", headers=auth(keys["uploader2"])).json() == []
    finally:
        receiver.close()


def test_failures_are_notified_and_delivery_gives_up_after_the_maximum(client, keys, settings):
    receiver = Receiver([500] * 100)
    try:
        client.put("/v1/webhook", headers=auth(keys["uploader"]), json={"url": receiver.url})
        accepted = upload(client, keys["uploader"], SAMPLES / "zh-dev-11-cut.wav", metadata("hook-2")).json()
        from qa_service.db.session import session_scope
        from qa_service.db.tables import Call

        with session_scope(settings.db_url) as session:
            call = session.get(Call, accepted["id"])
            assert call is not None
            (settings.data_dir / call.audio_path).write_bytes(b"x" * 1000)
        call_id = claim_next(settings, "w")
        assert call_id is not None and process_call(call_id, settings, "w").status == "failed"
        for _ in range(settings.service.webhook_max_attempts + 2):
            deliver_due(settings)
        assert len(receiver.received) == settings.service.webhook_max_attempts
        event = json.loads(receiver.received[0][1])
        assert event["event"] == "call.failed" and event["error"]["stage"] == "decode"
        [logged] = client.get("/v1/webhook/deliveries", headers=auth(keys["admin"])).json()
        assert logged["status"] == "failed" and logged["last_error"] == "HTTP 500"
    finally:
        receiver.close()


def test_a_key_without_a_webhook_sends_nothing(client, keys, settings):
    upload(client, keys["uploader"], SAMPLES / "zh-dev-11-cut.wav", metadata("hook-3"))
    call_id = claim_next(settings, "w")
    assert call_id is not None and process_call(call_id, settings, "w").status == "done"
    assert deliver_due(settings) == 0
    assert client.delete("/v1/webhook", headers=auth(keys["uploader"])).status_code == 404
