"""Labelling in a child process of ``spotcheck serve``: an interpreter of its own for the workers.

In one process the HTTP server and the worker threads take turns on Python's one interpreter lock,
which caps the labels a second on two cores or more (docs/performance.md). So there, unless
``SPOTCHECK_WORKER_PROCESS=false``, the embedded server starts ``spotcheck worker`` as its child
instead of worker threads, and:

- hands it each upload's decode through ``DecodedPhotoFiles`` (a private folder, in memory where
  ``/dev/shm`` exists), so no photo is decoded twice;
- wakes it through a pipe when a job is committed (SQLite has no notifications; the child would
  otherwise look only every half second); the child stops when the pipe closes, so it never
  outlives the server, even one killed outright;
- hears through a second pipe when the child labels (its model loaded, its workers started): until
  then ``running`` is False and ``GET /readyz`` says the worker is starting, so neither a load
  balancer nor a benchmark sends photos that no one can label yet;
- restarts it should it die, after handing its running jobs out again;
- reports the child's worker counters at its own ``GET /metrics``: the child writes them every
  second to a file beside the folder (``write_worker_metrics``).

The child is ``WorkerPool``'s stand-in in the runtime: ``start``, ``stop`` and ``running``.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path

from spotcheck.labelling.photo_files import DecodedPhotoFiles

__all__ = [
    "LabellingProcess",
    "follow_parent",
    "handoff_folder",
    "remove_abandoned_folders",
    "say_ready",
    "write_worker_metrics",
]

log = logging.getLogger(__name__)

_RESTART_DELAYS = (1.0, 2.0, 5.0, 10.0, 30.0)  # seconds before each restart in a row; then the last
_STEADY_SECONDS = 60.0  # a child that ran this long resets the delays
_WAKE = b"\x01"
_READY = b"\x01"
_FOLDER_PREFIX = "spotcheck-handoff-"


def handoff_folder() -> Path:
    """Where a new folder for the decoded photos will be made: in memory where ``/dev/shm`` exists.
    Its name carries this server's process id, so that the next server can tell it was left behind."""
    shared_memory = Path("/dev/shm")
    usable = shared_memory.is_dir() and os.access(shared_memory, os.W_OK)
    parent = shared_memory if usable else Path(tempfile.gettempdir())
    return parent / f"{_FOLDER_PREFIX}{os.getpid()}-{uuid.uuid4().hex}"


def _metrics_file(folder: Path) -> Path:
    """Where the labelling process of ``folder`` leaves its worker counters: beside it, named after it."""
    return folder.with_name(f"{folder.name}.metrics")


def write_worker_metrics(folder: Path, exposition: bytes) -> None:
    """In the child: replace its counters for the server to read (whole, never half written)."""
    target = _metrics_file(folder)
    temporary = target.with_name(f"{target.name}.tmp")
    try:
        temporary.write_bytes(exposition)
        os.replace(temporary, target)
    except OSError as exc:  # counters only: labelling goes on
        log.warning("could not hand the worker counters to the server: %s", exc)
        temporary.unlink(missing_ok=True)


def remove_abandoned_folders(parent: Path) -> int:
    """Delete the folders (and counters) of servers that are gone (killed outright, they could not): in
    ``/dev/shm`` they would hold memory until the machine restarts. Returns how many folders went."""
    removed = 0
    for path in parent.glob(f"{_FOLDER_PREFIX}*"):
        pid = path.name.removeprefix(_FOLDER_PREFIX).partition("-")[0]
        if not pid.isdigit() or _alive(int(pid)):
            continue
        if not path.is_dir():
            with contextlib.suppress(OSError):  # another user's file stays: it is not ours to remove
                path.unlink()
            continue
        shutil.rmtree(path, ignore_errors=True)  # another user's folder stays: it is not ours to remove
        if not path.exists():
            removed += 1
    return removed


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True


