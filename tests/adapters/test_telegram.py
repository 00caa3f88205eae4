"""Telegram end to end: the real python-telegram-bot, core and storage against a Bot API on 127.0.0.1."""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import socket
import sqlite3
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import aiohttp
import pytest
from sqlmodel import Session, select

from bot.app import Townhall, select_adapters
from bot.testing.fake_telegram import (
    TOKEN,
    FakeBotAPI,
    buttons,
    callback_update,
    fixture,
    group,
    message_update,
    private,
    user,
)
from bot.testing.harness import FACILITATOR_COMMANDS, make_settings, state
from facilitation.kernel.events import Address, Outgoing
from storage.models import ChatBinding, ChatNotice, Idea, Membership, OutboxMessage
from tests.conftest import ROOT

RECORDED = ROOT / "tests" / "fixtures" / "telegram"
"""Recorded payloads only these tests read; the ones the fake answers with ship with it."""
FRAN = user(6200000001, "Fran", "fran_facilitates")
ALICE = user(6200000002, "Alice", "alice_m")
BASILE = user(6200000003, "Basile", "basile_b", language="fr")
GROUP = group()
CAMPAIGN = "/campaign #parks Better parks | How can we make our parks welcoming for everyone?"


class Chat:
    """Drives Townhall as Telegram users would: every update goes through getUpdates."""

    def __init__(self, api: FakeBotAPI) -> None:
        self.api = api

    async def say(self, text: str, sender: dict = ALICE, chat: dict = GROUP, replies: int = 1) -> list[dict]:
        """Post a message; returns the `replies` messages the bot sent next."""
        return await self.push(message_update(text, sender, chat), replies)

    async def press(
        self, data: str, sender: dict = ALICE, chat: dict = GROUP, replies: int = 1
    ) -> list[dict]:
        return await self.push(callback_update(data, sender, chat), replies)

    async def push(self, update: dict, replies: int) -> list[dict]:
        """Hand any update to getUpdates; returns the `replies` messages the bot sent next."""
        before = len(self.api.messages())
        await self.api.push(update)
        return (await self.api.wait_for_messages(before + replies))[before : before + replies]

    async def start_parks(self) -> dict:
        """Fran creates #parks and invites the group; returns the invitation."""
        await self.say(CAMPAIGN, sender=FRAN)
        (invitation,) = await self.say("/invite@townhall_test_bot", sender=FRAN)
        return invitation


@asynccontextmanager
async def running(
    api: FakeBotAPI, database_url: str, data_dir: Path, **settings: object
) -> AsyncIterator[Townhall]:
    """Townhall wired as `townhall run` wires it, with the Telegram adapter selected by its token."""
    values: dict[str, object] = {
        "facilitator_ids": [f"telegram:{FRAN['id']}"],
        "telegram_bot_token": TOKEN,
        "telegram_api_base_url": api.url,
    }
    values.update(settings)
    configured = make_settings(database_url, data_dir, **values)
    townhall = Townhall(configured, select_adapters(configured))
    await townhall.start()
    try:
        yield townhall
    finally:
        await townhall.stop()


@pytest.fixture
async def chat(api: FakeBotAPI, database_url: str, tmp_path: Path) -> AsyncIterator[Chat]:
    async with running(api, database_url, tmp_path):
        yield Chat(api)


def rows(townhall: Townhall, model: type) -> list:
    with Session(townhall.database.engine) as session:
        return list(session.exec(select(model)))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


async def test_townhall_run_serves_a_group_through_long_polling(api: FakeBotAPI, tmp_path: Path) -> None:
    """The issue's "done when": `townhall run` against a Bot API on loopback, updates from getUpdates."""
    database = tmp_path / "townhall.db"
    env = {key: value for key, value in os.environ.items() if not key.startswith(("TELEGRAM_", "DISCORD_"))}
    env.update(
        TELEGRAM_BOT_TOKEN=TOKEN,
        TELEGRAM_API_BASE_URL=api.url,
        DATABASE_URL=f"sqlite:///{database}",
        DATA_DIR=str(tmp_path),
        FACILITATOR_IDS=f"telegram:{FRAN['id']}",
        HF_HUB_OFFLINE="1",
    )
    log = tmp_path / "stderr.log"
    with log.open("wb") as stderr:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot.cli", "run", cwd=ROOT, env=env, stderr=stderr
        )
    try:
        chat = Chat(api)
        await api.wait_until(lambda: api.calls_to("getUpdates"))
        await chat.start_parks()

        (confirmation,) = await chat.say("Plant shade trees #parks")
        assert confirmation["chat_id"] == GROUP["id"]
        assert confirmation["text"].startswith("Idea i1 recorded in #parks")

        (listing,) = await chat.say("/ideas")
        assert "Plant shade trees #parks" in listing["text"]

        (invitation,) = await chat.say("/invite", sender=FRAN)
        (join,) = buttons(invitation)
        press = await api.push(callback_update(join["callback_data"], ALICE, GROUP))
        query_id = press["callback_query"]["id"]
        await api.wait_until(lambda: api.calls_to("answerCallbackQuery", callback_query_id=query_id))
        await api.wait_until(lambda: "already a member of #parks" in api.messages()[-1]["text"])
        process.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(process.wait(), 30) == 0, log.read_text()
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    with sqlite3.connect(database) as connection:
        assert connection.execute("SELECT text FROM idea").fetchall() == [("Plant shade trees #parks",)]


