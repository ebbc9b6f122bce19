"""Photos from concurrent requests gathered into one network pass, with a bounded wait."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Generic, TypeVar

__all__ = ["Batcher"]

Item = TypeVar("Item")
Result = TypeVar("Result")


@dataclass
class _Waiting(Generic[Item, Result]):
    items: Sequence[Item]
    answer: asyncio.Future[list[Result]] = field(default_factory=lambda: asyncio.get_running_loop().create_future())


class Batcher(Generic[Item, Result]):
    """Runs ``run`` on the items of every request waiting, one pass at a time, in a thread of its own.

    A pass starts ``max_wait`` seconds after the first request of it arrived, or at once when
    ``max_items`` are waiting; requests that arrive while a pass runs go into the next one. A
    single request larger than ``max_items`` is a pass of its own, never split.
    """

    def __init__(self, run: Callable[[list[Item]], list[Result]], *, max_items: int, max_wait: float) -> None:
        self._run = run
        self._max_items = max_items
        self._max_wait = max_wait
        self._waiting: list[_Waiting[Item, Result]] = []
        self._arrived: asyncio.Event | None = None
        self._loop_task: asyncio.Task[None] | None = None
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="spotcheck-model")
        self.passes = 0  # network passes run, for metrics and tests
        self.requests = 0

    async def submit(self, items: Sequence[Item]) -> list[Result]:
        """``run``'s results for ``items``, in order, once the pass that took them finished."""
        if not items:
            return []
        if self._loop_task is None or self._loop_task.done():
            self._arrived = asyncio.Event()
            self._loop_task = asyncio.create_task(self._loop())
        waiting: _Waiting[Item, Result] = _Waiting(items)
        self._waiting.append(waiting)
        self.requests += 1
        assert self._arrived is not None
        self._arrived.set()
        return await waiting.answer

    def _pending_items(self) -> int:
        return sum(len(w.items) for w in self._waiting)

    async def _loop(self) -> None:
        assert self._arrived is not None
        while True:
            await self._arrived.wait()
            self._arrived.clear()
            if not self._waiting:
                continue
            deadline = asyncio.get_running_loop().time() + self._max_wait
            while self._pending_items() < self._max_items:
                left = deadline - asyncio.get_running_loop().time()
                if left <= 0:
                    break
                try:
                    await asyncio.wait_for(self._arrived.wait(), timeout=left)
                except TimeoutError:
                    break
                self._arrived.clear()
            taken: list[_Waiting[Item, Result]] = []
            count = 0
            while self._waiting and (not taken or count + len(self._waiting[0].items) <= self._max_items):
                count += len(self._waiting[0].items)
                taken.append(self._waiting.pop(0))
            if self._waiting:
                self._arrived.set()  # the rest go in the next pass
            await self._pass(taken)

    async def _pass(self, taken: list[_Waiting[Item, Result]]) -> None:
        items = [item for waiting in taken for item in waiting.items]
        self.passes += 1
        try:
            results = await asyncio.get_running_loop().run_in_executor(self._pool, self._run, items)
            if len(results) != len(items):
                raise RuntimeError(f"the model answered {len(results)} of {len(items)} items")
        except Exception as exc:  # every caller of this pass gets the error; the next pass starts afresh
            for waiting in taken:
                if not waiting.answer.done():
                    waiting.answer.set_exception(exc)
            return
        start = 0
        for waiting in taken:
            if not waiting.answer.done():  # a caller that gave up (its request was cancelled)
                waiting.answer.set_result(results[start : start + len(waiting.items)])
            start += len(waiting.items)

    def close(self) -> None:
        if self._loop_task is not None:
            self._loop_task.cancel()
        self._pool.shutdown(wait=False, cancel_futures=True)
