"""A Bot API server on 127.0.0.1 for tests, and Telegram-shaped updates built from recorded payloads.

The real python-telegram-bot talks to it over HTTP (`POST /bot{token}/{method}`): it answers getMe,
deleteWebhook, setWebhook, setMyCommands, getUpdates (long polling over a queue the test fills),
sendMessage, sendPhoto, sendDocument and answerCallbackQuery, records every call, and can be told to answer the next
call to a method with a recorded error (429 with retry_after, 403, 400).
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import itertools
import json
import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from aiohttp import web

FIXTURES = Path(__file__).parent / "fixtures" / "telegram"
TOKEN = "7100000001:AAFakeTokenForTestsOnly_0123456789ab"
LONG_POLL_CAP_SECONDS = 0.1
"""getUpdates holds an empty answer at most this long, so stopping the bot is quick."""
WAIT_SECONDS = 15.0
JSON_FIELDS = {
    "reply_markup",
    "reply_parameters",
    "commands",
    "allowed_updates",
    "chat_id",
    "offset",
    "timeout",
    "limit",
}
"""Parameters python-telegram-bot sends JSON-encoded; every other one is a plain string."""
MENTION = re.compile(r"(?<![\w/])@\w+")
"""An @username in a message's text, not a command's @bot suffix."""


def fixture(name: str) -> dict[str, Any]:
    """A recorded payload (a copy, free to change)."""
    return json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))


def user(user_id: int, first_name: str, username: str | None = None, language: str = "en") -> dict:
    person = copy.deepcopy(fixture("message")["message"]["from"])
    person.update(id=user_id, first_name=first_name, language_code=language)
    person.pop("last_name", None)
    if username is None:
        person.pop("username", None)
    else:
        person["username"] = username
    return person


def group(chat_id: int = -1002100000001, title: str = "Parks neighbours") -> dict:
    return {"id": chat_id, "title": title, "type": "supergroup"}


def private(person: dict) -> dict:
    return {"id": person["id"], "first_name": person["first_name"], "type": "private"}


class FakeBotAPI:
    """The fake server; `url` is what TELEGRAM_API_BASE_URL should be set to."""

    def __init__(self, me: dict | None = None) -> None:
        self.me = me or fixture("getMe")["result"]
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self._updates: list[dict] = []
        self._update_ids = itertools.count(815342001)
        self._message_ids = itertools.count(1001)
        self._chats: dict[int, dict] = {}
        self._failures: dict[str, list[dict]] = {}
        self._changed = asyncio.Condition()
        self._runner: web.AppRunner | None = None
        self.url = ""

    async def start(self, port: int = 0) -> FakeBotAPI:
        app = web.Application()
        app.router.add_post("/bot{token}/{method}", self._call)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", port)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{port}"
        return self

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def go_down(self) -> None:
        """Close every connection and stop listening, as when the network between bot and Telegram fails;
        updates pushed meanwhile wait, as Telegram keeps them."""
        await self.stop()

    async def come_back(self) -> None:
        """Listen again on the same address."""
        await self.start(int(self.url.rsplit(":", 1)[1]))

    # What the test does

    async def push(self, update: dict) -> dict:
        """Queue an update for getUpdates; returns it with its update_id."""
        update = copy.deepcopy(update)
        update["update_id"] = next(self._update_ids)
        for key in ("message", "edited_message", "callback_query"):
            if key in update:
                chat = (update[key].get("message") or update[key]).get("chat")
                if chat:
                    self._chats[chat["id"]] = chat
        async with self._changed:
            self._updates.append(update)
            self._changed.notify_all()
        return update

    def fail_next(self, method: str, error: str) -> None:
        """Answer the next call to `method` with the recorded error payload `error` (e.g. "error_429")."""
        self._failures.setdefault(method, []).append(fixture(error))

    def calls_to(self, method: str, **where: Any) -> list[dict[str, Any]]:
        return [
            params
            for name, params in self.calls
            if name == method and all(params.get(key) == value for key, value in where.items())
        ]

    def messages(self, chat_id: int | None = None) -> list[dict[str, Any]]:
        """sendMessage, sendPhoto and sendDocument calls that were answered ok, oldest first."""
        return [
            params
            for name, params in self.calls
            if name in ("sendMessage", "sendPhoto", "sendDocument")
            and params.get("_ok")
            and (chat_id is None or params.get("chat_id") == chat_id)
        ]

    async def wait_until(self, condition: Callable[[], Any], timeout: float = WAIT_SECONDS) -> Any:
        """Wait until `condition()` is truthy (re-checked after every call) and return its value."""
        async with self._changed:
            await asyncio.wait_for(self._changed.wait_for(condition), timeout)
        return condition()

    async def wait_for_messages(self, count: int, chat_id: int | None = None) -> list[dict[str, Any]]:
        return await self.wait_until(lambda: len(self.messages(chat_id)) >= count and self.messages(chat_id))

    # The Bot API

    async def _call(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        if request.match_info["token"] != TOKEN:
            return web.json_response(
                {"ok": False, "error_code": 401, "description": "Unauthorized"}, status=401
            )
        params = await self._params(request)
        if method == "getUpdates":
            await self._record(method, params)
            return web.json_response({"ok": True, "result": await self._get_updates(params)})
        failures = self._failures.get(method)
        if failures:
            error = failures.pop(0)
            await self._record(method, params)
            return web.json_response(error, status=error["error_code"])
        answer = self._answer(method, params)
        if answer is None:
            await self._record(method, params)
            return web.json_response({"ok": False, "error_code": 404, "description": "Not Found"}, status=404)
        params["_ok"] = True
        await self._record(method, params)
        return web.json_response({"ok": True, "result": answer})

    @staticmethod
    async def _params(request: web.Request) -> dict[str, Any]:
        params: dict[str, Any] = {}
        for key, value in (await request.post()).items():
            if isinstance(value, web.FileField):
                params[key] = value.file.read()
            elif key in JSON_FIELDS:
                params[key] = json.loads(value)
            else:
                params[key] = value
        return params

    async def _record(self, method: str, params: dict[str, Any]) -> None:
        params["_at"] = time.monotonic()  # when the call arrived, for benchmarks
        async with self._changed:
            self.calls.append((method, params))
            self._changed.notify_all()

    async def _get_updates(self, params: dict[str, Any]) -> list[dict]:
        offset = int(params.get("offset") or 0)
        timeout = min(float(params.get("timeout") or 0), LONG_POLL_CAP_SECONDS)
        async with self._changed:
            self._updates = [update for update in self._updates if update["update_id"] >= offset]
            if not self._updates and timeout:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._changed.wait_for(lambda: bool(self._updates)), timeout)
            return list(self._updates)

    def _answer(self, method: str, params: dict[str, Any]) -> Any:
        if method == "getMe":
            return self.me
        if method in ("deleteWebhook", "setWebhook", "setMyCommands", "answerCallbackQuery"):
            return True
        if method in ("sendMessage", "sendPhoto", "sendDocument"):
            message = fixture(method)["result"]
            chat_id = params["chat_id"]
            message.update(
                message_id=next(self._message_ids),
                chat=self._chats.get(chat_id, {"id": chat_id, "type": "private" if chat_id > 0 else "group"}),
            )
            message.pop("caption" if method == "sendMessage" else "text", None)
            if method == "sendMessage":
                message["text"] = params["text"]
            elif "caption" in params:
                message["caption"] = params["caption"]
            if "reply_markup" in params:
                message["reply_markup"] = params["reply_markup"]
            return message
        return None


def message_update(
    text: str,
    sender: dict,
    chat: dict,
    message_id: int | None = None,
    kind: str = "message",
    reply_to: dict | None = None,
) -> dict:
    """A message update (or, with kind="edited_message", an edit) shaped like the recorded one.

    Commands carry their bot_command entity and each `@username` a mention entity, as Telegram's clients
    send them; `reply_to` is the author of an earlier message in `chat` this one answers.
    """
    update = fixture(kind)
    message = update[kind]
    message.update({"from": sender, "chat": chat, "text": text})
    if message_id is not None:
        message["message_id"] = message_id
    message["entities"] = []
    if text.startswith("/"):
        message["entities"] = [{"offset": 0, "length": len(text.split()[0]), "type": "bot_command"}]
    message["entities"] += [
        {"offset": found.start(), "length": len(found.group()), "type": "mention"}
        for found in MENTION.finditer(text)
    ]
    if reply_to is not None:
        answered = fixture("message")["message"]
        answered.update({"from": reply_to, "chat": chat, "message_id": message["message_id"] - 1})
        message["reply_to_message"] = answered
    return update


_query_ids = itertools.count(2662871738521936416)


def callback_update(data: str, sender: dict, chat: dict) -> dict:
    """A press of the button carrying `data` under one of the bot's messages in `chat`."""
    update = fixture("callback_query")
    query = update["callback_query"]
    query.update({"from": sender, "data": data, "id": str(next(_query_ids))})
    query["message"]["chat"] = chat
    return update


def buttons(message: dict) -> list[dict]:
    """The inline keyboard buttons of a sendMessage call."""
    markup = message.get("reply_markup") or {}
    return [button for row in markup.get("inline_keyboard", ()) for button in row]
