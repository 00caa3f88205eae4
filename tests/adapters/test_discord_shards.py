"""Discord shards: two Townhall processes on one database, each serving one shard of two, against one fake
Discord on 127.0.0.1 that routes each server's events to its shard and direct messages to shard 0."""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from pathlib import Path

import pytest

from adapters.base import Incoming, TransientDeliveryError
from adapters.discord.adapter import INTERACTION_HANDOFF_SECONDS, DiscordAdapter, TownhallClient
from bot.app import Townhall, discord_adapter
from bot.settings import SettingsError, load_settings
from bot.testing.fake_discord import (
    CHANNEL_ID,
    DISCORD_EPOCH_MS,
    DM_CHANNEL_ID,
    GUILD_ID,
    FakeDiscord,
    guild_create,
    message_create,
    shard_of,
)
from bot.testing.harness import make_settings
from facilitation.kernel.events import Address, Outgoing

SHARDS = 2
OTHER_GUILD_ID = str(int(GUILD_ID) + (1 << 22))
"""A second server, on the other shard of two."""
OTHER_CHANNEL_ID = "1300000000000000002"


@pytest.fixture(autouse=True)
def quick_ready(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(TownhallClient, "guild_ready_timeout", 0.1)


class Shard:
    """One process's Townhall serving one shard, with what its Discord adapter handed the core."""

    def __init__(self, townhall: Townhall) -> None:
        self.townhall = townhall
        self.received: list[Incoming] = []
        handle = townhall.on_incoming

        async def recording(incoming: Incoming) -> None:
            self.received.append(incoming)
            await handle(incoming)

        townhall.on_incoming = recording  # type: ignore[method-assign]  # what the adapter is given

    @property
    def adapter(self) -> DiscordAdapter:
        (adapter,) = self.townhall.adapters
        assert isinstance(adapter, DiscordAdapter)
        return adapter

    def texts(self) -> list[str]:
        return [incoming.text for incoming in self.received]


@asynccontextmanager
async def two_shards(database_url: str, data_dir: Path, fake: FakeDiscord) -> AsyncIterator[list[Shard]]:
    """Shards 0 and 1 of two, each in a Townhall of its own on the one database."""
    async with AsyncExitStack() as stack:
        shards = []
        for shard in range(SHARDS):
            settings = make_settings(
                database_url,
                data_dir / f"shard-{shard}",
                discord_bot_token="fake-token",
                discord_api_base_url=fake.api_base_url,
                discord_gateway_url=fake.gateway_url,
                discord_shard_count=SHARDS,
                discord_shard_ids=[shard],
            )
            running = Shard(Townhall(settings, [discord_adapter(settings)]))
            await running.townhall.start()
            stack.push_async_callback(running.townhall.stop)
            shards.append(running)
        yield shards


def direct_message(text: str) -> dict:
    message = message_create(text, channel_id=DM_CHANNEL_ID)
    for key in ("guild_id", "member"):
        message.pop(key)
    return message


async def until(condition: Callable[[], object], what: str) -> None:
    """Wait for what the processes do in the background (handling an event they were sent)."""
    for _ in range(300):
        if condition():
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"waited 15 s for {what}")


def two_servers() -> FakeDiscord:
    fake = FakeDiscord()
    fake.guilds.append(guild_create(OTHER_GUILD_ID, OTHER_CHANNEL_ID, "Riverside"))
    assert shard_of(GUILD_ID, SHARDS) != shard_of(OTHER_GUILD_ID, SHARDS)
    return fake


async def test_each_servers_messages_reach_its_shards_process_and_direct_messages_shard_0s(
    database_url: str, tmp_path: Path
) -> None:
    async with two_servers() as fake, two_shards(database_url, tmp_path, fake) as shards:
        assert sorted(identify["shard"] for identify in fake.identifies) == [[0, SHARDS], [1, SHARDS]]
        home, other = shards[shard_of(GUILD_ID, SHARDS)], shards[shard_of(OTHER_GUILD_ID, SHARDS)]
        await fake.dispatch("MESSAGE_CREATE", message_create("Shade trees by the school"))
        await fake.dispatch(
            "MESSAGE_CREATE",
            message_create("Benches on the riverside", channel_id=OTHER_CHANNEL_ID, guild_id=OTHER_GUILD_ID),
        )
        await fake.dispatch("MESSAGE_CREATE", direct_message("What can you do?"))
        every = ["Shade trees by the school", "Benches on the riverside", "What can you do?"]
        await until(lambda: sorted(home.texts() + other.texts()) == sorted(every), "every message handled")
        assert home.texts() == ["Shade trees by the school"]
        assert sorted(shards[0].texts()) == sorted(["Benches on the riverside", "What can you do?"])
        assert other is shards[0]
        # Slash commands are registered once, by `townhall discord sync`: no process does it at start.
        assert not [call for call in fake.calls if call.path.startswith("/applications/")]


