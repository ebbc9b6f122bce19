"""One write transaction at a time per SQLite database in this process, queued on a lock.

SQLite lets one connection write at a time; the others wait in its busy handler, which sleeps in
growing steps (1, 2, 5, 10, 15, 20, 25 ... ms) between tries, so under a burst of uploads and labels
a writer often slept for milliseconds after the lock was free again. Writers of one process queue
on this lock instead and go on the moment it is released; other processes still meet the busy
handler. Database servers lock rows themselves: there this is no lock at all.
"""

from __future__ import annotations

import contextlib
import threading
import weakref
from collections.abc import Iterator

from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError

__all__ = ["WriteTurnTimeoutError", "bound_write_turns", "serialised_writes"]

_LOCKS: weakref.WeakKeyDictionary[Engine, threading.RLock] = weakref.WeakKeyDictionary()
_TIMEOUTS: weakref.WeakKeyDictionary[Engine, float] = weakref.WeakKeyDictionary()
_REGISTRY = threading.Lock()


class WriteTurnTimeoutError(OperationalError):
    """A writer of this process waited longer than the database's timeout for its turn.

    What SQLite answers another process's writer after its busy timeout ("database is locked"), and
    handled alike: a 503 for a request, a retry for a job.
    """

    def __init__(self, seconds: float) -> None:
        super().__init__(None, None, TimeoutError(f"waited {seconds:g} s for this process's write turn"))


def bound_write_turns(engine: Engine, timeout: float) -> None:
    """Let ``engine``'s writers of this process wait at most ``timeout`` seconds for their turn."""
    with _REGISTRY:
        _TIMEOUTS[engine] = timeout


@contextlib.contextmanager
def serialised_writes(engine: Engine) -> Iterator[None]:
    """Around a write transaction on ``engine``: SQLite's writers of this process take turns.

    Raises ``WriteTurnTimeoutError`` after waiting the timeout ``bound_write_turns`` set (none unless set).
    """
    if engine.dialect.name != "sqlite":
        yield
        return
    with _REGISTRY:
        lock = _LOCKS.setdefault(engine, threading.RLock())
        timeout = _TIMEOUTS.get(engine, -1.0)
    if not lock.acquire(timeout=timeout):
        raise WriteTurnTimeoutError(timeout)
    try:
        yield
    finally:
        lock.release()
