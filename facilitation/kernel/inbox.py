"""Core workers on PostgreSQL: updates wait in the database's inbox and a pool of worker threads, in this
process and in every other process on the same database, handles them.

An update is stored in the inbox (keyed by platform and delivery key, so that the same delivery received
twice, by one process or by two, waits once) before its platform hears it was received. A worker locks a
sender who has updates waiting (`storage.inbox.SenderLocks`), handles their oldest update in the core's
usual transaction (which records its key in `HandledUpdate`: a later delivery of it changes nothing), then
deletes it from the inbox and lets the sender go. So each sender's updates are handled one at a time, in
the order they were received (a private chat's order, and each member's within a group), while different
senders are handled side by side; a process killed mid-update loses its connection, hence the sender's
lock, and another worker handles the update. These are the lanes of the single-threaded core
(`FairWorker`), held in the database instead of one process's memory, and taken in the same fair turns.

The update's sender waits (`submit`) until it is handled: by a worker of this process, which answers at
once, or of another (the sender sees its row gone from the inbox).
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import datetime

import numpy as np

from facilitation.kernel.events import Incoming
from facilitation.kernel.outbox import retry_delay
from facilitation.kernel.scheduling import JobSpec
from storage import inbox
from storage.db import Database, unavailable

log = logging.getLogger(__name__)

IDLE_SCAN_SECONDS = 1.0
"""How often an idle worker looks for updates that no one woke it for (left by a process that died, or
waiting behind a sender another process held)."""
HANDLED_ELSEWHERE_CHECK_SECONDS = 1.0
"""How often the sender of an update checks whether a worker of another process handled it."""
LOCAL_KEY_PREFIX = "inbox:"
"""The key given to updates that come with none (the console's lines), so that they wait in the inbox."""

Handler = Callable[[Incoming, Mapping[str, np.ndarray]], list[JobSpec]]


class DatabaseUnavailable(Exception):
    """The database could not be reached, or stayed locked, while handling an update: try it again later."""


@dataclass
class _Received:
    """An update this process received and waits on, with what was computed for it before it was stored."""

    incoming: Incoming
    vectors: Mapping[str, np.ndarray]
    waiting: list[asyncio.Future[None]] = field(default_factory=list)


class InboxWorkers:
    """`count` worker threads taking updates from the inbox; `committed` runs on the event loop after each
    update a worker of this process handled, with the jobs it scheduled."""

    def __init__(
        self,
        database: Database,
        handle: Handler,
        committed: Callable[[list[JobSpec]], None],
        count: int,
        clock: Callable[[], datetime],
    ) -> None:
        self.database = database
        self.clock = clock
        self.handle = handle
        self.committed = committed
        self.count = max(1, count)
        self._received: dict[tuple[str, str], _Received] = {}
        self._lock = threading.Lock()
        self._changed = threading.Condition()
        self._generation = 0
        self._closing = False
        self._threads: list[threading.Thread] = []
        self._loop: asyncio.AbstractEventLoop | None = None
        self._served: dict[tuple[str, str], float] = {}
        """When a worker of this process last handled each sender's update: the sender served longest ago
        goes first, so that one member's queue of slow commands does not hold the others up."""
        self._storing = ThreadPoolExecutor(max_workers=1, thread_name_prefix="townhall-inbox")
        """One thread stores the updates, so that they are stored in the order they arrived."""

    def start(self, loop: asyncio.AbstractEventLoop) -> None:
        """Start the workers (once): they handle what waits in the inbox at once, a crash's leftovers too."""
        if self._threads:
            return
        self._loop = loop
        for number in range(self.count):
            thread = threading.Thread(target=self._run, name=f"townhall-core-{number}", daemon=True)
            thread.start()
            self._threads.append(thread)

    async def submit(self, incoming: Incoming, vectors: Mapping[str, np.ndarray]) -> None:
        """Store the update in the inbox, call its `receipt`, and return once it is handled (or raise
        `DatabaseUnavailable`)."""
        self.start(asyncio.get_running_loop())
        if incoming.update_key is None:
            incoming = replace(incoming, update_key=LOCAL_KEY_PREFIX + uuid.uuid4().hex)
        key = (incoming.platform, incoming.update_key or "")
        handled = asyncio.get_running_loop().create_future()
        with self._lock:
            self._received.setdefault(key, _Received(incoming, vectors)).waiting.append(handled)
        try:
            await asyncio.get_running_loop().run_in_executor(self._storing, self._store, incoming)
            self._wake()
            if incoming.receipt is not None:
                incoming.receipt()
            while True:
                done, _ = await asyncio.wait({handled}, timeout=HANDLED_ELSEWHERE_CHECK_SECONDS)
                if done:
                    return handled.result()
                if not await asyncio.to_thread(self._waits, key):
                    await asyncio.sleep(0)  # a worker here that just handled it hands its answer over
                    if handled.done():
                        return handled.result()
                    return None  # handled by another process's worker
        except Exception as error:
            if unavailable(error):
                raise DatabaseUnavailable from error
            raise
        finally:
            self._forget(key, handled)

    def _store(self, incoming: Incoming) -> None:
        with self.database.session() as session:
            inbox.store(
                session,
                incoming.platform,
                incoming.update_key or "",
                incoming.sender.user_id,
                incoming.to_dict(),
                self.clock(),
            )

    def _waits(self, key: tuple[str, str]) -> bool:
        try:
            with self.database.session() as session:
                return inbox.waits(session, *key)
        except Exception as error:
            if unavailable(error):
                return True  # not known to be handled: go on waiting
            raise

    def _forget(self, key: tuple[str, str], handled: asyncio.Future[None]) -> None:
        with self._lock:
            received = self._received.get(key)
            if received is not None and handled in received.waiting:
                received.waiting.remove(handled)
                if not received.waiting:
                    del self._received[key]

    def _wake(self) -> None:
        with self._changed:
            self._generation += 1
            self._changed.notify_all()

    def _pause(self, seconds: float) -> None:
        with self._changed:
            if not self._closing:
                self._changed.wait(seconds)

    def _run(self) -> None:
        locks = inbox.SenderLocks(self.database.engine)
        failures = 0
        try:
            while not self._closing:
                seen = self._generation
                try:
                    waiting = locks.claim(self._turn)
                except Exception:
                    failures += 1
                    log.warning("inbox unreachable; trying again", exc_info=True)
                    locks.close()
                    self._pause(retry_delay(failures))
                    continue
                if waiting is None:
                    with self._changed:
                        if self._generation == seen and not self._closing:
                            self._changed.wait(IDLE_SCAN_SECONDS)
                    continue
                try:
                    again = self._handle(waiting)
                finally:
                    self._release(locks, waiting)
                failures = failures + 1 if again else 0
                if again:
                    self._pause(retry_delay(failures))
                else:
                    self._wake()  # the sender's next update, if any, may go to any worker now
        finally:
            locks.close()

    def _turn(self, sender: tuple[str, str]) -> float:
        with self._lock:
            return self._served.get(sender, 0.0)

    @staticmethod
    def _release(locks: inbox.SenderLocks, waiting: inbox.Waiting) -> None:
        try:
            locks.release(waiting.platform, waiting.sender_id)
        except Exception:  # the connection is gone, and the lock with it
            log.warning("could not release a sender's lock; its connection is dropped", exc_info=True)
            locks.close()

    def _handle(self, waiting: inbox.Waiting) -> bool:
        """Handle one update taken from the inbox; True when it must wait for another try."""
        key = (waiting.platform, waiting.update_key)
        with self._lock:
            self._served[waiting.platform, waiting.sender_id] = time.monotonic()
            received = self._received.get(key)
            waiters = list(received.waiting) if received is not None else []
        incoming = received.incoming if received is not None else Incoming.from_dict(waiting.payload)
        vectors = received.vectors if received is not None else {}
        try:
            scheduled = self.handle(incoming, vectors)
        except DatabaseUnavailable as error:
            self._answer(waiters, error=error)  # each sender holds its update and submits it again
            return True
        except Exception as error:
            log.exception("inbox update failed platform=%s key=%s", waiting.platform, waiting.update_key)
            scheduled, failure = [], error
        else:
            failure = None
        try:
            inbox.discard(self.database.engine, waiting.id)  # handled: a re-delivery meets HandledUpdate
        except Exception:
            log.warning("handled update left in the inbox; it will be recognised", exc_info=True)
        self._answer(waiters, scheduled, failure)
        return False

    def _answer(
        self,
        waiters: list[asyncio.Future[None]],
        scheduled: list[JobSpec] | None = None,
        error: BaseException | None = None,
    ) -> None:
        """On the event loop: run `committed` with the jobs, then wake whoever waits on the update."""
        if self._loop is None or self._loop.is_closed():
            return

        def answer() -> None:
            if error is None:
                self.committed(scheduled or [])
            for future in waiters:
                if future.done():
                    continue
                if error is None:
                    future.set_result(None)
                else:
                    future.set_exception(error)

        self._loop.call_soon_threadsafe(answer)

    def close(self) -> None:
        """Let each worker finish the update it handles, then stop; what waits stays in the inbox."""
        with self._changed:
            self._closing = True
            self._changed.notify_all()
        for thread in self._threads:
            thread.join()
        self._threads.clear()
        self._storing.shutdown()