class LabellingProcess:
    """Runs and supervises ``spotcheck worker --concurrency N`` beside this server, on the same data.

    ``on_restart`` runs before a restart: the jobs the dead child held must be handed out again
    (in the embedded default, the child is their only worker).
    """

    def __init__(
        self,
        *,
        concurrency: int,
        data_dir: Path,
        photos: DecodedPhotoFiles,
        on_restart: Callable[[], object],
        command: list[str] | None = None,
    ) -> None:
        self.photos = photos
        self._command = command or [sys.executable, "-m", "spotcheck", "worker"]
        self._concurrency = concurrency
        self._data_dir = data_dir
        self._on_restart = on_restart
        self._child: subprocess.Popen[bytes] | None = None
        self._wake_read = self._wake_write = -1  # the pipe, made by start()
        self._ready_read = -1  # the current child's end to say it labels, made by _spawn()
        self._ready = threading.Event()  # the current child said it labels
        self._stopping = threading.Event()
        self._lock = threading.Lock()  # no child is started once stop() began
        self._spawned_at = 0.0
        self._supervisor = threading.Thread(target=self._supervise, name="spotcheck-labelling-process", daemon=True)
        self.restarts = 0

    @property
    def running(self) -> bool:
        """A child runs and has said that it labels."""
        return self._ready.is_set() and self._alive()

    @property
    def starting(self) -> bool:
        """A child runs but has not yet said that it labels: it is loading its model."""
        return not self._ready.is_set() and self._alive()

    def _alive(self) -> bool:
        child = self._child
        return child is not None and child.poll() is None

    def start(self) -> None:
        remove_abandoned_folders(self.photos.folder.parent)
        self.photos.folder.mkdir(mode=0o700)
        self._wake_read, self._wake_write = os.pipe()  # not inherited, but by the child's pass_fds
        os.set_blocking(self._wake_write, False)
        self._spawn()
        self._supervisor.start()

    def wake(self) -> None:
        """A job was committed: the child looks at once. Never blocks; a full pipe wakes it anyway."""
        with self._lock, contextlib.suppress(BlockingIOError):  # full: the child has wake-ups enough to read
            # Not before start(), nor after stop(): the descriptor's number may then name another file.
            if self._wake_write >= 0 and not self._stopping.is_set():
                os.write(self._wake_write, _WAKE)

    def stop(self, timeout: float = 10.0) -> None:
        """Close the pipe (the child settles the jobs it holds and exits), then wait for it."""
        with self._lock:
            if self._stopping.is_set() or self._wake_write < 0:
                return  # stopped already, or never started
            self._stopping.set()
            os.close(self._wake_write)
        child = self._child
        if child is not None:
            try:
                child.wait(timeout)
            except subprocess.TimeoutExpired:
                log.warning("the labelling process did not stop in %.0f s; killing it", timeout)
                child.kill()
                child.wait()
        if self._supervisor.is_alive():
            self._supervisor.join(timeout)
        os.close(self._wake_read)
        shutil.rmtree(self.photos.folder, ignore_errors=True)
        _metrics_file(self.photos.folder).unlink(missing_ok=True)

    def worker_metrics(self) -> str | None:
        """The child's worker counters in Prometheus' text format, as it last wrote them; None before."""
        try:
            return _metrics_file(self.photos.folder).read_text()
        except FileNotFoundError:
            return None

    def _spawn(self) -> None:
        ready_read, ready_write = os.pipe()
        arguments = [
            *self._command,
            "--concurrency",
            str(self._concurrency),
            "--data-dir",
            str(self._data_dir),
            "--wake-fd",
            str(self._wake_read),
            "--handoff-dir",
            str(self.photos.folder),
            "--ready-fd",
            str(ready_write),
        ]
        try:
            with self._lock:
                if self._stopping.is_set():
                    os.close(ready_read)
                    return
                self._spawned_at = time.monotonic()
                self._ready.clear()
                # A session of its own: a terminal's Ctrl-C stops the server, which then stops the child.
                self._child = subprocess.Popen(
                    arguments, pass_fds=(self._wake_read, ready_write), start_new_session=True
                )
                self._ready_read = ready_read
        except BaseException:
            os.close(ready_read)
            raise
        finally:
            os.close(ready_write)  # the child's copy alone: its exit ends the pipe

    def _await_ready(self) -> None:
        """Until the current child says it labels, or exits without saying so."""
        fd, self._ready_read = self._ready_read, -1
        if fd < 0:
            return
        try:
            if os.read(fd, 1) == _READY:
                self._ready.set()
        except OSError:
            pass
        finally:
            os.close(fd)

    def _supervise(self) -> None:
        quick_exits = 0  # in a row: each waits longer before the next start
        while True:
            child = self._child
            self._await_ready()
            code = child.wait() if child is not None else None
            self._ready.clear()
            if self._stopping.is_set():
                return
            quick_exits = 1 if time.monotonic() - self._spawned_at >= _STEADY_SECONDS else quick_exits + 1
            delay = _RESTART_DELAYS[min(quick_exits, len(_RESTART_DELAYS)) - 1]
            log.error("the labelling process stopped (exit code %s); starting it again in %.0f s", code, delay)
            if self._stopping.wait(delay):
                return  # the photos it did not take stay for the next child, or age out
            try:
                self._on_restart()
                self._spawn()
            except Exception:  # keep supervising: the next round tries again
                log.exception("could not start the labelling process again")
                self._child, self._spawned_at = None, time.monotonic()
            self.restarts += 1


def say_ready(fd: int) -> None:
    """In the child: tell the server, once, that this process labels now."""
    try:
        os.write(fd, _READY)
    except OSError as exc:  # the server is gone: the wake pipe's end stops this process
        log.warning("could not tell the server that labelling started: %s", exc)
    finally:
        os.close(fd)


def follow_parent(fd: int, *, wake: Callable[[], None], parent_gone: threading.Event) -> threading.Thread:
    """In the child: a thread that calls ``wake`` for every wake-up the server sends through ``fd``,
    and sets ``parent_gone`` when the server closes it (it stopped, or died)."""

    def follow() -> None:
        try:
            while os.read(fd, 4096):
                wake()
        except OSError:
            pass
        parent_gone.set()

    thread = threading.Thread(target=follow, name="spotcheck-wake-follower", daemon=True)
    thread.start()
    return thread
