"""``qa-service bench api``: upload throughput and latency, and calls per hour end to end.

Starts the real service (``qa-service serve --no-worker``) on a fresh data directory with SQLite,
uploads 1 MB recordings from parallel clients, then lets one ``qa-service worker`` process a few
real calls from ``samples/`` and measures how many calls an hour one worker finishes.
"""

from __future__ import annotations

import io
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import wave
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import numpy as np

from qa_service.audio import probe_audio
from qa_service.config import Settings
from qa_service.db.session import session_scope
from qa_service.evaluation.transcripts import Log
from qa_service.keys import create_key
from qa_service.service import prepare


def one_megabyte_wav(seed: int) -> bytes:
    """About 1 MB of 8 kHz stereo 16-bit noise, different per seed (distinct content)."""
    rng = np.random.default_rng(seed)
    frames = (1_000_000 - 44) // 4
    samples = (rng.standard_normal((frames, 2)) * 2000).astype("<i2")
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as w:
        w.setnchannels(2)
        w.setsampwidth(2)
        w.setframerate(8000)
        w.writeframes(samples.tobytes())
    return buffer.getvalue()


def _metadata(external_id: str) -> str:
    return json.dumps(
        {
            "external_id": external_id,
            "agent_id": "bench-agent",
            "started_at": "2026-11-23T09:00:00+08:00",
            "direction": "inbound",
            "channel_layout": "stereo_agent_left",
            "language": "zh",
        }
    )


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _start(args: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", *args], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )


def _wait_ready(url: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError("the service exited at start")
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError("the service did not start in 60 s")


def bench_api(
    samples_dir: Path, log: Log, *, uploads: int = 500, concurrency: int = 16, calls: int = 3
) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="qa-bench-") as tmp:
        data_dir = Path(tmp)
        settings = Settings(data_dir=data_dir)
        prepare(settings)
        with session_scope(settings.db_url) as session:
            key = create_key(session, "uploader", "bench")
        env = {**os.environ, "QA_DATA_DIR": str(data_dir), "QA_DATABASE_URL": settings.db_url}
        port = _free_port()
        url = f"http://127.0.0.1:{port}"
        server = _start(["api.cli", "serve", "--no-worker", "--port", str(port)], env)
        try:
            _wait_ready(url, server)
            result = {"uploads": _uploads(url, key, log, uploads, concurrency)}
            if calls:
                result["processing"] = _processing(url, key, samples_dir, env, log, calls)
        finally:
            server.terminate()
            server.wait(30)
    return result


def _uploads(url: str, key: str, log: Log, count: int, concurrency: int) -> dict[str, Any]:
    bodies = [one_megabyte_wav(n) for n in range(count)]
    headers = {"Authorization": f"Bearer {key}"}
    with httpx.Client(base_url=url, timeout=60, limits=httpx.Limits(max_connections=concurrency)) as http:
        http.post(
            "/v1/calls",
            headers=headers,
            files={"audio": ("w.wav", bodies[0])},
            data={"metadata": _metadata("warm")},
        )

        def send(n: int) -> tuple[float, int]:
            started = time.perf_counter()
            r = http.post(
                "/v1/calls",
                headers=headers,
                files={"audio": (f"{n}.wav", bodies[n], "audio/wav")},
                data={"metadata": _metadata(f"bench-{n}")},
            )
            return time.perf_counter() - started, r.status_code

        started = time.perf_counter()
        with ThreadPoolExecutor(concurrency) as pool:
            results = list(pool.map(send, range(count)))
        wall = time.perf_counter() - started
    latencies = sorted(t for t, _ in results)
    failed = sum(code != 202 for _, code in results)
    summary = {
        "count": count,
        "concurrency": concurrency,
        "size_mb": round(len(bodies[0]) / 1e6, 2),
        "uploads_per_s": round(count / wall, 1),
        "p50_ms": round(statistics.median(latencies) * 1000, 1),
        "p99_ms": round(latencies[min(len(latencies) - 1, int(0.99 * len(latencies)))] * 1000, 1),
        "failed": failed,
    }
    log(
        f"uploads: {count} x {summary['size_mb']} MB, {concurrency} clients: {summary['uploads_per_s']} uploads/s, "
        f"p50 {summary['p50_ms']} ms, p99 {summary['p99_ms']} ms, {failed} failed"
    )
    return summary


def _processing(
    url: str, key: str, samples_dir: Path, env: dict[str, str], log: Log, calls: int
) -> dict[str, Any]:
    clips = sorted(samples_dir.glob("*.wav"))
    headers = {"Authorization": f"Bearer {key}"}
    ids = []
    with httpx.Client(base_url=url, timeout=60) as http:
        for n in range(calls):
            clip = clips[n % len(clips)]
            r = http.post(
                "/v1/calls",
                headers=headers,
                files={"audio": (clip.name, clip.read_bytes(), "audio/wav")},
                data={"metadata": _metadata(f"e2e-{n}")},
            )
            ids.append(r.json()["id"])
        worker = _start(["qa_service.cli", "worker"], env)
        started = time.perf_counter()
        try:
            pending = set(ids)
            while pending:
                time.sleep(0.5)
                for call_id in list(pending):
                    body = http.get(f"/v1/calls/{call_id}", headers=headers).json()
                    if body["status"] in ("done", "failed"):
                        pending.discard(call_id)
                if worker.poll() is not None:
                    raise RuntimeError("the worker exited")
            wall = time.perf_counter() - started
        finally:
            worker.terminate()
            worker.wait(60)
    audio_s = sum(probe_audio(clips[n % len(clips)]).duration_s for n in range(calls))
    summary = {
        "calls": calls,
        "audio_s": round(audio_s, 1),
        "wall_s": round(wall, 1),
        "calls_per_hour": round(calls / wall * 3600),
        "audio_hours_per_hour": round(audio_s / wall, 2),
    }
    log(
        f"processing: {calls} calls ({audio_s:.0f} s of audio) in {wall:.1f} s with one worker "
        f"(including model load): {summary['calls_per_hour']} calls/hour, "
        f"{summary['audio_hours_per_hour']} hours of audio per hour"
    )
    return summary
