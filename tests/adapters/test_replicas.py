"""Telegram replicas: two `townhall run` processes in webhook mode behind one proxy, against a Bot API on
127.0.0.1. Only the leader tells Telegram the webhook; a replica that takes over tells it again."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import aiohttp
import pytest
import sqlalchemy as sa

from bot.testing.fake_telegram import TOKEN, FakeBotAPI, message_update, private, user
from bot.testing.replicas import LEADS, STARTED, Replica, throwaway_schema
from facilitation.kernel.i18n import SUPPORTED_LANGUAGES
from storage.db import create_db_engine
from tests.conftest import POSTGRES_URL, ROOT

ALICE = user(6200000002, "Alice", "alice_m")
WEBHOOK = "https://townhall.example.org/telegram/updates"
"""The proxy's public address; it routes the path to any replica."""
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


async def post_update(port: int, secret: str, update_id: int) -> int:
    """Post a private /help to one replica, as the proxy would; the status it answers."""
    update = message_update("/help", ALICE, private(ALICE))
    update["update_id"] = update_id
    async with aiohttp.ClientSession() as client:
        endpoint = f"http://127.0.0.1:{port}/telegram/updates"
        async with client.post(endpoint, json=update, headers={SECRET_HEADER: secret}) as response:
            return response.status


def wait_until_all_sent(database_url: str, timeout: float = 30.0) -> None:
    engine = create_db_engine(database_url)
    try:
        deadline = time.monotonic() + timeout
        while True:
            with engine.connect() as connection:
                pending = connection.execute(
                    sa.text("SELECT count(*) FROM outboxmessage WHERE status = 'pending'")
                ).scalar()
            if not pending:
                return
            assert time.monotonic() < deadline, f"{pending} messages still pending"
            time.sleep(0.1)
    finally:
        engine.dispose()


def replica(name: str, environment: dict[str, str], api: FakeBotAPI, folder: Path) -> Replica:
    env = {key: value for key, value in environment.items() if key != "TELEGRAM_WEBHOOK_SECRET"}
    env.update(
        TELEGRAM_BOT_TOKEN=TOKEN,
        TELEGRAM_API_BASE_URL=api.url,
        TELEGRAM_WEBHOOK_URL=WEBHOOK,
        TELEGRAM_WEBHOOK_PORT=str(free_port()),
    )
    return Replica(name, folder / name, env)


async def test_two_webhook_replicas_set_the_webhook_once_and_a_replica_that_takes_over_sets_it_again(
    api: FakeBotAPI, environment: dict[str, str], tmp_path: Path
) -> None:
    first = replica("first", environment, api, tmp_path).start()
    second = replica("second", environment, api, tmp_path)
    try:
        await asyncio.to_thread(first.wait_until_says, LEADS)
        await asyncio.to_thread(first.wait_until_says, STARTED)
        second.start()
        await asyncio.to_thread(second.wait_until_says, STARTED)
        assert not second.leads

        (registered,) = api.calls_to("setWebhook")  # by the leader alone, not by each replica
        assert registered["url"] == WEBHOOK
        menus = len(SUPPORTED_LANGUAGES) + 1  # one per catalogue language and the default one
        assert len(api.calls_to("setMyCommands")) == menus

        # No TELEGRAM_WEBHOOK_SECRET: each replica finds the same secret, so either answers the proxy.
        for update_id, each in enumerate((second, first), start=901):
            port = int(each.env["TELEGRAM_WEBHOOK_PORT"])
            assert await post_update(port, registered["secret_token"], update_id) == 200
        await api.wait_for_messages(2)
        # A 200 says the update is in the inbox; wait until both replies are also marked sent, so that the
        # kill leaves no message claimed (a claim lapses only after 30 s, and the chat's next waits).
        await asyncio.to_thread(wait_until_all_sent, environment["DATABASE_URL"])

        first.kill()
        await asyncio.to_thread(second.wait_until_says, LEADS)
        (again,) = await api.wait_until(lambda: api.calls_to("setWebhook")[1:])
        assert {key: again[key] for key in ("url", "secret_token")} == {
            "url": WEBHOOK,
            "secret_token": registered["secret_token"],
        }
        await api.wait_until(lambda: len(api.calls_to("setMyCommands")) == 2 * menus)
        port = int(second.env["TELEGRAM_WEBHOOK_PORT"])
        assert await post_update(port, registered["secret_token"], 903) == 200
        await api.wait_for_messages(3)
    finally:
        first.stop()
        assert second.stop() == 0, second.log()[-3000:]


@pytest.mark.postgres
@pytest.mark.skipif(not POSTGRES_URL, reason="needs TOWNHALL_TEST_DATABASE_URL")
def test_the_two_process_script_starts_two_replicas_of_which_one_leads() -> None:
    script = ROOT / "deploy" / "run_two_processes.py"
    env = {key: value for key, value in os.environ.items() if not key.startswith(("TELEGRAM_", "DISCORD_"))}
    run = subprocess.run(
        [sys.executable, str(script), "--database", POSTGRES_URL, "--seconds", "1"],
        capture_output=True,
        text=True,
        env=env,
        timeout=180,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    roles = [line.split(" ", 2)[2] for line in run.stdout.splitlines() if line.startswith("replica-")]
    assert [role.split(";")[0] for role in roles] == ["leads the scheduler", "follows"]


@pytest.mark.postgres
@pytest.mark.skipif(not POSTGRES_URL, reason="needs TOWNHALL_TEST_DATABASE_URL")
def test_processes_started_together_on_an_empty_database_migrate_it_once_without_colliding() -> None:
    with throwaway_schema(POSTGRES_URL, "migrate") as url:
        env = {**os.environ, "DATABASE_URL": url, "PYTHONPATH": str(ROOT)}
        upgrades = [
            subprocess.Popen(
                [sys.executable, "-m", "bot.cli", "db", "upgrade"],
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for _ in range(3)
        ]
        for upgrade in upgrades:
            _out, errors = upgrade.communicate(timeout=180)
            assert upgrade.returncode == 0, errors[-2000:]