async def test_commands_are_registered_in_english_and_french(chat: Chat) -> None:
    api = chat.api
    english = api.calls_to("setMyCommands", language_code="en")[0]["commands"]
    french = api.calls_to("setMyCommands", language_code="fr")[0]["commands"]
    assert {"command": "ideas", "description": "Show the latest ideas, page by page"} in english
    assert [command["command"] for command in french] == [command["command"] for command in english]
    assert {"help", "idea", "ideas", "join", "campaign", "invite"} <= {c["command"] for c in english}
    assert dict((c["command"], c["description"]) for c in french)["help"] != "Show what I can do for you"
    (default,) = [params for params in api.calls_to("setMyCommands") if "language_code" not in params]
    assert default["commands"] == english


async def test_every_facilitator_command_tried_by_a_resident_is_refused_and_changes_nothing(
    api: FakeBotAPI, database_url: str, tmp_path: Path
) -> None:
    assert "campaign" in FACILITATOR_COMMANDS and "invite" in FACILITATOR_COMMANDS
    async with running(api, database_url, tmp_path) as townhall:
        chat = Chat(api)
        await chat.start_parks()
        await chat.say("Benches by the pond #parks", sender=ALICE)
        before = state(townhall)
        for name in FACILITATOR_COMMANDS:
            (answer,) = await chat.say(f"/{name}@townhall_test_bot #parks i1 x | y", sender=ALICE)
            assert "Only facilitators" in answer["text"], name
        assert state(townhall) == before


async def test_a_hashtag_message_in_a_bound_group_becomes_an_idea(chat: Chat, api: FakeBotAPI) -> None:
    invitation = await chat.start_parks()
    assert "Open invitation: #parks" in invitation["text"]
    other_bot = user(7300000001, "Echo", "echo_bot") | {"is_bot": True}
    await api.push(message_update("Buy cheap stuff #parks", other_bot, GROUP))
    (confirmation,) = await chat.say("Plant shade trees #parks")
    assert confirmation["chat_id"] == GROUP["id"]
    assert "Idea i1 recorded in #parks" in confirmation["text"]


async def test_html_written_by_a_resident_shows_literally(chat: Chat) -> None:
    await chat.start_parks()
    await chat.say("<b>Benches</b> & <i>shade</i> #parks")
    (listing,) = await chat.say("/ideas")
    assert "<b>Benches</b> & <i>shade</i> #parks" in listing["text"]
    assert "parse_mode" not in listing


async def test_a_reply_over_4096_characters_is_split_and_keeps_its_button_last(chat: Chat) -> None:
    challenge = " ".join(["How can our parks welcome every neighbour, young and old?"] * 70)
    command = f"/campaign #parks Better parks | {challenge}"
    assert len(command) <= 4096  # what a Telegram user can send
    await chat.say(command, sender=FRAN)
    first, second = await chat.say("/invite #parks", sender=FRAN, replies=2)
    assert len(first["text"]) <= 4096 and len(second["text"]) <= 4096
    assert len(first["text"]) + len(second["text"]) > 4096
    assert "reply_markup" not in first
    assert [button["text"] for button in buttons(second)] == ["Join #parks"]
    assert "https://t.me/townhall_test_bot?start=" in second["text"]


