"""POST /v1/calls: accepted uploads are stored and queued; every refusal is a 4xx that stores nothing."""

from __future__ import annotations

import hashlib
import wave
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import func, select

from qa_service.db.session import session_scope
from qa_service.db.tables import Agent, Call
from tests.conftest import SAMPLES, write_audio
from tests.service.conftest import auth, metadata, upload

CLIP = SAMPLES / "zh-dev-11-cut.wav"


def stored_files(settings) -> list[Path]:
    return [
        p
        for p in settings.data_dir.rglob("*")
        if p.is_file() and p.suffix not in (".db", ".db-wal", ".db-shm")
    ]


def call_count(settings) -> int:
    with session_scope(settings.db_url) as session:
        return session.scalar(select(func.count()).select_from(Call)) or 0


def test_an_upload_is_stored_content_addressed_and_queued(client, keys, settings):
    r = upload(client, keys["uploader"], CLIP, metadata("pbx-1"))
    assert r.status_code == 202, r.text
    body = r.json()
    assert body["status"] == "queued" and body["duplicate"] is False
    assert r.headers["location"] == body["status_url"] == f"/v1/calls/{body['id']}"
    digest = hashlib.sha256(CLIP.read_bytes()).hexdigest()
    [stored] = stored_files(settings)
    assert stored.name == f"{digest}.wav" and stored.read_bytes() == CLIP.read_bytes()
    with session_scope(settings.db_url) as session:
        call = session.get(Call, body["id"])
        assert call is not None
        assert (call.status, call.channel_layout, call.audio_channels) == ("queued", "stereo_agent_left", 2)
        assert abs(call.duration_s - 32.7) < 0.05
        assert call.started_at is not None and call.started_at.hour == 1  # 09:12+08:00 in UTC
        agent = session.scalars(select(Agent)).one()
        assert (agent.external_id, agent.name, agent.team) == ("A1024", "王丽", "售后一组")
    status = client.get(body["status_url"], headers=auth(keys["uploader"])).json()
    assert status["status"] == "queued" and "findings" not in status  # uploaders see the status only


def test_uploads_are_idempotent_per_source_system(client, keys, settings):
    first = upload(client, keys["uploader"], CLIP, metadata("pbx-7")).json()
    again = upload(client, keys["uploader"], CLIP, metadata("pbx-7"))
    assert again.status_code == 200 and again.json()["id"] == first["id"] and again.json()["duplicate"]
    other = upload(client, keys["uploader"], SAMPLES / "zh-dev-23-cut.wav", metadata("pbx-7"))
    assert other.status_code == 409 and other.json()["error"] == "conflict"
    # Another source system may use the same external id.
    theirs = upload(client, keys["uploader2"], CLIP, metadata("pbx-7"))
    assert theirs.status_code == 202 and theirs.json()["id"] != first["id"]
    assert call_count(settings) == 2
    assert len(stored_files(settings)) == 1  # one recording, stored once


