"""A Discord-compatible REST API and gateway on 127.0.0.1, for the real discord.py client in tests.

The gateway says HELLO, answers IDENTIFY with READY and GUILD_CREATE and RESUME with a replay of what
the client missed, then dispatches the events a test pushes. Shards are kept as Discord keeps them: a
connection that identifies as shard `[i, n]` gets the servers whose `(id >> 22) % n` is `i`, and their
events; direct messages go to shard 0 alone; a connection that names no shard is shard 0 of 1. The REST side records every request and
answers like Discord, from the payloads in `bot/testing/fixtures/discord/` (named after the event or method).
"""

from __future__ import annotations

import asyncio
import copy
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiohttp import WSMsgType, web

FIXTURES = Path(__file__).parent / "fixtures" / "discord"
JSON = "application/json"  # exactly: with "; charset=utf-8" discord.py reads a string and fails

BOT_ID = "1100000000000000001"
APPLICATION_ID = BOT_ID
GUILD_ID = "1200000000000000001"
CHANNEL_ID = "1300000000000000001"
THREAD_ID = "1310000000000000001"
"""A thread in the channel."""
ALICE = "1500000000000000002"
FRAN = "1500000000000000003"
DM_CHANNEL_ID = "1900000000000000001"

MESSAGE_CONTENT_INTENT = 1 << 15
APPLICATION_FLAG_MESSAGE_CONTENT_LIMITED = 1 << 19
EPHEMERAL = 1 << 6


def fixture(name: str) -> dict[str, Any]:
    """A fresh copy of a recorded payload."""
    return json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))


def guild_create(guild_id: str, channel_id: str, name: str) -> dict[str, Any]:
    """A GUILD_CREATE for another server with one text channel (and no thread)."""
    guild = fixture("GUILD_CREATE")
    guild.update(id=guild_id, name=name, threads=[], system_channel_id=channel_id)
    guild["channels"] = [dict(guild["channels"][0], id=channel_id, guild_id=guild_id)]
    return guild


def shard_of(guild_id: str | None, shard_count: int) -> int:
    """The shard Discord sends a server's events to; direct messages (no server) go to shard 0."""
    return 0 if guild_id is None else (int(guild_id) >> 22) % shard_count


def user(user_id: str, name: str) -> dict[str, Any]:
    return {
        "id": user_id,
        "username": name,
        "global_name": name.title(),
        "discriminator": "0",
        "avatar": None,
    }


DISCORD_EPOCH_MS = 1_420_070_400_000
_last_id = 0


def next_snowflake() -> str:
    """A fresh id made as Discord makes its snowflakes, from the time now, so that reading a channel on
    from a moment (`history(after=datetime)`) finds exactly the messages sent after it."""
    global _last_id
    _last_id = max(_last_id + 1, (int(time.time() * 1000) - DISCORD_EPOCH_MS) << 22)
    return str(_last_id)


def message_create(content: str, author: str = ALICE, name: str = "alice", **changes: Any) -> dict[str, Any]:
    """A MESSAGE_CREATE in the guild's channel, with a fresh id unless given one."""
    payload = fixture("MESSAGE_CREATE")
    payload.update(id=next_snowflake(), content=content, author=user(author, name))
    payload.update(changes)
    return payload


def command(name: str, user_id: str = ALICE, user_name: str = "alice", **options: Any) -> dict[str, Any]:
    """An INTERACTION_CREATE for the slash command `/name` with string or integer options."""
    payload = fixture("INTERACTION_CREATE.command")
    interaction_id = next_snowflake()
    payload.update(id=interaction_id, token=f"token-{interaction_id}")
    payload["member"]["user"] = user(user_id, user_name)
    payload["data"]["name"] = name
    payload["data"]["options"] = [
        {"name": key, "type": 4 if isinstance(value, int) else 3, "value": value}
        for key, value in options.items()
    ]
    return payload