async def test_the_invitation_carries_a_deep_link_that_joins_in_a_private_chat(chat: Chat) -> None:
    invitation = await chat.start_parks()
    (join,) = buttons(invitation)
    link = re.search(r"https://t\.me/townhall_test_bot\?start=([\w-]+)", invitation["text"])
    assert link is not None and link.group(1) == join["callback_data"]

    (welcome,) = await chat.say(f"/start {link.group(1)}", sender=BASILE, chat=private(BASILE))
    assert welcome["chat_id"] == BASILE["id"]
    assert "Bienvenue" in welcome["text"] and "#parks" in welcome["text"]


async def test_start_without_a_payload_shows_help(chat: Chat) -> None:
    (answer,) = await chat.say("/start", chat=private(ALICE))
    assert "/idea" in answer["text"] and "/ideas" in answer["text"]


async def test_a_button_press_is_answered_and_survives_a_restart(
    api: FakeBotAPI, database_url: str, tmp_path: Path
) -> None:
    async with running(api, database_url, tmp_path):
        invitation = await Chat(api).start_parks()
    (join,) = buttons(invitation)
    async with running(api, database_url, tmp_path) as townhall:
        chat = Chat(api)
        (welcome,) = await chat.press(join["callback_data"])
        assert "Welcome to #parks" in welcome["text"]
        assert len(api.calls_to("answerCallbackQuery")) == 1
        assert len(rows(townhall, Membership)) == 1


async def test_a_stale_button_gets_a_polite_answer(chat: Chat, api: FakeBotAPI) -> None:
    (answer,) = await chat.press("gone-token-1")
    assert "This button has expired" in answer["text"]
    assert len(api.calls_to("answerCallbackQuery")) == 1


async def test_flood_control_is_retried_through_the_outbox(
    api: FakeBotAPI, database_url: str, tmp_path: Path
) -> None:
    async with running(api, database_url, tmp_path) as townhall:
        api.fail_next("sendMessage", "error_429")
        (answer,) = await Chat(api).say("/campaigns")
        assert "no campaign yet" in answer["text"]
        assert len(api.calls_to("sendMessage")) == 2
        await api.wait_until(lambda: rows(townhall, OutboxMessage)[0].status == "sent")
        assert rows(townhall, OutboxMessage)[0].attempts == 2


async def test_after_losing_telegram_for_a_while_polling_and_delivery_resume_and_lose_nothing(
    api: FakeBotAPI, database_url: str, tmp_path: Path
) -> None:
    async with running(api, database_url, tmp_path) as townhall:
        chat = Chat(api)
        await chat.start_parks()
        await api.go_down()
        with Session(townhall.database.engine) as session:  # a message due while Telegram is unreachable
            townhall.core.outbox.enqueue(
                session, Address("telegram", str(GROUP["id"])), Outgoing("Still here")
            )
            session.commit()
        townhall.delivery.wake()
        await api.push(message_update("Benches by the pond #parks", ALICE, GROUP))
        await api.wait_until(lambda: any(row.attempts for row in rows(townhall, OutboxMessage)))
        await api.come_back()
        await api.wait_until(
            lambda: len([m for m in api.messages() if "recorded in #parks" in m["text"]]) == 1
        )
        await api.wait_until(lambda: all(row.status == "sent" for row in rows(townhall, OutboxMessage)))
        assert [message["text"] for message in api.messages()].count("Still here") == 1
        assert [idea.text for idea in rows(townhall, Idea)] == ["Benches by the pond #parks"]


@pytest.mark.parametrize("error", ["error_403", "error_400_chat_not_found"])
async def test_a_chat_that_refuses_messages_fails_them_without_retrying(
    api: FakeBotAPI, database_url: str, tmp_path: Path, error: str
) -> None:
    async with running(api, database_url, tmp_path) as townhall:
        api.fail_next("sendMessage", error)
        await api.push(message_update("/help", ALICE, private(ALICE)))
        await api.wait_until(lambda: [row for row in rows(townhall, OutboxMessage) if row.status == "failed"])
        (row,) = rows(townhall, OutboxMessage)
        assert row.attempts == 1
        assert fixture(error)["description"].lower().endswith((row.last_error or "?").lower())


async def test_the_telegram_language_is_the_new_members_language(chat: Chat) -> None:
    (answer,) = await chat.say("/help", sender=BASILE, chat=private(BASILE))
    assert "Commandes" in answer["text"] or "commandes" in answer["text"]


async def test_commands_for_another_bot_are_ignored(chat: Chat, api: FakeBotAPI) -> None:
    await api.push(message_update("/help@some_other_bot", ALICE, GROUP))
    (answer,) = await chat.say("/help@townhall_test_bot")
    assert len(api.messages()) == 1 and "/ideas" in answer["text"]


