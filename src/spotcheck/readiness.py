"""Readiness checks that answer within a deadline, however long a dependency takes."""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor, wait

from spotcheck.error_text import first_line

__all__ = ["ReadinessProbe"]


class ReadinessProbe:
    """Runs each named check in a thread of its own and reports what finished before the deadline.

    A check that is still running from an earlier probe (a frozen server) is not started again:
    the probe waits on the same attempt, so stuck checks never pile up.
    """

    def __init__(self, checks: Mapping[str, Callable[[], None]], *, deadline: float) -> None:
        self._checks = dict(checks)
        self._deadline = deadline
        self._pool = ThreadPoolExecutor(max_workers=max(1, len(self._checks)), thread_name_prefix="spotcheck-ready")
        self._running: dict[str, Future[None]] = {}
        self._lock = threading.Lock()

    def run(self) -> dict[str, str]:
        """``"ok"``, ``"error: ..."`` or ``"timeout"`` for each check."""
        with self._lock:
            for name, check in self._checks.items():
                if name not in self._running or self._running[name].done():
                    self._running[name] = self._pool.submit(check)
            futures = dict(self._running)
        wait(futures.values(), timeout=self._deadline)
        results: dict[str, str] = {}
        for name, future in futures.items():
            if not future.done():
                results[name] = "timeout"
            elif (error := future.exception()) is not None:
                results[name] = f"error: {first_line(error)}"
            else:
                results[name] = "ok"
        return results

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
