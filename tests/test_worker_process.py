"""``SPOTCHECK_WORKER_PROCESS=true``: a real ``spotcheck serve`` labels through its labelling
process, replaces that process when it dies, and never leaves it behind, even when killed itself
(the next server removes the folder of decoded photos a killed one left). Unset, the server starts
one where it may use two cores or more."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import psutil
import pytest
from prometheus_client.parser import text_string_to_metric_families

from conftest import TEST_SECRET, eventually, register_and_sign_in, wait_for_label
from images import BLUE, RED, image_bytes
from live_server import LiveServer

pytestmark = pytest.mark.slow


def _labelling_processes(server: LiveServer) -> list[psutil.Process]:
    return [child for child in psutil.Process(server.pid).children() if "--wake-fd" in child.cmdline()]


def _gone(process: psutil.Process) -> bool:
    try:
        return process.status() == psutil.STATUS_ZOMBIE  # exited; nobody in this container reaped it yet
    except psutil.NoSuchProcess:
        return True


@pytest.fixture
def server(tmp_path: Path, tiny_model_path: Path) -> Iterator[LiveServer]:
    live = LiveServer(
        data_dir=tmp_path / "data",
        model_path=tiny_model_path,
        jwt_secret=TEST_SECRET,
        env={"SPOTCHECK_WORKER_PROCESS": "true", "SPOTCHECK_WORKER_CONCURRENCY": "2"},
    )
    with live:
        yield live


def _upload_and_check(server: LiveServer, email: str, names: list[str]) -> None:
    with httpx.Client(base_url=server.url, timeout=30) as client:
        auth = register_and_sign_in(client, email)
        for index, name in enumerate(names):
            colour = RED if index % 2 == 0 else BLUE
            assert client.put(f"/images/{name}", content=image_bytes(colour), headers=auth).status_code == 202
        for index, name in enumerate(names):
            response = wait_for_label(lambda name=name: client.get(f"/detect/{name}", headers=auth), timeout=30)
            assert response.status_code == 200, response.text
            assert response.json()["classification"] == ("MALIGNANT" if index % 2 == 0 else "BENIGN"), name


def test_uploads_are_labelled_by_the_labelling_process(server: LiveServer) -> None:
    (child,) = _labelling_processes(server)
    assert child.cmdline()[child.cmdline().index("--concurrency") + 1] == "2"
    _upload_and_check(server, "child@example.org", [f"spot-{i}.jpg" for i in range(6)])
    ready = httpx.get(f"{server.url}/readyz", timeout=5).json()
    assert ready["checks"]["worker"] == "ok"
    handoff = Path(child.cmdline()[child.cmdline().index("--handoff-dir") + 1])
    assert handoff.is_dir() and list(handoff.iterdir()) == []  # every decoded photo was taken
    # The child counted the labels; the server's GET /metrics reports them (written every second).
    eventually(lambda: _labels_counted(server) == 6, timeout=15)


def _labels_counted(server: LiveServer) -> float:
    text = httpx.get(f"{server.url}/metrics", timeout=5).text
    families = {family.name: family for family in text_string_to_metric_families(text)}
    return sum(sample.value for sample in families["spotcheck_labels"].samples)


def test_a_labelling_process_that_dies_is_replaced(server: LiveServer) -> None:
    (first,) = _labelling_processes(server)
    first.kill()
    # No worker labels until the next child has loaded its model: the server is not ready meanwhile.
    seen: list[str] = []

    def ready_again() -> bool:
        answer = httpx.get(f"{server.url}/readyz", timeout=5)
        seen.append(answer.json()["checks"]["worker"])
        assert (answer.status_code == 200) == (seen[-1] == "ok")
        return answer.status_code == 200

    eventually(ready_again, timeout=30)
    assert "starting" in seen and "ok" not in seen[:-1]
    eventually(lambda: [p.pid for p in _labelling_processes(server) if p.pid != first.pid and not _gone(p)] != [])
    _upload_and_check(server, "again@example.org", ["after.jpg", "after-2.jpg"])
    assert "the labelling process stopped" in server.log_path.read_text()


def test_the_labelling_process_does_not_outlive_a_killed_server(server: LiveServer) -> None:
    (child,) = _labelling_processes(server)
    handoff = Path(child.cmdline()[child.cmdline().index("--handoff-dir") + 1])
    server.kill()
    eventually(lambda: _gone(child), timeout=20)
    assert handoff.exists()  # killed outright, the server could not remove it
    server.start()
    assert not handoff.exists()  # the next server did
    assert len(_labelling_processes(server)) == 1


@contextmanager
def _on_cores(cores: set[int]) -> Iterator[None]:
    """Processes started inside run on ``cores`` only (a child inherits its parent's affinity)."""
    before = os.sched_getaffinity(0)
    os.sched_setaffinity(0, cores)
    try:
        yield
    finally:
        os.sched_setaffinity(0, before)


@pytest.mark.skipif(len(os.sched_getaffinity(0)) < 2, reason="needs two cores to give the server")
@pytest.mark.parametrize(("cores", "labelling_process"), [(2, True), (1, False)], ids=["two-cores", "one-core"])
def test_unset_a_server_labels_in_a_labelling_process_where_it_has_two_cores(
    tmp_path: Path, tiny_model_path: Path, cores: int, labelling_process: bool
) -> None:
    live = LiveServer(data_dir=tmp_path / "data", model_path=tiny_model_path, jwt_secret=TEST_SECRET)
    with _on_cores(set(sorted(os.sched_getaffinity(0))[:cores])):
        live.start()
    try:
        children = _labelling_processes(live)
        if labelling_process:
            (child,) = children
            assert child.cmdline()[child.cmdline().index("--concurrency") + 1] == "2"
            assert "2 worker threads in a labelling process" in live.log_path.read_text()
        else:
            assert children == []
            assert "1 worker thread in this process" in live.log_path.read_text()
        _upload_and_check(live, f"cores-{cores}@example.org", ["one.jpg", "two.jpg"])
    finally:
        live.stop()
