"""How long calls to an unreachable store fail at once, in one process or across a machine's processes."""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path

__all__ = ["OutageWindow"]

log = logging.getLogger(__name__)


class OutageWindow:
    """Opened when a call finds the store unreachable; open for ``cooldown`` seconds after that.

    With ``shared_file``, every process that names the same file sees the window: a server and its
    labelling process on SQLite, whose one write lock would otherwise let each of them wait out the
    store's timeouts in turn. The file's modification time is the moment the window closes (wall
    clock, which processes share); a moment further ahead than ``cooldown`` is a clock that went
    back, and is ignored. Should the file not be writable, the window is this process's alone.
    """

    def __init__(
        self, cooldown: float, *, shared_file: Path | None = None, clock: Callable[[], float] = time.time
    ) -> None:
        self._cooldown = cooldown
        self._shared_file = shared_file
        self._clock = clock
        self._until = 0.0
        self._lock = threading.Lock()
        self._unshared_said = False  # the file could not be written: said once, not at every outage

    def open(self) -> bool:
        """Open (or extend) the window; True when it was closed before, for one log line an outage."""
        with self._lock:
            first = not self.is_open()
            self._until = self._clock() + self._cooldown
            if self._shared_file is not None:
                self._share(self._until)
        return first

    def is_open(self) -> bool:
        now = self._clock()
        return now < self._until or now < self._shared_until(now)

    def _share(self, until: float) -> None:
        assert self._shared_file is not None
        try:
            self._shared_file.touch()
            os.utime(self._shared_file, (until, until))
        except OSError as error:
            if not self._unshared_said:
                log.warning("could not share the store's outage with other processes: %s", error)
                self._unshared_said = True

    def _shared_until(self, now: float) -> float:
        if self._shared_file is None:
            return 0.0
        try:
            until = self._shared_file.stat().st_mtime
        except OSError:
            return 0.0
        return until if until - now <= self._cooldown else 0.0
