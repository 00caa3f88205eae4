"""The core's one worker thread, shared fairly: work waits in lanes (one per sender, one for the house's
own jobs) and the thread takes the next piece from each waiting lane in turn, so that a member who sends
many slow commands delays everyone else by at most one of them, while each lane keeps its own order."""

from __future__ import annotations

import threading
from collections import OrderedDict, deque
from collections.abc import Callable, Hashable
from concurrent.futures import Future
from typing import Any, TypeVar

T = TypeVar("T")

HOUSE_LANE = ("", "")
"""The lane of work that comes from no sender: scheduled jobs, catching up, start-up reads."""


class FairWorker:
    """One thread running submitted calls, round-robin across lanes, in order within each lane."""

    def __init__(self, name: str) -> None:
        self._lanes: OrderedDict[Hashable, deque[tuple[Callable[..., Any], tuple[Any, ...], Future[Any]]]]
        self._lanes = OrderedDict()
        self._changed = threading.Condition()
        self._closing = False
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def submit(self, lane: Hashable, function: Callable[..., T], *args: Any) -> Future[T]:
        """Queue `function(*args)` at the end of `lane`; the future has its result or its exception."""
        future: Future[T] = Future()
        with self._changed:
            if self._closing:
                raise RuntimeError("the core's worker has stopped")
            self._lanes.setdefault(lane, deque()).append((function, args, future))
            self._changed.notify()
        return future

    def shutdown(self) -> None:
        """Finish what is queued, then stop the thread."""
        with self._changed:
            self._closing = True
            self._changed.notify()
        self._thread.join()

    def _next(self) -> tuple[Callable[..., Any], tuple[Any, ...], Future[Any]] | None:
        with self._changed:
            while not self._lanes and not self._closing:
                self._changed.wait()
            if not self._lanes:
                return None
            lane, waiting = next(iter(self._lanes.items()))
            work = waiting.popleft()
            if waiting:
                self._lanes.move_to_end(lane)  # its next piece waits for every other lane's turn
            else:
                del self._lanes[lane]
            return work

    def _run(self) -> None:
        while (work := self._next()) is not None:
            function, args, future = work
            if not future.set_running_or_notify_cancel():
                continue
            try:
                result = function(*args)
            except BaseException as error:  # handed to whoever awaits the future
                future.set_exception(error)
            else:
                future.set_result(result)
