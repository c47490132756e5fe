"""`qa-service worker`, `keys …` and `users …`: service commands that need no web layer."""

from __future__ import annotations

import argparse
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from qa_service.config import Settings

if TYPE_CHECKING:
    from sqlalchemy.orm import Session


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

    users = sub.add_parser("users", help="web console users (they sign in with a password)")
    users_sub = users.add_subparsers(dest="users_command", required=True)
    user_create = users_sub.add_parser(
        "create", help="create a user; the password is read from the terminal (not echoed) or stdin"
    )
    user_create.add_argument("--username", required=True)
    user_create.add_argument("--role", required=True, choices=["reviewer", "supervisor", "admin"])
    user_create.add_argument("--team", help="supervisors and reviewers of one team act on its agents only")
    user_create.set_defaults(func=_cmd_users_create)
    passwd = users_sub.add_parser("passwd", help="set a new password (read like create's); ends the sessions")
    passwd.add_argument("--username", required=True)
    passwd.set_defaults(func=_cmd_users_passwd)
    disable = users_sub.add_parser("disable", help="disable a user and end their sessions")
    disable.add_argument("--username", required=True)
    disable.set_defaults(func=_cmd_users_disable)


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


@contextmanager
def _database() -> Iterator[Session]:
    """The service's database, migrated to the current schema; one transaction."""
    from qa_service.db.session import session_scope
    from qa_service.service import prepare

    settings = Settings()
    prepare(settings)
    with session_scope(settings.db_url) as session:
        yield session


def _cmd_keys_create(args: argparse.Namespace) -> int:
    from qa_service import keys

    with _database() as session:
        key = keys.create_key(session, args.role, args.name, args.webhook_url)
    print(key)
    return 0


def _cmd_keys_revoke(args: argparse.Namespace) -> int:
    from qa_service import keys

    with _database() as session:
        keys.revoke_key(session, args.prefix)
    return 0


def read_password(stdin: Any = None) -> str:
    """From the terminal twice without echo, or the first line of standard input (never argv)."""
    import getpass
    import sys

    stream = stdin or sys.stdin
    if stream.isatty():
        first = getpass.getpass("password: ")
        if getpass.getpass("again: ") != first:
            raise SystemExit("error: the passwords differ")
        return first
    return str(stream.readline().rstrip("\r\n"))


def _cmd_users_create(args: argparse.Namespace) -> int:
    from qa_service import users

    password = read_password()
    with _database() as session:
        user = users.create_user(session, args.username, password, args.role, args.team)
        print(f"user {user.username} ({user.role}{', team ' + user.team if user.team else ''}) created")
    return 0


def _cmd_users_passwd(args: argparse.Namespace) -> int:
    from qa_service import users

    password = read_password()
    with _database() as session:
        users.set_password(session, args.username, password)
    return 0


def _cmd_users_disable(args: argparse.Namespace) -> int:
    from qa_service import users

    with _database() as session:
        users.disable_user(session, args.username)
    return 0
