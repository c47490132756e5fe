"""`qa-service serve` (what `make run` starts): the API, the first admin key, the embedded worker."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time

import httpx

from tests.conftest import SAMPLES
from tests.service.conftest import metadata
from tests.service.live import free_port


def test_serve_starts_the_api_and_its_worker_and_processes_an_upload(tmp_path):
    port = free_port()
    env = {**os.environ, "QA_DATA_DIR": str(tmp_path / "var"), "QA_SERVICE__POLL_INTERVAL_S": "0.2"}
    env.pop("QA_DATABASE_URL", None)
    server = subprocess.Popen(
        [sys.executable, "-m", "api.cli", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert server.stdout is not None
        banner = server.stdout.readline() + server.stdout.readline()
        assert f"http://127.0.0.1:{port}" in banner
        admin = re.search(r"admin API key \(shown once\): (qa_\S+)", banner)
        assert admin, banner
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{url}/readyz").status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline
            time.sleep(0.2)
        headers = {"Authorization": f"Bearer {admin.group(1)}"}
        clip = SAMPLES / "zh-dev-11-cut.wav"
        r = httpx.post(
            f"{url}/v1/calls",
            headers=headers,
            files={"audio": (clip.name, clip.read_bytes(), "audio/wav")},
            data={"metadata": metadata("serve-1")},
        )
        assert r.status_code == 202, r.text
        deadline = time.monotonic() + 180
        while (body := httpx.get(f"{url}{r.json()['status_url']}", headers=headers).json())[
            "status"
        ] != "done":
            assert body["status"] in ("queued", "running") and time.monotonic() < deadline, body
            time.sleep(0.5)
        assert body["score"] is not None and body["findings"]
    finally:
        server.send_signal(signal.SIGINT)
        server.wait(90)
    assert (tmp_path / "var" / "qa.db").is_file()
    # The key command works on the same data directory, beside the stopped service.
    again = subprocess.run(
        [sys.executable, "-m", "api.cli", "keys", "create", "--role", "reviewer"],
        env=env,
        capture_output=True,
        text=True,
    )
    assert again.returncode == 0 and again.stdout.startswith("qa_")
