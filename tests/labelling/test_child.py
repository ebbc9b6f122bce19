"""The labelling process's supervision: woken through its pipe, stopped by closing it, restarted
after it dies (its jobs handed out first). A small stand-in child records what it is given; the
real `spotcheck worker` child is exercised end to end in tests/test_worker_process.py."""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from conftest import eventually
from spotcheck.labelling.child import (
    LabellingProcess,
    handoff_folder,
    remove_abandoned_folders,
    write_worker_metrics,
)
from spotcheck.labelling.photo_files import DecodedPhotoFiles

# Records its start, says it labels once the file "go" exists (at once unless "hold" does), counts
# the wake-up bytes it reads, and notes the pipe's end before exiting.
_STAND_IN = r"""
import os, sys, pathlib, time
options = dict(zip(sys.argv[1::2], sys.argv[2::2]))
data = pathlib.Path(options["--data-dir"])
with (data / "starts").open("a") as log:
    log.write(f"{os.getpid()} {options['--concurrency']} {options['--handoff-dir']}\n")
while (data / "hold").exists() and not (data / "go").exists():
    time.sleep(0.02)
os.write(int(options["--ready-fd"]), b"\x01")
os.close(int(options["--ready-fd"]))
woken = 0
while chunk := os.read(int(options["--wake-fd"]), 4096):
    woken += len(chunk)
    (data / "woken").write_text(str(woken))
(data / "pipe-closed").write_text("yes")
"""


def _starts(data: Path) -> list[list[str]]:
    path = data / "starts"
    return [line.split() for line in path.read_text().splitlines()] if path.exists() else []


@pytest.fixture
def data(tmp_path: Path) -> Path:
    return tmp_path


@pytest.fixture
def restarts() -> list[float]:
    return []


@pytest.fixture
def child(data: Path, restarts: list[float]) -> Iterator[LabellingProcess]:
    photos = DecodedPhotoFiles(handoff_folder(), decode_size=(400, 300))
    process = LabellingProcess(
        concurrency=2,
        data_dir=data,
        photos=photos,
        on_restart=lambda: restarts.append(time.monotonic()),
        command=[sys.executable, "-c", _STAND_IN],
    )
    yield process
    process.stop()


def test_the_child_gets_its_options_and_a_private_folder(child: LabellingProcess, data: Path) -> None:
    child.start()
    eventually(lambda: len(_starts(data)) == 1, timeout=15)
    (_pid, concurrency, folder) = _starts(data)[0]
    assert concurrency == "2" and Path(folder) == child.photos.folder
    assert stat.S_IMODE(child.photos.folder.stat().st_mode) == 0o700
    eventually(lambda: child.running, timeout=15)


def test_the_child_runs_only_once_it_says_it_labels(child: LabellingProcess, data: Path) -> None:
    (data / "hold").touch()
    child.start()
    eventually(lambda: len(_starts(data)) == 1, timeout=15)
    time.sleep(0.3)
    assert child.starting and not child.running  # alive, but its model (here: the file "go") not there yet
    (data / "go").touch()
    eventually(lambda: child.running, timeout=15)
    assert not child.starting


def test_a_child_that_dies_before_it_labels_is_not_running(child: LabellingProcess, data: Path) -> None:
    (data / "hold").touch()
    child.start()
    eventually(lambda: len(_starts(data)) == 1, timeout=15)
    os.kill(int(_starts(data)[0][0]), signal.SIGKILL)
    eventually(lambda: not child.starting, timeout=15)
    assert not child.running  # waiting to be started again
    (data / "go").touch()
    eventually(lambda: child.running, timeout=15)  # the next child says it labels


def test_wake_ups_reach_the_child(child: LabellingProcess, data: Path) -> None:
    child.wake()  # before start: nothing to wake, no error
    child.start()
    for _ in range(3):
        child.wake()
    eventually(lambda: (data / "woken").exists() and (data / "woken").read_text() == "3", timeout=15)


def test_stop_closes_the_pipe_and_removes_the_folder(child: LabellingProcess, data: Path) -> None:
    child.start()
    assert child.photos.put("k", "u", Image.fromarray(np.zeros((4, 4, 3), dtype=np.uint8)))
    eventually(lambda: len(_starts(data)) == 1, timeout=15)
    child.stop()
    assert (data / "pipe-closed").read_text() == "yes"  # the child saw the pipe end and left by itself
    assert not child.running
    assert not child.photos.folder.exists()
    child.wake()  # after stop: no error, and nothing written to whatever reuses the descriptor


def test_a_child_that_dies_is_started_again_after_its_jobs_are_released(
    child: LabellingProcess, data: Path, restarts: list[float]
) -> None:
    child.start()
    eventually(lambda: len(_starts(data)) == 1, timeout=15)
    first_pid = int(_starts(data)[0][0])
    os.kill(first_pid, signal.SIGKILL)
    eventually(lambda: len(_starts(data)) == 2, timeout=15)
    assert len(restarts) == 1 and child.restarts == 1
    assert int(_starts(data)[1][0]) != first_pid
    eventually(lambda: child.running, timeout=15)
    child.wake()
    eventually(lambda: (data / "woken").exists() and (data / "woken").read_text() == "1", timeout=15)


def test_a_killed_server_s_folder_is_removed_by_the_next_one(tmp_path: Path) -> None:
    gone_pid = subprocess.Popen([sys.executable, "-c", "pass"])
    gone_pid.wait()  # reaped: its pid names no process now
    abandoned = tmp_path / f"spotcheck-handoff-{gone_pid.pid}-0123abcd"
    live = tmp_path / f"spotcheck-handoff-{os.getpid()}-4567ef01"
    unknown = tmp_path / "spotcheck-handoff-not-a-pid"
    for folder in (abandoned, live, unknown):
        folder.mkdir()
        (folder / "photo").write_bytes(b"pixels")
        write_worker_metrics(folder, b"spotcheck_labels_total 1.0\n")
    assert remove_abandoned_folders(tmp_path) == 1
    assert not abandoned.exists() and not abandoned.with_name(f"{abandoned.name}.metrics").exists()
    assert live.exists() and unknown.exists()
    assert live.with_name(f"{live.name}.metrics").exists()
    assert handoff_folder().name.startswith(f"spotcheck-handoff-{os.getpid()}-")


def test_the_child_s_counters_reach_the_server_until_it_stops(child: LabellingProcess) -> None:
    child.start()
    assert child.worker_metrics() is None  # nothing written yet
    write_worker_metrics(child.photos.folder, b"spotcheck_labels_total 1.0\n")
    write_worker_metrics(child.photos.folder, b"spotcheck_labels_total 2.0\n")
    assert child.worker_metrics() == "spotcheck_labels_total 2.0\n"
    assert list(child.photos.folder.iterdir()) == []  # beside the photos, not among them
    child.stop()
    assert child.worker_metrics() is None
    assert not [p for p in child.photos.folder.parent.iterdir() if p.name.startswith(child.photos.folder.name)]
