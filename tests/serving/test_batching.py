"""The batcher alone: requests waiting together share a pass, results go back to their callers in
order, a failed pass fails only its own callers, and a pass never exceeds its size unless one request does."""

from __future__ import annotations

import asyncio
import threading

import pytest

from spotcheck.serving.batching import Batcher


class Recorder:
    """Doubles each number; records every pass; optionally holds the first pass until released."""

    def __init__(self, fail_on: int | None = None) -> None:
        self.passes: list[list[int]] = []
        self.release = threading.Event()
        self.release.set()
        self._fail_on = fail_on

    def __call__(self, items: list[int]) -> list[int]:
        self.passes.append(list(items))
        self.release.wait(30)
        if self._fail_on is not None and self._fail_on in items:
            raise RuntimeError("model failed")
        return [2 * item for item in items]


def test_requests_that_arrive_together_share_one_pass() -> None:
    async def scenario() -> tuple[list[list[int]], Recorder]:
        recorder = Recorder()
        # A wait far longer than the test: the pass starts because the five requests fill it.
        batcher = Batcher(recorder, max_items=5, max_wait=60.0)
        try:
            answers = await asyncio.gather(*(batcher.submit([n]) for n in range(5)))
        finally:
            batcher.close()
        return answers, recorder

    answers, recorder = asyncio.run(scenario())
    assert answers == [[0], [2], [4], [6], [8]]
    assert recorder.passes == [[0, 1, 2, 3, 4]]


def test_requests_arriving_during_a_pass_go_into_the_next_and_results_keep_their_order() -> None:
    async def scenario() -> tuple[list[list[int]], Recorder]:
        recorder = Recorder()
        recorder.release.clear()  # the first pass runs until the others have queued
        batcher = Batcher(recorder, max_items=8, max_wait=0.0)
        try:
            first = asyncio.create_task(batcher.submit([1, 2]))
            while not recorder.passes:
                await asyncio.sleep(0.01)
            rest = [asyncio.create_task(batcher.submit([n, n + 1])) for n in (10, 20, 30)]
            await asyncio.sleep(0.05)
            recorder.release.set()
            answers = [await first, *[await task for task in rest]]
        finally:
            batcher.close()
        return answers, recorder

    answers, recorder = asyncio.run(scenario())
    assert answers == [[2, 4], [20, 22], [40, 42], [60, 62]]
    assert recorder.passes == [[1, 2], [10, 11, 20, 21, 30, 31]]


def test_a_pass_takes_at_most_max_items_and_a_larger_request_alone() -> None:
    async def scenario() -> Recorder:
        recorder = Recorder()
        recorder.release.clear()
        batcher = Batcher(recorder, max_items=4, max_wait=0.0)
        try:
            blocker = asyncio.create_task(batcher.submit([0]))
            while not recorder.passes:
                await asyncio.sleep(0.01)
            tasks = [asyncio.create_task(batcher.submit(items)) for items in ([1, 2], [3, 4], [5, 6, 7, 8, 9, 10])]
            await asyncio.sleep(0.05)
            recorder.release.set()
            await asyncio.gather(blocker, *tasks)
        finally:
            batcher.close()
        return recorder

    recorder = asyncio.run(scenario())
    assert recorder.passes == [[0], [1, 2, 3, 4], [5, 6, 7, 8, 9, 10]]


def test_a_failed_pass_fails_its_callers_only() -> None:
    async def scenario() -> tuple[list[int], Batcher[int, int]]:
        recorder = Recorder(fail_on=13)
        batcher = Batcher(recorder, max_items=1, max_wait=0.0)
        try:
            with pytest.raises(RuntimeError, match="model failed"):
                await batcher.submit([13])
            return await batcher.submit([1]), batcher
        finally:
            batcher.close()

    answer, batcher = asyncio.run(scenario())
    assert answer == [2]
    assert (batcher.passes, batcher.requests) == (2, 2)
