"""One member's many slow commands do not hold up another member: the core's worker takes turns."""

from __future__ import annotations

import asyncio
import threading
import time

from bot.testing.harness import Harness
from facilitation.features import FEATURES
from facilitation.kernel.context import Context
from facilitation.kernel.fair_worker import FairWorker
from facilitation.kernel.router import CommandSet

slow = CommandSet()


@slow.command("ponder", "test: a command that takes a while, as /themes on thousands of ideas does")
def ponder(ctx: Context, args: str) -> None:
    time.sleep(0.2)
    ctx.reply(f"pondered {args}")


async def test_another_members_help_is_answered_before_one_members_queue_of_slow_commands(
    database_url, tmp_path
) -> None:
    async with Harness.running(database_url, tmp_path, features=[*FEATURES, slow]) as harness:
        await harness.say("/help", user="bob")  # both members known, so only the commands below queue
        answered: list[str] = []

        async def say(text: str, user: str) -> None:
            await harness.say(text, user=user)
            answered.append(text)

        alice = [asyncio.create_task(say(f"/ponder {number}", "alice")) for number in range(6)]
        await asyncio.sleep(0.05)  # alice's six are queued before bob writes
        await say("/help", "bob")
        await asyncio.gather(*alice)
    assert answered.index("/help") <= 2, f"bob waited behind alice's queue: {answered}"
    assert [text for text in answered if text != "/help"] == [f"/ponder {number}" for number in range(6)]


def test_lanes_take_turns_and_each_keeps_its_order() -> None:
    worker = FairWorker("test-worker")
    ran: list[str] = []
    running, gate = threading.Event(), threading.Event()

    def hold() -> None:
        running.set()
        gate.wait()

    first = worker.submit("house", hold)  # holds the thread while the lanes fill up
    running.wait(timeout=5)
    futures = [worker.submit("alice", ran.append, f"a{number}") for number in range(3)]
    futures += [worker.submit("bob", ran.append, f"b{number}") for number in range(2)]
    futures += [worker.submit("carol", ran.append, "c0")]
    gate.set()
    for future in [first, *futures]:
        future.result(timeout=5)
    worker.shutdown()
    assert ran == ["a0", "b0", "c0", "a1", "b1", "a2"]


def test_an_error_reaches_the_caller_and_the_worker_goes_on() -> None:
    worker = FairWorker("test-worker")
    failed = worker.submit("alice", int, "not a number")
    assert worker.submit("bob", int, "7").result(timeout=5) == 7
    worker.shutdown()
    assert isinstance(failed.exception(timeout=5), ValueError)