def press(custom_id: str, user_id: str = ALICE, user_name: str = "alice") -> dict[str, Any]:
    """An INTERACTION_CREATE for a press on the button `custom_id`."""
    payload = fixture("INTERACTION_CREATE.component")
    interaction_id = next_snowflake()
    payload.update(id=interaction_id, token=f"token-{interaction_id}")
    payload["member"]["user"] = user(user_id, user_name)
    payload["data"]["custom_id"] = custom_id
    payload["message"]["components"][0]["components"][0]["custom_id"] = custom_id
    return payload


@dataclass
class Call:
    """One REST request the client made."""

    method: str
    path: str
    body: Any

    @property
    def content(self) -> str:
        return (self.body or {}).get("content") or "" if isinstance(self.body, dict) else ""

    @property
    def flags(self) -> int:
        return (self.body or {}).get("flags") or 0 if isinstance(self.body, dict) else 0

    def custom_ids(self) -> list[str]:
        rows = (self.body or {}).get("components") or [] if isinstance(self.body, dict) else []
        return [component["custom_id"] for row in rows for component in row.get("components", [])]


@dataclass
class FakeDiscord:
    """Start with `async with FakeDiscord() as discord:`; read `calls`, push with `dispatch`."""

    grant_message_content: bool = True
    forbid_direct_messages: bool = False
    claim_message_content: bool | None = None
    """What the application's flags say about the intent, when they disagree with the gateway."""
    valid_token: str | None = None
    """When set, any other bot token is refused with 401, as Discord does."""
    expire_interactions: bool = False
    """Answer every interaction callback 404 Unknown interaction, as Discord does after 3 seconds."""
    calls: list[Call] = field(default_factory=list)
    identifies: list[dict[str, Any]] = field(default_factory=list)
    resumes: int = 0
    port: int = 0

    def __post_init__(self) -> None:
        self.guilds: list[dict[str, Any]] = [fixture("GUILD_CREATE")]
        """The servers the bot is in (add with `guild_create`), each sent to its shard at IDENTIFY."""
        self.shard_count = 1
        """As the last IDENTIFY said."""
        self._events: dict[int, list[tuple[int, str, dict[str, Any]]]] = {}
        """Per shard, what its session was sent, for a RESUME to replay."""
        self.history: dict[str, list[dict[str, Any]]] = {}
        """Every MESSAGE_CREATE dispatched, per channel, for the messages endpoint to read back."""
        self._sockets: dict[int, web.WebSocketResponse] = {}
        self._connected: dict[int, asyncio.Event] = {}
        self._changed = asyncio.Event()
        self._runner: web.AppRunner | None = None

    @property
    def api_base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/v10"

    @property
    def gateway_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/gateway"

    async def __aenter__(self) -> FakeDiscord:
        app = web.Application()
        app.router.add_get("/gateway", self._gateway)
        app.router.add_route("*", "/api/v10/{path:.*}", self._rest)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        for socket in list(self._sockets.values()):
            await socket.close()
        if self._runner is not None:
            await self._runner.cleanup()

    # Gateway

    def connected(self, shard: int) -> asyncio.Event:
        return self._connected.setdefault(shard, asyncio.Event())

    async def dispatch(self, event: str, data: dict[str, Any]) -> None:
        """Send an event to the session of its server's shard (remembered, so that a RESUME replays it)."""
        if event == "MESSAGE_CREATE":
            self.history.setdefault(data["channel_id"], []).append(data)
        shard = shard_of(data.get("guild_id"), self.shard_count)
        await self.connected(shard).wait()
        events = self._events.setdefault(shard, [])
        sequence = len(events) + 1
        events.append((sequence, event, data))
        await self._sockets[shard].send_json({"op": 0, "s": sequence, "t": event, "d": data})

    async def drop_connection(self, shard: int = 0) -> None:
        """Close a gateway connection as Discord does before a resume (close code 4000)."""
        self.connected(shard).clear()
        await self._sockets[shard].close(code=4000, message=b"Unknown error")

    async def _gateway(self, request: web.Request) -> web.WebSocketResponse:
        socket = web.WebSocketResponse()
        await socket.prepare(request)
        await socket.send_json({"op": 10, "d": {"heartbeat_interval": 41250}, "s": None, "t": None})
        shard: int | None = None
        async for message in socket:
            if message.type is not WSMsgType.TEXT:
                break
            payload = json.loads(message.data)
            if payload["op"] == 1:
                await socket.send_json({"op": 11, "d": None, "s": None, "t": None})
            elif payload["op"] == 2:
                shard = await self._identify(socket, payload["d"])
            elif payload["op"] == 6:
                shard = await self._resume(socket, payload["d"])
        if shard is not None and self._sockets.get(shard) is socket:
            self.connected(shard).clear()  # the client went away: later events wait for the next session
        return socket

    def _session_id(self, shard: int) -> str:
        return f"{fixture('READY')['session_id']}{shard or ''}"

    async def _identify(self, socket: web.WebSocketResponse, data: dict[str, Any]) -> int | None:
        self.identifies.append(data)
        if data["intents"] & MESSAGE_CONTENT_INTENT and not self.grant_message_content:
            await socket.close(code=4014, message=b"Disallowed intent(s).")
            return None
        shard, self.shard_count = data.get("shard") or (0, 1)
        ready = fixture("READY")
        ready["resume_gateway_url"] = self.gateway_url
        ready["application"]["flags"] = self._application_flags()
        ready["session_id"] = self._session_id(shard)
        if "shard" in data:
            ready["shard"] = [shard, self.shard_count]
        served = [guild for guild in self.guilds if shard_of(guild["id"], self.shard_count) == shard]
        ready["guilds"] = [{"unavailable": True, "id": guild["id"]} for guild in served]
        self._events[shard] = [(1, "READY", ready)]
        self._sockets[shard] = socket
        await socket.send_json({"op": 0, "s": 1, "t": "READY", "d": ready})
        self.connected(shard).set()
        for guild in served:
            await self.dispatch("GUILD_CREATE", copy.deepcopy(guild))
        return shard

    async def _resume(self, socket: web.WebSocketResponse, data: dict[str, Any]) -> int:
        self.resumes += 1
        (shard,) = [shard for shard in self._events if self._session_id(shard) == data.get("session_id")]
        self._sockets[shard] = socket
        events = self._events[shard]
        for sequence, event, payload in list(events):
            if sequence > (data.get("seq") or 0) - 1:  # Discord replays from the last one not acknowledged
                await socket.send_json({"op": 0, "s": sequence, "t": event, "d": payload})
        events.append((len(events) + 1, "RESUMED", {}))
        await socket.send_json({"op": 0, "s": len(events), "t": "RESUMED", "d": {}})
        self.connected(shard).set()
        return shard

    def _application_flags(self) -> int:
        claimed = (
            self.grant_message_content if self.claim_message_content is None else self.claim_message_content
        )
        return APPLICATION_FLAG_MESSAGE_CONTENT_LIMITED if claimed else 0

    # REST

    async def wait_for(self, predicate: Callable[[Call], bool], timeout: float = 15.0) -> Call:
        """The first recorded call matching `predicate`, waiting for it if need be."""

        async def first() -> Call:
            while True:
                for call in self.calls:
                    if predicate(call):
                        return call
                self._changed.clear()
                await self._changed.wait()

        return await asyncio.wait_for(first(), timeout)

    def messages(self, path_part: str = "") -> list[Call]:
        """Calls that posted or edited a message (channel, webhook or interaction), in order."""
        return [
            call
            for call in self.calls
            if call.method in ("POST", "PATCH")
            and "/callback" not in call.path
            and path_part in call.path
            and "content" in (call.body or {})
        ]

    async def _rest(self, request: web.Request) -> web.StreamResponse:
        path = "/" + request.match_info["path"]
        if self.valid_token is not None and request.headers.get("Authorization") != f"Bot {self.valid_token}":
            return self._json({"message": "401: Unauthorized", "code": 0}, status=401)
        body = await self._body(request)
        self.calls.append(Call(request.method, path, body))
        self._changed.set()
        parts = path.strip("/").split("/")
        if request.method == "GET" and path == "/users/@me":
            return self._json(fixture("get_current_user"))
        if request.method == "GET" and path == "/oauth2/applications/@me":
            application = fixture("get_current_application")
            application["flags"] = self._application_flags()
            return self._json(application)
        if request.method == "POST" and path == "/users/@me/channels":
            recipient = body["recipient_id"]
            return self._json({"id": DM_CHANNEL_ID, "type": 1, "recipients": [user(recipient, "alice")]})
        if parts[0] == "channels" and len(parts) == 2 and request.method == "GET":
            return self._channel(parts[1])
        if parts[0] == "channels" and parts[-1] == "messages" and request.method == "GET":
            return self._json(self._read_history(parts[1], request.query))
        if parts[0] == "channels" and parts[-1] == "messages" and request.method == "POST":
            if parts[1] == DM_CHANNEL_ID and self.forbid_direct_messages:
                return self._json({"message": "Cannot send messages to this user", "code": 50007}, status=403)
            return self._json(self._message(parts[1], body))
        if parts[0] == "interactions" and parts[-1] == "callback" and self.expire_interactions:
            return self._json({"message": "Unknown interaction", "code": 10062}, status=404)
        if parts[0] == "interactions" and parts[-1] == "callback":
            kind = body["type"]
            return self._json(
                {"interaction": {"id": parts[1], "type": 2, "response_message_loading": kind == 5}}
            )
        if parts[0] == "webhooks" and request.method == "DELETE":
            return web.Response(status=204)
        if parts[0] == "webhooks":
            return self._json(self._message(CHANNEL_ID, body))
        if parts[0] == "applications" and request.method == "PUT":
            return self._json(
                [dict(command, id=next_snowflake(), application_id=APPLICATION_ID) for command in body]
            )
        return self._json({"message": "404: Not Found", "code": 0}, status=404)

    def _channel(self, channel_id: str) -> web.Response:
        for guild in self.guilds:
            for channel in guild["channels"] + guild["threads"]:
                if channel["id"] == channel_id:
                    return self._json(dict(channel, guild_id=guild["id"]))
        if channel_id == DM_CHANNEL_ID:
            return self._json({"id": DM_CHANNEL_ID, "type": 1, "recipients": [user(ALICE, "alice")]})
        return self._json({"message": "Unknown Channel", "code": 10003}, status=404)

    def _read_history(self, channel_id: str, query: Any) -> list[dict[str, Any]]:
        """Discord's answer to `?after=ID&limit=N`: the N messages right after ID, newest first."""
        after = int(query.get("after", 0))
        limit = int(query.get("limit", 50))
        later = sorted(
            (message for message in self.history.get(channel_id, ()) if int(message["id"]) > after),
            key=lambda message: int(message["id"]),
        )
        return list(reversed(later[:limit]))

    @staticmethod
    async def _body(request: web.Request) -> Any:
        if request.content_type == "multipart/form-data":
            body: dict[str, Any] = {"files": []}
            reader = await request.multipart()
            async for part in reader:
                if part.name == "payload_json":  # type: ignore[union-attr]
                    body.update(json.loads(await part.text()))  # type: ignore[union-attr]
                else:
                    body["files"].append(part.filename)  # type: ignore[union-attr]
            return body
        if request.can_read_body:
            return await request.json()
        return None

    @staticmethod
    def _message(channel_id: str, body: dict[str, Any]) -> dict[str, Any]:
        message = fixture("MESSAGE_CREATE")
        message.pop("member")
        message.update(
            id=next_snowflake(),
            channel_id=channel_id,
            content=body.get("content") or "",
            author=fixture("get_current_user"),
            components=copy.deepcopy(body.get("components") or []),
            flags=body.get("flags") or 0,
        )
        return message

    @staticmethod
    def _json(data: Any, status: int = 200) -> web.Response:
        return web.Response(body=json.dumps(data).encode(), status=status, headers={"Content-Type": JSON})
