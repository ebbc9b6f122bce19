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

__all__ = ["serialised_writes"]

_LOCKS: weakref.WeakKeyDictionary[Engine, threading.RLock] = weakref.WeakKeyDictionary()
_REGISTRY = threading.Lock()


@contextlib.contextmanager
def serialised_writes(engine: Engine) -> Iterator[None]:
    """Around a write transaction on ``engine``: SQLite's writers of this process take turns."""
    if engine.dialect.name != "sqlite":
        yield
        return
    with _REGISTRY:
        lock = _LOCKS.setdefault(engine, threading.RLock())
    with lock:
        yield
