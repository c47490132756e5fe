"""``qa-service bench api``: upload throughput and latency, and calls per hour end to end.

Starts the real service (``qa-service serve --no-worker``) on a fresh data directory with SQLite
and uploads 1 MB recordings twice: back to back from parallel clients (the most it can take), and
on a fixed schedule (the latency a steady stream of calls sees). Then one ``qa-service worker``
processes real calls from ``samples/``: calls an hour end to end.
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
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import UTC, datetime
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


def _metadata(external_id: str, layout: str = "stereo_agent_left") -> str:
    return json.dumps(
        {
            "external_id": external_id,
            "agent_id": "bench-agent",
            "started_at": "2026-11-23T09:00:00+08:00",
            "direction": "inbound",
            "channel_layout": layout,
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


_BOUNDARY = "qa-bench-7c1d0e"


def _multipart(external_id: str, wav: bytes) -> bytes:
    """One upload's body, encoded once: the client should spend its CPU sending, not encoding."""
    head = (
        f'--{_BOUNDARY}\r\nContent-Disposition: form-data; name="metadata"\r\n\r\n'
        f"{_metadata(external_id)}\r\n--{_BOUNDARY}\r\n"
        'Content-Disposition: form-data; name="audio"; filename="call.wav"\r\n'
        "Content-Type: audio/wav\r\n\r\n"
    )
    return head.encode() + wav + f"\r\n--{_BOUNDARY}--\r\n".encode()


def bench_api(
    samples_dir: Path,
    log: Log,
    *,
    uploads: int = 500,
    concurrency: int = 16,
    rate: float = 50.0,
    calls: int = 8,
    processes: int | None = None,
) -> dict[str, Any]:
    processes = processes or Settings().service.api_processes
    result: dict[str, Any] = {"processes": processes}
    if uploads:
        with _service(processes) as (url, key, _env):
            log(
                f"service: {processes} HTTP processes, SQLite, on {os.cpu_count()} cores shared with the client"
            )
            client = _UploadClient(url, key, concurrency)
            result["saturation"] = client.saturate(uploads, log)
            result["fixed_rate"] = client.at_rate(rate, uploads, log)
    if calls:
        # A fresh service: the worker must not spend its time on the upload phase's noise.
        with _service(processes) as (url, key, env):
            result["processing"] = _processing(url, key, samples_dir, env, log, calls)
    return result


@contextmanager
def _service(processes: int) -> Iterator[tuple[str, str, dict[str, str]]]:
    """``qa-service serve --no-worker`` on a fresh data directory: (URL, uploader key, environment)."""
    with tempfile.TemporaryDirectory(prefix="qa-bench-") as tmp:
        settings = Settings(data_dir=Path(tmp))
        prepare(settings)
        with session_scope(settings.db_url) as session:
            key = create_key(session, "uploader", "bench")
        env = {**os.environ, "QA_DATA_DIR": tmp, "QA_DATABASE_URL": settings.db_url}
        port = _free_port()
        server = _start(
            ["api.cli", "serve", "--no-worker", "--port", str(port), "--processes", str(processes)], env
        )
        try:
            url = f"http://127.0.0.1:{port}"
            _wait_ready(url, server)
            yield url, key, env
        finally:
            server.terminate()
            server.wait(30)


