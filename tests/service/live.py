"""A real uvicorn server on a free port, and `qa-service worker` processes, for tests that need
real concurrency or real process deaths."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import uvicorn

from api.app import create_app
from qa_service.config import Settings


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def live_server(settings: Settings) -> Iterator[str]:
    port = free_port()
    config = uvicorn.Config(
        create_app(settings), host="127.0.0.1", port=port, log_config=None, access_log=False
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("the test server did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)


def worker_env(settings: Settings) -> dict[str, str]:
    service = settings.service
    return {
        **os.environ,
        "QA_DATA_DIR": str(settings.data_dir),
        "QA_DATABASE_URL": settings.db_url,
        "QA_SERVICE__LEASE_S": str(service.lease_s),
        "QA_SERVICE__POLL_INTERVAL_S": str(service.poll_interval_s),
        "QA_SERVICE__RETRY_BACKOFF_S": str(service.retry_backoff_s),
        "QA_SERVICE__WEBHOOK_BACKOFF_S": str(service.webhook_backoff_s),
    }


def start_worker(settings: Settings) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "qa_service.cli", "worker"],
        env=worker_env(settings),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