async def test_a_group_where_the_bot_sees_only_commands_is_told_once(
    database_url: str, tmp_path: Path
) -> None:
    me = fixture("getMe")["result"] | {"can_read_all_group_messages": False}
    api = await FakeBotAPI(me=me).start()
    try:
        async with running(api, database_url, tmp_path):
            answer, notice = await Chat(api).say("/campaigns", replies=2)
            assert "I can only see commands here" in notice["text"]
            await Chat(api).say("/campaigns")
        async with running(api, database_url, tmp_path) as townhall:
            await Chat(api).say("/campaigns")
            await Chat(api).say("/help", chat=private(ALICE))
            assert len(rows(townhall, ChatNotice)) == 1
        assert sum("I can only see commands" in message["text"] for message in api.messages()) == 1
    finally:
        await api.stop()


@pytest.mark.parametrize(
    ("option", "method", "name", "content"),
    [
        ("image_path", "sendPhoto", "themes.png", b"\x89PNG\r\n\x1a\n" + b"\0" * 64),
        ("file_path", "sendDocument", "parks-20301028-120000.zip", b"PK\x05\x06" + b"\0" * 18),
    ],
)
async def test_images_go_as_photos_and_files_as_documents_with_captions_that_fit(
    api: FakeBotAPI, database_url: str, tmp_path: Path, option: str, method: str, name: str, content: bytes
) -> None:
    attachment = tmp_path / name
    attachment.write_bytes(content)
    address = Address("telegram", str(GROUP["id"]))
    async with running(api, database_url, tmp_path) as townhall:
        with townhall.database.session() as session:
            for text in ("Themes in #parks", "x" * 2000):
                townhall.core.outbox.enqueue(session, address, Outgoing(text, **{option: str(attachment)}))
        townhall.delivery.wake()
        await api.wait_until(lambda: len(api.calls_to(method)) == 2)
    short, long = api.calls_to(method)
    field = "photo" if method == "sendPhoto" else "document"
    assert short["caption"] == "Themes in #parks" and short[field] == content
    assert "caption" not in long
    assert api.calls_to("sendMessage")[0]["text"] == "x" * 2000


async def test_webhook_mode_refuses_updates_without_the_secret(
    api: FakeBotAPI, database_url: str, tmp_path: Path
) -> None:
    port = free_port()
    webhook = "https://townhall.example.org/telegram/updates"
    async with running(
        api,
        database_url,
        tmp_path,
        telegram_webhook_url=webhook,
        telegram_webhook_port=port,
        telegram_webhook_secret="parks-secret_42-webhook",
    ):
        (registered,) = api.calls_to("setWebhook")
        assert registered["url"] == webhook and registered["secret_token"] == "parks-secret_42-webhook"
        assert api.calls_to("getUpdates") == []
        update = message_update("/help", ALICE, private(ALICE))
        update["update_id"] = 900
        endpoint = f"http://127.0.0.1:{port}/telegram/updates"
        async with aiohttp.ClientSession() as client:
            for headers in ({}, {"X-Telegram-Bot-Api-Secret-Token": "wrong"}):
                async with client.post(endpoint, json=update, headers=headers) as response:
                    assert response.status == 403
            secret = {"X-Telegram-Bot-Api-Secret-Token": "parks-secret_42-webhook"}
            async with client.post(endpoint, json=update, headers=secret) as response:
                assert response.status == 200
        (answer,) = await api.wait_for_messages(1)
        assert answer["chat_id"] == ALICE["id"] and "/ideas" in answer["text"]
        assert len(api.messages()) == 1


async def test_a_redelivered_group_message_is_recorded_once(chat: Chat, api: FakeBotAPI) -> None:
    await chat.start_parks()
    update = message_update("Plant shade trees #parks", ALICE, GROUP, message_id=77)
    await chat.push(update, 1)
    (again,) = await chat.push(update, 1)
    assert "already recorded" in again["text"]


async def test_editing_a_message_updates_the_idea_it_recorded(chat: Chat, api: FakeBotAPI) -> None:
    await chat.start_parks()
    await chat.push(message_update("Plant trees #parks", ALICE, GROUP, message_id=80), 1)
    edit = message_update("Plant shade trees along the river path #parks", ALICE, GROUP, 80, "edited_message")
    (answer,) = await chat.push(edit, 1)
    assert answer["text"] == "Idea i1 updated."
    (listing,) = await chat.say("/ideas")
    assert "Plant shade trees along the river path #parks" in listing["text"]
    assert "Plant trees #parks" not in listing["text"]