async def test_a_new_session_reads_back_only_the_channels_of_its_own_shards(
    database_url: str, tmp_path: Path
) -> None:
    async with two_servers() as fake, two_shards(database_url, tmp_path, fake) as shards:
        for text, channel, guild in (
            ("Shade trees", CHANNEL_ID, GUILD_ID),
            ("Benches", OTHER_CHANNEL_ID, OTHER_GUILD_ID),
        ):
            fake.history[channel] = [message_create(text, channel_id=channel, guild_id=guild)]
        fake.history[DM_CHANNEL_ID] = [direct_message("Hello")]

        async def everywhere() -> dict:
            return {CHANNEL_ID: 0, OTHER_CHANNEL_ID: 0, DM_CHANNEL_ID: 0}

        for shard in shards:
            shard.adapter.resume_points = everywhere
            await shard.adapter.catch_up()
        assert shards[shard_of(GUILD_ID, SHARDS)].texts() == ["Shade trees"]
        assert sorted(shards[shard_of(OTHER_GUILD_ID, SHARDS)].texts()) == ["Benches", "Hello"]


async def test_a_message_to_a_server_on_one_shard_is_delivered_by_the_other_shards_process(
    database_url: str, tmp_path: Path
) -> None:
    async with two_servers() as fake, two_shards(database_url, tmp_path, fake) as shards:
        home = shard_of(GUILD_ID, SHARDS)
        await shards[home].townhall.delivery.stop()  # the process holding the server sends nothing
        sender = shards[1 - home].townhall
        with sender.database.session() as session:
            sender.core.outbox.enqueue(session, Address("discord", CHANNEL_ID), Outgoing("Round 2 is open"))
        await sender.delivery.deliver_due()
        sent = await fake.wait_for(lambda call: call.content == "Round 2 is open")
        assert sent.method == "POST" and sent.path == f"/channels/{CHANNEL_ID}/messages"


def snowflake(seconds_ago: float) -> str:
    return str(int((time.time() - seconds_ago) * 1000 - DISCORD_EPOCH_MS) << 22)


async def test_an_interaction_received_by_one_process_is_answered_by_it_not_by_whichever_claims_it(
    database_url: str, tmp_path: Path
) -> None:
    async with two_servers() as fake, two_shards(database_url, tmp_path, fake) as shards:
        elsewhere = shards[1 - shard_of(GUILD_ID, SHARDS)].adapter
        just_now = Address("discord", CHANNEL_ID, reply_handle=snowflake(seconds_ago=1))
        with pytest.raises(TransientDeliveryError):  # the outbox tries it again; its process sends it
            await elsewhere.send(just_now, Outgoing("Your idea is recorded"))
        assert not fake.messages()
        gone = Address("discord", CHANNEL_ID, reply_handle=snowflake(INTERACTION_HANDOFF_SECONDS + 5))
        await elsewhere.send(gone, Outgoing("Your idea is recorded"))  # that process is gone: the channel
        (sent,) = fake.messages()
        assert sent.path == f"/channels/{CHANNEL_ID}/messages"


@pytest.mark.parametrize(
    ("count", "ids", "problem"),
    [
        ("2", "0,2", "DISCORD_SHARD_IDS: shards [2] are not below"),
        ("0", "", "DISCORD_SHARD_COUNT"),
        ("2", "one", "DISCORD_SHARD_IDS"),
    ],
)
def test_shard_settings_outside_the_count_name_the_variable(
    monkeypatch: pytest.MonkeyPatch, count: str, ids: str, problem: str
) -> None:
    monkeypatch.setenv("DISCORD_SHARD_COUNT", count)
    monkeypatch.setenv("DISCORD_SHARD_IDS", ids)
    with pytest.raises(SettingsError, match=re.escape(problem)):
        load_settings(_env_file=None)