class _UploadClient:
    """1 MB uploads, each with distinct content and its own external_id."""

    def __init__(self, url: str, key: str, concurrency: int) -> None:
        self._url = url
        self._concurrency = concurrency
        self._headers = {
            "Authorization": f"Bearer {key}",
            "Content-Type": f"multipart/form-data; boundary={_BOUNDARY}",
        }
        self._sent = 0

    def _bodies(self, count: int) -> list[bytes]:
        first = self._sent
        self._sent += count
        return [_multipart(f"bench-{n}", one_megabyte_wav(n)) for n in range(first, first + count)]

    def _client(self, connections: int) -> httpx.Client:
        return httpx.Client(base_url=self._url, timeout=60, limits=httpx.Limits(max_connections=connections))

    def saturate(self, count: int, log: Log) -> dict[str, Any]:
        """Closed loop: each client sends its next upload as soon as the last one is answered."""
        bodies = self._bodies(count + 1)
        with self._client(self._concurrency) as http:
            http.post("/v1/calls", headers=self._headers, content=bodies.pop())  # warm-up

            def send(body: bytes) -> tuple[float, int]:
                started = time.perf_counter()
                status = http.post("/v1/calls", headers=self._headers, content=body).status_code
                return time.perf_counter() - started, status

            started = time.perf_counter()
            with ThreadPoolExecutor(self._concurrency) as pool:
                results = list(pool.map(send, bodies))
            wall = time.perf_counter() - started
        summary = {
            "count": count,
            "concurrency": self._concurrency,
            "uploads_per_s": round(count / wall, 1),
            **_latency_summary(results),
        }
        log(
            f"saturation: {count} x 1 MB, {self._concurrency} clients back to back: "
            f"{summary['uploads_per_s']} uploads/s, p50 {summary['p50_ms']} ms, "
            f"p99 {summary['p99_ms']} ms, {summary['failed']} failed"
        )
        return summary

    def at_rate(self, rate: float, count: int, log: Log) -> dict[str, Any]:
        """Open loop: uploads start on a fixed schedule of ``rate`` per second whatever the answers,
        as telephony systems send them; latency counts from the scheduled start, so a stalled
        service cannot hide its backlog."""
        bodies = self._bodies(count)
        workers = max(self._concurrency, int(rate))
        with self._client(workers) as http:
            origin = time.perf_counter() + 0.5

            def send(n: int) -> tuple[float, int]:
                due = origin + n / rate
                time.sleep(max(0.0, due - time.perf_counter()))
                status = http.post("/v1/calls", headers=self._headers, content=bodies[n]).status_code
                return time.perf_counter() - due, status

            with ThreadPoolExecutor(workers) as pool:
                results = list(pool.map(send, range(count)))
            wall = time.perf_counter() - origin
        summary = {
            "count": count,
            "offered_per_s": rate,
            "uploads_per_s": round(count / wall, 1),
            **_latency_summary(results),
        }
        log(
            f"fixed rate: {count} x 1 MB offered at {rate:g}/s: {summary['uploads_per_s']} uploads/s done, "
            f"p50 {summary['p50_ms']} ms, p99 {summary['p99_ms']} ms, {summary['failed']} failed"
        )
        return summary


def _timestamp(iso: str) -> float:
    moment = datetime.fromisoformat(iso)
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp()


def _latency_summary(results: list[tuple[float, int]]) -> dict[str, Any]:
    latencies = sorted(t for t, _ in results)
    return {
        "p50_ms": round(statistics.median(latencies) * 1000, 1),
        "p99_ms": round(latencies[min(len(latencies) - 1, int(0.99 * len(latencies)))] * 1000, 1),
        "failed": sum(code != 202 for _, code in results),
    }


def _processing(
    url: str, key: str, samples_dir: Path, env: dict[str, str], log: Log, calls: int
) -> dict[str, Any]:
    """Queue ``calls`` real recordings, start one worker, and time each completion. The first call
    also pays for loading the models; the rest give the steady rate."""
    clips = sorted(samples_dir.glob("*.wav"))
    headers = {"Authorization": f"Bearer {key}"}
    durations: dict[str, float] = {}
    with httpx.Client(base_url=url, timeout=60) as http:
        for n in range(calls):
            clip = clips[n % len(clips)]
            probe = probe_audio(clip)
            layout = "stereo_agent_left" if probe.channels == 2 else "mono"
            r = http.post(
                "/v1/calls",
                headers=headers,
                files={"audio": (clip.name, clip.read_bytes(), "audio/wav")},
                data={"metadata": _metadata(f"e2e-{n}", layout)},
            )
            r.raise_for_status()
            durations[r.json()["id"]] = probe.duration_s
        worker = _start(["qa_service.cli", "worker"], env)
        started = datetime.now(UTC).timestamp()
        finished: dict[str, float] = {}  # the service's own completion times
        try:
            while len(finished) < calls:
                time.sleep(1.0)
                for call_id in durations.keys() - finished.keys():
                    body = http.get(f"/v1/calls/{call_id}", headers=headers).json()
                    if body["status"] == "failed":
                        raise RuntimeError(f"call {call_id} failed: {body['error']}")
                    if body["status"] == "done":
                        finished[call_id] = _timestamp(body["finished_at"])
                if worker.poll() is not None:
                    raise RuntimeError("the worker exited")
        finally:
            worker.terminate()
            worker.wait(60)
    order = sorted(finished, key=finished.__getitem__)
    first = finished[order[0]]
    steady_s = finished[order[-1]] - first
    steady_audio_s = sum(durations[c] for c in order[1:])
    summary: dict[str, Any] = {
        "calls": calls,
        "audio_s": round(sum(durations.values()), 1),
        "first_call_s": round(first - started, 1),
        "wall_s": round(finished[order[-1]] - started, 1),
    }
    if calls > 1 and steady_s > 0:
        summary["calls_per_hour"] = round((calls - 1) / steady_s * 3600)
        summary["audio_hours_per_hour"] = round(steady_audio_s / steady_s, 2)
    log(
        f"processing: {calls} real calls ({summary['audio_s']:.0f} s of audio) with one worker in "
        f"{summary['wall_s']} s; the first, with model loading, done after {summary['first_call_s']} s; "
        f"then {summary.get('calls_per_hour', '-')} calls/hour, "
        f"{summary.get('audio_hours_per_hour', '-')} hours of audio per hour"
    )
    return summary