async def test_a_group_upgraded_to_a_supergroup_keeps_its_campaign(
    api: FakeBotAPI, database_url: str, tmp_path: Path
) -> None:
    old = {"id": -4100000001, "title": "Parks neighbours", "type": "group"}
    new = json.loads((RECORDED / "message_migrate_from_chat_id.json").read_text(encoding="utf-8"))
    new_id = new["message"]["chat"]["id"]
    async with running(api, database_url, tmp_path) as townhall:
        chat = Chat(api)
        await chat.say(CAMPAIGN, sender=FRAN, chat=old)
        await chat.say("/invite", sender=FRAN, chat=old)
        api.fail_next("sendMessage", "error_400_migrated")
        (confirmation,) = await chat.say("Plant shade trees #parks", chat=old)
        assert confirmation["chat_id"] == new_id and "Idea i1 recorded" in confirmation["text"]

        await api.push(new)
        await api.wait_until(lambda: rows(townhall, ChatBinding)[0].chat_id == str(new_id))
        (listing,) = await chat.say("/ideas", chat=new["message"]["chat"])
        assert listing["chat_id"] == new_id and "Plant shade trees" in listing["text"]
        assert [idea.text for idea in rows(townhall, Idea)] == ["Plant shade trees #parks"]


async def test_a_private_answer_asked_for_in_a_group_goes_to_the_persons_own_chat(chat: Chat) -> None:
    (answer,) = await chat.say("/me", sender=BASILE)
    assert answer["chat_id"] == BASILE["id"]
    assert "basile_b" in answer["text"]
    assert chat.api.messages(GROUP["id"]) == []


async def test_someone_who_never_started_the_bot_is_pointed_to_it_in_the_group(
    api: FakeBotAPI, database_url: str, tmp_path: Path
) -> None:
    async with running(api, database_url, tmp_path) as townhall:
        api.fail_next("sendMessage", "error_403")
        asked = message_update("/me", ALICE, GROUP, message_id=91)
        (pointer,) = await Chat(api).push(asked, 1)
        assert pointer["chat_id"] == GROUP["id"]
        assert "https://t.me/townhall_test_bot" in pointer["text"]
        assert pointer["reply_parameters"]["message_id"] == 91
        assert "alice_m" not in pointer["text"]
        refused = api.calls_to("sendMessage", chat_id=ALICE["id"])
        assert len(refused) == 1 and "alice_m" in refused[0]["text"]
        await api.wait_until(lambda: rows(townhall, OutboxMessage)[0].status == "failed")
        assert "blocked" in (rows(townhall, OutboxMessage)[0].last_error or "")


@pytest.mark.parametrize(
    "variable, value",
    [("TELEGRAM_WEBHOOK_SECRET", "not secret!"), ("TELEGRAM_API_BASE_URL", "api.telegram.org")],
)
def test_bad_telegram_settings_name_the_variable(variable: str, value: str) -> None:
    from bot.settings import SettingsError, load_settings

    with pytest.raises(SettingsError, match=variable):
        load_settings(_env_file=None, **{variable.lower(): value})


async def test_a_group_past_20_messages_a_minute_waits_without_holding_up_other_chats(
    api: FakeBotAPI, database_url: str, tmp_path: Path
) -> None:
    group_address = Address("telegram", str(GROUP["id"]))
    private_address = Address("telegram", str(ALICE["id"]))
    async with running(api, database_url, tmp_path) as townhall:
        with townhall.database.session() as session:
            for n in range(21):
                townhall.core.outbox.enqueue(session, group_address, Outgoing(f"Group news {n}"))
            townhall.core.outbox.enqueue(session, private_address, Outgoing("Just for you"))
        townhall.delivery.wake()
        await api.wait_until(lambda: len(api.messages()) == 21)

        def settled() -> bool:  # one send each: 21 confirmed, the group's 21st deferred
            states = sorted((row.status, row.attempts) for row in rows(townhall, OutboxMessage))
            return states == [("pending", 1)] + [("sent", 1)] * 21

        await api.wait_until(settled)
        assert [m["text"] for m in api.messages(ALICE["id"])] == ["Just for you"]
        assert len(api.messages(GROUP["id"])) == 20
        (waiting,) = [row for row in rows(townhall, OutboxMessage) if row.status == "pending"]
        assert waiting.payload["text"] == "Group news 20"
        assert (waiting.next_attempt_at - waiting.created_at).total_seconds() > 50
