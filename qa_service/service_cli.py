"""`qa-service worker` and `qa-service keys …`: service commands that need no web layer."""

from __future__ import annotations

import argparse
import signal
import threading
from typing import Any

from qa_service.config import Settings


def add_commands(sub: Any) -> None:
    worker = sub.add_parser("worker", help="process queued calls (several may run at once)")
    worker.add_argument("--max-calls", type=int, help="stop after this many calls")
    worker.set_defaults(func=_cmd_worker)

    keys = sub.add_parser("keys", help="API keys").add_subparsers(dest="keys_command", required=True)
    create = keys.add_parser("create", help="create a key and print it (only the key, on stdout)")
    create.add_argument("--role", required=True, choices=["uploader", "reviewer", "supervisor", "admin"])
    create.add_argument("--name", help="who holds it; for uploaders, the source system")
    create.add_argument("--webhook-url", help="uploaders: notified when their calls finish or fail")
    create.set_defaults(func=_cmd_keys_create)
    revoke = keys.add_parser("revoke", help="revoke a key by its prefix (qa_<prefix>_…)")
    revoke.add_argument("prefix")
    revoke.set_defaults(func=_cmd_keys_revoke)


def _cmd_worker(args: argparse.Namespace) -> int:
    from qa_service import logs
    from qa_service.service import prepare
    from qa_service.worker import run_worker

    logs.configure()
    settings = Settings()
    prepare(settings)
    stop = threading.Event()

    def _stop(signum: int, _frame: Any) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    run_worker(settings, stop, max_calls=args.max_calls)
    return 0


def _cmd_keys_create(args: argparse.Namespace) -> int:
    from qa_service import keys
    from qa_service.db.session import session_scope
    from qa_service.service import prepare

    settings = Settings()
    prepare(settings)
    with session_scope(settings.db_url) as session:
        key = keys.create_key(session, args.role, args.name, args.webhook_url)
    print(key)
    return 0


def _cmd_keys_revoke(args: argparse.Namespace) -> int:
    from qa_service import keys
    from qa_service.db.session import session_scope
    from qa_service.service import prepare

    settings = Settings()
    prepare(settings)
    with session_scope(settings.db_url) as session:
        keys.revoke_key(session, args.prefix)
    return 0
