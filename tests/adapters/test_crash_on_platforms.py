"""Killed with SIGKILL in a burst of ideas from Telegram (by long polling and by webhook) or Discord,
Townhall loses none and doubles none once it runs again: Telegram re-delivers what it never heard was
received, and on Discord, whose new gateway session replays nothing, Townhall reads each channel on from
the last message it handled."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import socket
import subprocess
import time
from collections import Counter
from pathlib import Path

import aiohttp
import sqlalchemy as sa

from bot.testing import fake_discord
from bot.testing.fake_discord import FakeDiscord
from bot.testing.fake_telegram import TOKEN, FakeBotAPI, message_update, private, user
from bot.testing.harness import running_townhall, townhall
from bot.testing.outage import outage_for
from storage.db import create_db_engine

BURST = 200
RESIDENTS = 40
"""Ideas come from this many residents, each in their private chat, so replies are not paced into one chat."""
KILL_AFTER_STORED = 20
SECRET = "crash-test-webhook-secret"
SETTLE_SECONDS = 90.0


def burst() -> list[dict]:
    """BURST idea messages, each from one of RESIDENTS residents (all facilitators: no fair-use limit)."""
    updates = []
    for number in range(BURST):
        person = user(5000 + number % RESIDENTS, f"Resident{number % RESIDENTS}")
        updates.append(
            message_update(
                f"Idea number {number} for the park #parks", person, private(person), 10_000 + number
            )
        )
    return updates


def stored_ideas(database_url: str) -> list[str]:
    engine = create_db_engine(database_url)
    try:
        with engine.connect() as connection:
            return list(connection.execute(sa.text("SELECT text FROM idea")).scalars())
    finally:
        engine.dispose()


def telegram_environment(environment: dict[str, str], fake: FakeBotAPI, **extra: str) -> dict[str, str]:
    residents = ",".join(f"telegram:{5000 + index}" for index in range(RESIDENTS))
    return {
        **environment,
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_API_BASE_URL": fake.url,
        "FACILITATOR_IDS": residents,
        **extra,
    }


async def wait_for_ideas(database_url: str, count: int, process: subprocess.Popen[str]) -> list[str]:
    """The ideas stored, once there are at least `count` (the table may not exist yet at first)."""
    deadline = time.monotonic() + SETTLE_SECONDS
    while True:
        with contextlib.suppress(sa.exc.OperationalError, sa.exc.ProgrammingError):
            ideas = await asyncio.to_thread(stored_ideas, database_url)
            if len(ideas) >= count:
                return ideas
        assert process.poll() is None, process.stderr.read() if process.stderr else "townhall stopped"
        assert time.monotonic() < deadline, f"fewer than {count} ideas stored in time"
        await asyncio.sleep(0.02)


def stop(process: subprocess.Popen[str]) -> None:
    process.send_signal(signal.SIGTERM)
    process.wait(timeout=60)


async def ideas_after_restart(env: dict[str, str], cwd: Path, database_url: str, count: int) -> list[str]:
    """Start Townhall again, and once `count` ideas are stored, every idea stored (doubles included)."""
    again = running_townhall("run", env=env, cwd=cwd)
    try:
        await wait_for_ideas(database_url, count, again)
        await asyncio.sleep(1)  # anything handled twice would show by now
        return await asyncio.to_thread(stored_ideas, database_url)
    finally:
        stop(again)


def create_campaign(environment: dict[str, str], cwd: Path) -> None:
    created = townhall(
        "run", stdin="/campaign #parks Better parks | Welcoming parks?\n", env=environment, cwd=cwd
    )
    assert created.returncode == 0, created.stderr


def assert_every_idea_once(ideas: list[str]) -> None:
    expected = {f"Idea number {number} for the park #parks" for number in range(BURST)}
    assert set(ideas) == expected, f"{len(expected - set(ideas))} ideas lost"
    assert max(Counter(ideas).values()) == 1, "an idea was stored twice"


async def test_sigkill_while_polling_loses_and_doubles_nothing(environment, tmp_path, database_url):
    create_campaign(environment, tmp_path)
    fake = await FakeBotAPI().start()
    try:
        for update in burst():
            await fake.push(update)
        env = telegram_environment(environment, fake)
        process = running_townhall("run", env=env, cwd=tmp_path)
        at_kill = await wait_for_ideas(database_url, KILL_AFTER_STORED, process)
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=60)
        assert len(at_kill) < BURST, "the kill came after the burst: make it longer"

        ideas = await ideas_after_restart(env, tmp_path, database_url, BURST)
    finally:
        await fake.stop()
    assert_every_idea_once(ideas)


async def post_updates(url: str, updates: list[dict], acknowledged: set[int], stop_after: int | None) -> None:
    """Post updates one by one as Telegram does, noting those answered 200; stop early after `stop_after`."""
    headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
    async with aiohttp.ClientSession() as session:
        for update in updates:
            if stop_after is not None and len(acknowledged) >= stop_after:
                return
            try:
                async with session.post(url, json=update, headers=headers) as response:
                    if response.status == 200:
                        acknowledged.add(update["update_id"])
            except aiohttp.ClientError:
                return  # the process is gone: Telegram keeps the rest for later


async def wait_for_webhook(url: str, process: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + SETTLE_SECONDS
    async with aiohttp.ClientSession() as session:
        while True:
            assert process.poll() is None, process.stderr.read() if process.stderr else "townhall stopped"
            try:
                async with session.post(url, json={}) as response:
                    if response.status == 403:  # listening, and refusing what carries no secret
                        return
            except aiohttp.ClientError:
                pass
            assert time.monotonic() < deadline, "the webhook never listened"
            await asyncio.sleep(0.1)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


async def test_sigkill_on_the_webhook_loses_and_doubles_nothing(environment, tmp_path, database_url):
    create_campaign(environment, tmp_path)
    fake = await FakeBotAPI().start()
    port = free_port()
    url = f"http://127.0.0.1:{port}/telegram-hook"
    updates = []
    for update in burst():
        updates.append(await fake.push(update))  # numbered as Telegram numbers them; never polled
    try:
        env = telegram_environment(
            environment,
            fake,
            TELEGRAM_WEBHOOK_URL=url,
            TELEGRAM_WEBHOOK_LISTEN="127.0.0.1",
            TELEGRAM_WEBHOOK_PORT=str(port),
            TELEGRAM_WEBHOOK_SECRET=SECRET,
        )
        process = running_townhall("run", env=env, cwd=tmp_path)
        await wait_for_webhook(url, process)
        acknowledged: set[int] = set()
        sender = asyncio.create_task(post_updates(url, updates, acknowledged, stop_after=None))
        at_kill = await wait_for_ideas(database_url, KILL_AFTER_STORED, process)
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=60)
        await sender
        assert len(at_kill) < BURST, "the kill came after the burst: make it longer"

        again = running_townhall("run", env=env, cwd=tmp_path)
        try:
            await wait_for_webhook(url, again)
            unanswered = [update for update in updates if update["update_id"] not in acknowledged]
            resent_anyway = [update for update in updates if update["update_id"] in acknowledged][-5:]
            await post_updates(url, resent_anyway + unanswered, acknowledged, stop_after=None)
            # 200 says received for good: handled (SQLite) or in the inbox (PostgreSQL), handled soon after.
            await wait_for_ideas(database_url, BURST, again)
            await asyncio.sleep(1)  # anything handled twice would show by now
            ideas = await asyncio.to_thread(stored_ideas, database_url)
        finally:
            stop(again)
    finally:
        await fake.stop()
    assert len(acknowledged) == BURST, "every update is answered 200 at last"
    assert_every_idea_once(ideas)


DISCORD_RESIDENTS = [f"16000000000000000{index:02d}" for index in range(RESIDENTS)]


async def test_sigkill_on_discord_loses_and_doubles_nothing(environment, tmp_path, database_url):
    create_campaign(environment, tmp_path)
    async with FakeDiscord() as fake:
        env = {
            **environment,
            "DISCORD_BOT_TOKEN": "fake-token",
            "DISCORD_API_BASE_URL": fake.api_base_url,
            "DISCORD_GATEWAY_URL": fake.gateway_url,
            "FACILITATOR_IDS": ",".join(f"discord:{resident}" for resident in DISCORD_RESIDENTS),
        }
        messages = [
            fake_discord.message_create(
                f"Idea number {number} for the park #parks",
                author=DISCORD_RESIDENTS[number % RESIDENTS],
                name=f"resident{number % RESIDENTS}",
            )
            for number in range(BURST)
        ]
        process = running_townhall("run", env=env, cwd=tmp_path)

        async def send_all() -> None:
            for message in messages:
                await fake.dispatch("MESSAGE_CREATE", message)  # waits while no session is open

        sender = asyncio.create_task(send_all())
        at_kill = await wait_for_ideas(database_url, KILL_AFTER_STORED, process)
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=60)
        assert len(at_kill) < BURST, "the kill came after the burst: make it longer"

        again = running_townhall("run", env=env, cwd=tmp_path)
        try:
            await asyncio.wait_for(sender, SETTLE_SECONDS)
            await wait_for_ideas(database_url, BURST, again)
            await asyncio.sleep(1)  # anything handled twice would show by now
            ideas = await asyncio.to_thread(stored_ideas, database_url)
        finally:
            stop(again)
    assert_every_idea_once(ideas)


async def test_sigkill_while_the_database_is_away_loses_nothing_held(environment, tmp_path, database_url):
    """Updates held while the database cannot be reached are not yet confirmed to Telegram: killed then,
    Townhall gets them again at the next start and stores each once."""
    create_campaign(environment, tmp_path)
    fake = await FakeBotAPI().start()
    try:
        updates = burst()[:6]
        async with outage_for(database_url) as (url, outage):
            env = telegram_environment(environment, fake, DATABASE_URL=url)
            process = running_townhall("run", env=env, cwd=tmp_path)
            await fake.push(updates[0])
            await wait_for_ideas(database_url, 1, process)
            outage.begin()
            try:
                for update in updates[1:]:
                    await fake.push(update)
                await fake.wait_until(
                    lambda: any("retry your message" in message["text"] for message in fake.messages()),
                    timeout=60,
                )
                await asyncio.sleep(2)  # time enough to confirm the held updates, if it did
                process.send_signal(signal.SIGKILL)
                process.wait(timeout=60)
            finally:
                outage.end()
        ideas = await ideas_after_restart(
            telegram_environment(environment, fake), tmp_path, database_url, len(updates)
        )
    finally:
        await fake.stop()
    assert sorted(ideas) == sorted(update["message"]["text"] for update in updates)
