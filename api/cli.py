"""The `qa-service` entry point: the core commands plus `serve`, which needs the web layer."""

from __future__ import annotations

import argparse
import logging
import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

from qa_service import cli
from qa_service.config import Settings

log = logging.getLogger("api.serve")
_WORKER_RESTART_DELAY_S = 5.0


def _add_serve(sub: Any) -> None:
    serve = sub.add_parser("serve", help="start the HTTP API and its embedded worker")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--no-worker", action="store_true", help="API only; run `qa-service worker` elsewhere")
    serve.add_argument(
        "--processes",
        type=int,
        help="HTTP processes (default: QA_SERVICE__API_PROCESSES, one per core up to 4)",
    )
    serve.set_defaults(func=_cmd_serve)


class _EmbeddedWorker:
    """`qa-service worker` as a child process, restarted if it dies, stopped gracefully at exit."""

    def __init__(self) -> None:
        self._process: subprocess.Popen[bytes] | None = None
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._supervise, name="worker-supervisor", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def _spawn(self) -> subprocess.Popen[bytes]:
        return subprocess.Popen([sys.executable, "-m", "qa_service.cli", "worker"])

    def _supervise(self) -> None:
        while not self._stopping.is_set():
            self._process = self._spawn()
            code = self._process.wait()
            if self._stopping.is_set():
                return
            log.error("worker exited; restarting", extra={"exit_code": code})
            self._stopping.wait(_WORKER_RESTART_DELAY_S)

    def stop(self, grace_s: float = 60.0) -> None:
        self._stopping.set()
        process = self._process
        if process is None or process.poll() is not None:
            return
        process.terminate()  # the worker releases its current call at the next stage boundary
        try:
            process.wait(grace_s)
        except subprocess.TimeoutExpired:
            process.kill()


def _share_metrics(directory: Path) -> None:
    """In-process counters (uploads by outcome) are kept in files shared by all HTTP processes,
    as prometheus_client's multiprocess mode does; it reads the variable when first imported."""
    shutil.rmtree(directory, ignore_errors=True)
    directory.mkdir(parents=True)
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(directory)


def _cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from qa_service import logs
    from qa_service.service import first_admin_key, first_console_admin, prepare

    logs.configure()
    settings = Settings()
    prepare(settings)
    processes = args.processes or settings.service.api_processes
    _share_metrics(settings.data_dir / "prometheus")
    key = first_admin_key(settings)
    console_password = first_console_admin(settings)
    url = f"http://{args.host}:{args.port}"
    print(
        f"qa-service listening on {url} (web console: {url}/; API docs: {url}/docs; data: {settings.data_dir})",
        flush=True,
    )
    if key:
        print(f"first start: admin API key (shown once): {key}", flush=True)
    if console_password:
        print(
            f"first start: web console sign-in 'admin', password (shown once): {console_password} "
            "(change it: qa-service users passwd --username admin)",
            flush=True,
        )
    worker = None
    if settings.service.embedded_worker and not args.no_worker:
        worker = _EmbeddedWorker()
        worker.start()
    try:
        uvicorn.run(
            "api.app:create_app_from_env",
            factory=True,
            workers=processes,
            host=args.host,
            port=args.port,
            log_config=None,
            access_log=False,
        )
    finally:
        if worker is not None:
            worker.stop()
    return 0


def main(argv: list[str] | None = None) -> int:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    return cli.main(argv, extra=_add_serve)


if __name__ == "__main__":
    sys.exit(main())