def _truncated(tmp_path: Path) -> bytes:
    data = CLIP.read_bytes()
    return data[: len(data) // 3]


def _lying_header(tmp_path: Path) -> bytes:
    """A RIFF/WAVE header that promises audio, followed by text."""
    return b"RIFF\xff\xff\x00\x00WAVEfmt " + b"this is not a recording at all " * 50


def _silence_wav(tmp_path: Path) -> bytes:
    path = tmp_path / "empty.wav"
    with wave.open(str(path), "wb") as w:
        w.setnchannels(2)
        w.setsampwidth(2)
        w.setframerate(8000)
    return path.read_bytes()


def _mono(tmp_path: Path) -> bytes:
    tone = 0.1 * np.sin(np.arange(16000) / 16000 * 2 * np.pi * 440)[None, :]
    return write_audio(tmp_path / "mono.wav", tone, 16000, "pcm_s16le").read_bytes()


BAD_AUDIO = [
    ("not_audio", lambda tmp: b"hello, this is a text file\n" * 100, 415, "not_audio"),
    ("empty", lambda tmp: b"", 415, "empty_audio"),
    ("truncated", _truncated, 415, "truncated_audio"),
    ("lying_header", _lying_header, 415, None),
    ("no_samples", _silence_wav, 415, "zero_length_audio"),
]


@pytest.mark.parametrize(("name", "make", "status", "code"), BAD_AUDIO, ids=[b[0] for b in BAD_AUDIO])
def test_bad_recordings_are_refused_and_nothing_is_stored(
    client, keys, settings, tmp_path, name, make, status, code
):
    r = upload(client, keys["uploader"], make(tmp_path), metadata(f"bad-{name}"))
    assert r.status_code == status, r.text
    if code:
        assert r.json()["error"] == code
    assert set(r.json()) == {"error", "detail"}
    assert call_count(settings) == 0 and stored_files(settings) == []


BAD_METADATA = [
    ("not_json", "{external_id: 1", "invalid_metadata", "not valid JSON"),
    ("not_object", "[1, 2]", "invalid_metadata", "JSON object"),
    ("missing_agent", metadata(agent_id=None), "invalid_metadata", "agent_id"),
    ("unknown_field", metadata(colour="blue"), "invalid_metadata", "colour"),
    ("unknown_layout", metadata(channel_layout="stereo_agent_middle"), "invalid_metadata", "channel_layout"),
    ("naive_time", metadata(started_at="2026-11-23T09:12:00"), "invalid_metadata", "started_at"),
    ("satisfaction", metadata(customer_satisfaction=9), "invalid_metadata", "customer_satisfaction"),
]


@pytest.mark.parametrize(("name", "meta", "code", "words"), BAD_METADATA, ids=[b[0] for b in BAD_METADATA])
def test_invalid_metadata_is_refused(client, keys, settings, name, meta, code, words):
    r = upload(client, keys["uploader"], CLIP, meta)
    assert r.status_code == 422 and r.json()["error"] == code and words in r.json()["detail"], r.text
    assert call_count(settings) == 0 and stored_files(settings) == []


def test_a_mono_file_declared_stereo_names_the_layout_problem(client, keys, settings, tmp_path):
    r = upload(client, keys["uploader"], _mono(tmp_path), metadata("mono-1"))
    assert r.status_code == 422 and r.json()["error"] == "layout_error" and "mono" in r.json()["detail"]
    assert call_count(settings) == 0 and stored_files(settings) == []
    ok = upload(client, keys["uploader"], _mono(tmp_path), metadata("mono-1", channel_layout="mono"))
    assert ok.status_code == 202


def test_malformed_requests(client, keys, settings):
    headers = auth(keys["uploader"])
    assert client.post("/v1/calls", headers=headers, json={"a": 1}).json()["error"] == "malformed_upload"
    only_meta = client.post("/v1/calls", headers=headers, files={"metadata": (None, metadata())})
    assert only_meta.status_code == 400 and "audio" in only_meta.json()["detail"]
    no_meta = client.post("/v1/calls", headers=headers, files={"audio": ("a.wav", CLIP.read_bytes())})
    assert no_meta.status_code == 422 and "metadata" in no_meta.json()["detail"]
    extra = client.post(
        "/v1/calls",
        headers=headers,
        files={"audio": ("a.wav", CLIP.read_bytes()), "photo": ("p.png", b"x")},
        data={"metadata": metadata()},
    )
    assert extra.status_code == 400 and "photo" in extra.json()["detail"]
    assert call_count(settings) == 0 and stored_files(settings) == []


def test_oversized_and_overlong_uploads(tmp_path, db_url, keys_factory=None):
    from fastapi.testclient import TestClient

    from api.app import create_app
    from qa_service.keys import create_key
    from qa_service.service import prepare
    from tests.service.conftest import service_settings

    settings = service_settings(tmp_path, db_url, max_upload_mb=0.2, max_duration_s=20)
    prepare(settings)
    with session_scope(settings.db_url) as session:
        key = create_key(session, "uploader")
    with TestClient(create_app(settings)) as client:
        big = upload(client, key, CLIP, metadata("big"))  # 0.5 MB
        assert big.status_code == 413 and big.json()["error"] == "upload_too_large"
        short = SAMPLES / "zh-dev-11-cut.wav"
        settings.service.max_upload_mb = 10
        long = upload(client, key, short, metadata("long"))  # 32.7 s > 20 s
        assert long.status_code == 422 and long.json()["error"] == "duration_out_of_range"
    assert call_count(settings) == 0 and stored_files(settings) == []
