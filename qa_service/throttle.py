"""Failed attempts per client in a sliding window: a client over the limit waits.

Kept in the process's memory: with several API processes each counts its own share, so a client
gets at most that many times the limit, still far too few for guessing passwords.
"""

from __future__ import annotations

import threading
import time
from collections import deque


class FailureThrottle:
    def __init__(self, max_failures: int, window_s: float, max_clients: int = 10_000) -> None:
        self.max_failures, self.window_s, self.max_clients = max_failures, window_s, max_clients
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def retry_after(self, client: str, now: float | None = None) -> float:
        """Seconds the client must wait before its next attempt is heard; 0 when it may try now."""
        now = time.monotonic() if now is None else now
        with self._lock:
            failures = self._recent(client, now) if client in self._failures else deque()
            if len(failures) < self.max_failures:
                return 0.0
            return failures[-self.max_failures] + self.window_s - now

    def failed(self, client: str, now: float | None = None) -> None:
        now = time.monotonic() if now is None else now
        with self._lock:
            self._recent(client, now).append(now)
            if len(self._failures) > self.max_clients:
                self._forget(now)

    def _recent(self, client: str, now: float) -> deque[float]:
        failures = self._failures.setdefault(client, deque())
        while failures and failures[0] <= now - self.window_s:
            failures.popleft()
        return failures

    def _forget(self, now: float) -> None:
        """Drop clients with nothing left in the window, then the longest quiet ones."""
        for client in [c for c, f in self._failures.items() if not f or f[-1] <= now - self.window_s]:
            del self._failures[client]
        if len(self._failures) > self.max_clients:
            quiet = sorted(self._failures, key=lambda c: self._failures[c][-1])
            for client in quiet[: len(self._failures) - self.max_clients]:
                del self._failures[client]
