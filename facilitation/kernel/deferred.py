"""Long computations kept off the core's worker: what `Effects.defer` asked for runs on a thread of its
own once its unit of work has committed, and its ending (`finish` or `failed`) comes back through the
worker in the turn of the lane that asked, in a transaction of its own."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Hashable, Iterable
from concurrent.futures import ThreadPoolExecutor

from facilitation.kernel.context import Deferred, Effects

log = logging.getLogger(__name__)

Ending = Callable[[Effects], None]


class DeferredRunner:
    """Runs deferred computations one at a time on the "townhall-slow" thread.

    `end_on_worker(ending, lane)` runs an ending in a new unit of work on the core's worker (from the
    event loop); `end_now(ending, lane)` does the same on the calling thread, for a core driven without an
    event loop (tools, synchronous tests), where the computation runs inline as well.
    """

    def __init__(
        self,
        end_on_worker: Callable[[Ending, Hashable], Awaitable[None]],
        end_now: Callable[[Ending, Hashable], object],
    ) -> None:
        self._end_on_worker = end_on_worker
        self._end_now = end_now
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="townhall-slow")
        self._loop: asyncio.AbstractEventLoop | None = None
        self._running: set[asyncio.Task[None]] = set()

    def attach(self, loop: asyncio.AbstractEventLoop) -> None:
        """The event loop the core runs in: endings are handed back through it."""
        self._loop = loop

    def submit(self, deferred: Iterable[Deferred], lane: Hashable) -> None:
        """Start each computation of a unit of work that has just committed (called from any thread)."""
        for work in deferred:
            if self._loop is None:
                self._end_now(self._ending(work, *self._compute(work)), lane)
            else:
                self._loop.call_soon_threadsafe(self._start, work, lane)

    def _start(self, work: Deferred, lane: Hashable) -> None:
        task = asyncio.get_running_loop().create_task(self._run(work, lane), name="deferred")
        self._running.add(task)
        task.add_done_callback(self._running.discard)

    async def _run(self, work: Deferred, lane: Hashable) -> None:
        loop = asyncio.get_running_loop()
        outcome = await loop.run_in_executor(self._thread, self._compute, work)
        try:
            await self._end_on_worker(self._ending(work, *outcome), lane)
        except Exception:
            log.exception("the ending of a deferred computation failed")

    @staticmethod
    def _compute(work: Deferred) -> tuple[bool, object]:
        try:
            return True, work.compute()
        except Exception:
            log.exception("deferred computation failed")
            return False, None

    @staticmethod
    def _ending(work: Deferred, succeeded: bool, result: object) -> Ending:
        if not succeeded:
            return work.failed
        return lambda effects: work.finish(effects, result)

    async def finish_running(self, timeout: float) -> None:
        """Wait up to `timeout` seconds for the computations still running and their endings."""
        if self._running:
            await asyncio.wait(set(self._running), timeout=timeout)

    def close(self) -> None:
        """Give up computations still running (their endings never come) and stop the thread."""
        if self._running:
            log.warning("stopped with deferred computations unfinished count=%d", len(self._running))
        for task in self._running:
            task.cancel()
        self._thread.shutdown(wait=False, cancel_futures=True)
