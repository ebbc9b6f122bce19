"""A client-side time limit on database connections, for a server that stops answering.

A frozen or unreachable server never enforces its own ``statement_timeout``, and the kernel keeps
acknowledging its TCP traffic, so a query would wait forever. The watchdog notes when each pooled
connection is checked out; one held longer than the limit has its socket shut down, which ends the
wait with a disconnect error that SQLAlchemy turns into an invalidated connection.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from typing import Any

from sqlalchemy import Engine, event

__all__ = ["ConnectionWatchdog"]

log = logging.getLogger(__name__)


class ConnectionWatchdog:
    def __init__(self, limit: float) -> None:
        self._limit = limit
        self._held: dict[int, tuple[float, Any]] = {}  # id(connection record) -> (deadline, DBAPI connection)
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def install(self, engine: Engine) -> None:
        event.listen(engine, "checkout", self._checkout)
        event.listen(engine, "checkin", self._checkin)
        event.listen(engine, "invalidate", self._forget)

    def _checkout(self, dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        with self._lock:
            self._held[id(record)] = (time.monotonic() + self._limit, dbapi_connection)
            if self._thread is None:
                self._thread = threading.Thread(target=self._watch, name="spotcheck-db-watchdog", daemon=True)
                self._thread.start()

    def _checkin(self, _dbapi_connection: Any, record: Any) -> None:
        with self._lock:
            self._held.pop(id(record), None)

    def _forget(self, _dbapi_connection: Any, record: Any, _exception: Any) -> None:
        self._checkin(None, record)

    def _watch(self) -> None:
        while True:
            time.sleep(min(0.25, self._limit / 4))
            now = time.monotonic()
            with self._lock:
                if not self._held:  # nothing checked out: the next checkout starts a new watch
                    self._thread = None
                    return
                overdue = [key for key, (deadline, _) in self._held.items() if deadline < now]
                cut = [self._held.pop(key)[1] for key in overdue]
            for connection in cut:
                self._cut(connection)

    def _cut(self, connection: Any) -> None:
        try:
            fd = connection.pgconn.socket
            duplicate = socket.socket(fileno=os.dup(fd))
        except Exception:  # already closed, or not a psycopg connection
            return
        try:
            duplicate.shutdown(socket.SHUT_RDWR)
            log.warning("database connection held for over %.0f s: closed it (is the server answering?)", self._limit)
        except OSError:
            pass
        finally:
            duplicate.close()
