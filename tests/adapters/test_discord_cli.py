"""`townhall run` and `townhall discord sync` as processes, against the fake Discord on 127.0.0.1."""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import sys
from pathlib import Path

from adapters.discord import DiscordAdapter
from adapters.discord.adapter import sync_commands
from bot.testing.fake_discord import (
    APPLICATION_ID,
    CHANNEL_ID,
    FRAN,
    GUILD_ID,
    FakeDiscord,
    command,
    message_create,
)
from facilitation.features import FEATURES
from facilitation.kernel.router import Router
from tests.conftest import ROOT

EXIT_TIMEOUT_SECONDS = 30


def townhall_env(fake: FakeDiscord, data_dir: Path) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith(("DISCORD_", "TELEGRAM_"))}
    env.update(
        DISCORD_BOT_TOKEN="fake-token",
        DISCORD_API_BASE_URL=fake.api_base_url,
        DISCORD_GATEWAY_URL=fake.gateway_url,
        DATA_DIR=str(data_dir),
        DATABASE_URL="",
        EMBEDDING_MODEL="",  # these runs need no model: loading it would only slow them
        FACILITATOR_IDS=f"discord:{FRAN}",
    )
    return env


async def townhall(fake: FakeDiscord, data_dir: Path, *args: str) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.cli",
        *args,
        cwd=ROOT,
        env=townhall_env(fake, data_dir),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )


async def test_townhall_run_records_a_hashtag_message_and_answers_a_slash_command(tmp_path: Path) -> None:
    async with FakeDiscord() as fake:
        process = await townhall(fake, tmp_path, "run")
        try:
            campaign = command(
                "campaign", FRAN, "fran", hashtag="parks", title="Better parks", challenge="How?"
            )
            await fake.dispatch("INTERACTION_CREATE", campaign)
            await fake.wait_for(lambda call: "Campaign #parks created" in call.content)
            await fake.dispatch("INTERACTION_CREATE", command("invite", FRAN, "fran"))
            await fake.wait_for(lambda call: "Open invitation" in call.content)

            message = message_create("Plant shade trees #parks")
            await fake.dispatch("MESSAGE_CREATE", message)
            confirmation = await fake.wait_for(
                lambda call: call.method == "POST" and call.path == f"/channels/{CHANNEL_ID}/messages"
            )
            assert "Idea i1 recorded in #parks" in confirmation.content

            ideas = command("ideas")
            await fake.dispatch("INTERACTION_CREATE", ideas)
            answer = await fake.wait_for(lambda call: ideas["token"] in call.path and call.method == "PATCH")
            callback = [call for call in fake.calls if ideas["token"] in call.path][0]
            assert callback.path == f"/interactions/{ideas['id']}/{ideas['token']}/callback"
            assert "Plant shade trees #parks" in answer.content
        finally:
            process.send_signal(signal.SIGTERM)
            _out, err = await asyncio.wait_for(process.communicate(), EXIT_TIMEOUT_SECONDS)
        assert process.returncode == 0, err.decode()
        assert fake.calls[0].path == "/users/@me"
        with sqlite3.connect(tmp_path / "townhall.db") as database:
            stored = database.execute("SELECT text, source_platform, source_message_id FROM idea").fetchall()
        assert stored == [("Plant shade trees #parks", "discord", message["id"])]


async def test_discord_sync_registers_every_command_in_english_and_french(tmp_path: Path) -> None:
    async with FakeDiscord() as fake:
        process = await townhall(fake, tmp_path, "discord", "sync", "--guild", GUILD_ID)
        out, err = await asyncio.wait_for(process.communicate(), EXIT_TIMEOUT_SECONDS)
        assert process.returncode == 0, err.decode()
        [sync] = [call for call in fake.calls if call.method == "PUT"]
        assert sync.path == f"/applications/{APPLICATION_ID}/guilds/{GUILD_ID}/commands"
        names = {entry["name"] for entry in sync.body}
        assert names == set(Router(FEATURES).commands)
        ideas = next(entry for entry in sync.body if entry["name"] == "ideas")
        assert ideas["description"] == "Show the latest ideas, page by page"
        assert ideas["description_localizations"]["fr"] != ideas["description"]
        page = next(option for option in ideas["options"] if option["name"] == "page")
        assert page["type"] == 4 and page["min_value"] == 1 and page["description_localizations"]["fr"]
        assert f"synced {len(names)} slash commands to server {GUILD_ID}" in out.decode()

        await sync_commands(
            DiscordAdapter("fake-token", Router(FEATURES).commands, fake.api_base_url, fake.gateway_url)
        )
        assert [call.path for call in fake.calls if call.method == "PUT"][-1] == (
            f"/applications/{APPLICATION_ID}/commands"
        )  # without --guild: global


async def test_a_refused_token_stops_townhall_with_one_line_naming_it(tmp_path: Path) -> None:
    async with FakeDiscord(valid_token="the-right-token") as fake:
        process = await townhall(fake, tmp_path, "run")
        _out, err = await asyncio.wait_for(process.communicate(), EXIT_TIMEOUT_SECONDS)
    assert process.returncode == 2
    assert (
        err.decode()
        .strip()
        .splitlines()[-1]
        .startswith("townhall: configuration error: DISCORD_BOT_TOKEN: Discord refused the token")
    )
