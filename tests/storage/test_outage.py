"""The store's outage window: how long calls fail at once, in one process or shared through a file."""

from __future__ import annotations

from pathlib import Path

import pytest

from spotcheck.storage.outage import OutageWindow


class _Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


def test_the_window_closes_after_its_cooldown() -> None:
    clock = _Clock()
    window = OutageWindow(5.0, clock=clock)
    assert not window.is_open()
    assert window.open() is True
    assert window.open() is False  # one log line an outage
    clock.now += 4.9
    assert window.is_open()
    clock.now += 0.2
    assert not window.is_open()
    assert window.open() is True


def test_windows_on_one_file_open_together(tmp_path: Path) -> None:
    clock = _Clock()
    shared = tmp_path / "s3-unreachable"
    server, labeller = (OutageWindow(5.0, shared_file=shared, clock=clock) for _ in range(2))
    elsewhere = OutageWindow(5.0, shared_file=tmp_path / "another", clock=clock)
    labeller.open()
    assert server.is_open()
    assert not elsewhere.is_open()
    assert server.open() is False  # the outage was known already
    clock.now += 5.1
    assert not server.is_open() and not labeller.is_open()


def test_a_window_from_a_clock_that_went_back_is_ignored(tmp_path: Path) -> None:
    clock = _Clock()
    shared = tmp_path / "s3-unreachable"
    OutageWindow(5.0, shared_file=shared, clock=clock).open()
    clock.now -= 3600.0  # the wall clock set back an hour: the file's moment is an hour ahead
    assert not OutageWindow(5.0, shared_file=shared, clock=clock).is_open()


def test_an_unwritable_file_leaves_the_window_to_its_process(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    clock = _Clock()
    missing_folder = tmp_path / "not-made" / "s3-unreachable"
    window = OutageWindow(5.0, shared_file=missing_folder, clock=clock)
    assert window.open() is True
    assert window.is_open()
    assert not OutageWindow(5.0, shared_file=missing_folder, clock=clock).is_open()
    clock.now += 60.0
    window.open()  # the next outage: the log said it already
    assert caplog.text.count("could not share the store's outage") == 1
