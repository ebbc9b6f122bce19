"""Wall and CPU time of the steps between an upload and its label, inside a running ``spotcheck serve``.

    SPOTCHECK_TIMINGS=/tmp/timings PYTHONPATH=scripts/service_timings python scripts/bench_service.py --paced 2
    cat /tmp/timings.*

Python imports this module at start-up when its folder is on PYTHONPATH; it does nothing unless
SPOTCHECK_TIMINGS names a file prefix. Then it wraps the steps below and the SQLite writers' lock
(``spotcheck.db.writers``), and every second writes ``<prefix>.<pid>``: per step, its calls and
their mean wall time and mean CPU time of the calling thread. Wall time well above CPU time is
waiting: for the GIL, a lock, the disk, or another thread (a decode runs on a thread of its own).
The lock's lines say how long it was waited for and held, and by which function; the last line, the
CPU time of the main thread (the event loop: HTTP, the framework) and of all threads. A measuring aid,
not part of the service: the wrapped names are the code's as it stands.
"""

from __future__ import annotations

import functools
import importlib
import os
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

STEPS = [
    ("spotcheck.gallery.service", "Gallery.upload"),
    ("spotcheck.images.sanitize", "ImageSanitizer.clean"),
    ("spotcheck.classifier.handoff", "PreparedPhotos.put"),
    ("spotcheck.storage.local", "LocalObjectStore.put"),
    ("spotcheck.storage.local", "LocalObjectStore.set_metadata"),
    ("spotcheck.labelling.worker", "ClassificationWorker.handle_batch"),
    ("spotcheck.labelling.worker", "ClassificationWorker._prepare"),
    ("spotcheck.labelling.worker", "ClassificationWorker._assess"),
    ("spotcheck.labelling.worker", "ClassificationWorker._write"),
    ("spotcheck.jobs.sql", "SqlJobQueue._try_claim"),
    ("spotcheck.jobs.sql", "SqlJobQueue.complete"),
    ("spotcheck.gallery.service", "Gallery.list_page"),
]

_totals: dict[str, list[float]] = {}  # name -> [calls, wall seconds, CPU seconds]
_totals_lock = threading.Lock()


def _add(name: str, wall: float, cpu: float = float("nan")) -> None:  # NaN: CPU not measured
    with _totals_lock:
        total = _totals.setdefault(name, [0, 0.0, 0.0])
        total[0] += 1
        total[1] += wall
        total[2] += cpu


def _timed(name: str, function: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(function)
    def timed(*args: Any, **kwargs: Any) -> Any:
        wall, cpu = time.perf_counter(), time.thread_time()
        try:
            return function(*args, **kwargs)
        finally:
            _add(name, time.perf_counter() - wall, time.thread_time() - cpu)

    return timed


def _caller() -> str:
    """The innermost spotcheck function below the lock's own frames."""
    frame = sys._getframe(3)
    while frame is not None:
        path = frame.f_code.co_filename
        if "spotcheck" in path and "writers.py" not in path and "contextlib" not in path:
            return frame.f_code.co_name
        frame = frame.f_back  # type: ignore[assignment]
    return "?"


def _timed_lock(real: Callable[..., Any]) -> Callable[..., Any]:
    @contextmanager
    def serialised_writes(engine: Any) -> Iterator[None]:
        caller = _caller()
        asked = time.perf_counter()
        with real(engine):
            got = time.perf_counter()
            _add("writers' lock: wait", got - asked)
            try:
                yield
            finally:
                _add(f"writers' lock: held by {caller}", time.perf_counter() - got)

    return serialised_writes


def _thread_cpu_seconds() -> tuple[float, float]:
    """CPU seconds so far of this process's main thread (the server's event loop) and of all its threads."""
    ticks = os.sysconf("SC_CLK_TCK")
    main = every = 0.0
    for task in os.listdir("/proc/self/task"):
        try:
            with open(f"/proc/self/task/{task}/stat") as stat:
                fields = stat.read().rpartition(")")[2].split()
        except OSError:  # the thread ended meanwhile
            continue
        seconds = (int(fields[11]) + int(fields[12])) / ticks  # utime, stime
        every += seconds
        if int(task) == os.getpid():
            main = seconds
    return main, every


def _write(prefix: str) -> None:
    main, every = _thread_cpu_seconds()
    with _totals_lock:
        lines = [
            f"{name:48s} {int(n):6d} calls  wall {1000 * wall / n:7.2f} ms"
            + ("" if cpu != cpu else f"  cpu {1000 * cpu / n:7.2f} ms")
            for name, (n, wall, cpu) in sorted(_totals.items())
        ]
    if lines:
        lines.append(f"CPU so far: main thread (event loop) {main:.2f} s, all threads {every:.2f} s")
        with open(f"{prefix}.{os.getpid()}", "w") as out:
            out.write("\n".join(lines) + "\n")


def _install(prefix: str) -> None:
    for module_name, qualified in STEPS:
        owner_name, _, attribute = qualified.rpartition(".")
        owner = getattr(importlib.import_module(module_name), owner_name)
        setattr(owner, attribute, _timed(qualified, getattr(owner, attribute)))
    writers = importlib.import_module("spotcheck.db.writers")
    timed_lock = _timed_lock(writers.serialised_writes)
    for module_name in ("spotcheck.gallery.records", "spotcheck.jobs.sql"):
        user: Any = importlib.import_module(module_name)  # a module that imported the lock by name
        user.serialised_writes = timed_lock

    def keep_writing() -> None:
        while True:
            time.sleep(1.0)
            _write(prefix)

    threading.Thread(target=keep_writing, name="service-timings", daemon=True).start()


if os.environ.get("SPOTCHECK_TIMINGS"):
    _install(os.environ["SPOTCHECK_TIMINGS"])
