"""The Discord adapter: discord.py's client inside Townhall's event loop.

Messages in channels, threads and direct messages become `Incoming` updates (their Discord id is the
`message_id`, so a message the gateway replays after a resume is recorded once). Slash commands and
button presses are interactions: each is deferred at once, well inside Discord's 3 seconds, then
answered through the interaction's webhook; private answers are ephemeral there, and direct messages
elsewhere. discord.py's own rate-limit handling stays in charge; what it gives up on is reported to the
outbox as transient or permanent.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, ClassVar

import aiohttp
import discord
import yarl
from discord import app_commands
from discord.gateway import DiscordWebSocket

from adapters.base import (
    Adapter,
    AdapterStartError,
    Address,
    Capabilities,
    ChatKind,
    DeliveryError,
    Incoming,
    IncomingHandler,
    Outgoing,
    PermanentDeliveryError,
    PlatformUser,
    Sender,
    TransientDeliveryError,
)
from adapters.discord import render
from adapters.discord.commands import CatalogueTranslator, add_commands
from facilitation.kernel.events import RecipientUnreachableError, stream_key
from facilitation.kernel.router import Command

log = logging.getLogger(__name__)

PLATFORM = "discord"

INTERACTION_TOKEN_LIFETIME_SECONDS = 14 * 60
"""Discord keeps an interaction's webhook for 15 minutes; after this, answers go to the channel."""
INTERACTION_HANDOFF_SECONDS = 10.0
"""With several processes, any may claim an answer from the outbox, but only the one that received the
interaction holds it: for this long after the interaction, another process leaves the answer to it
(the answer waits a second, and is tried again); after that, that process is gone, and the answer goes to
the channel, or privately by direct message."""

USER_MENTION = re.compile(r"<@!?(\d+)>")
"""How Discord writes a mention of a user inside text (a text field of a slash command keeps it so)."""

READY_TIMEOUT_SECONDS = 60.0
CATCH_UP_MESSAGES = 1000
"""At most this many messages are read again in a channel when a new gateway session starts."""
"""How long `start` waits for the gateway's READY before going on (discord.py keeps reconnecting)."""


@dataclass
class _LiveInteraction:
    """An interaction whose webhook can still carry answers."""

    interaction: discord.Interaction
    started: float
    original_pending: bool
    """A slash command's deferred "thinking…" message, to be replaced by the first public answer."""


def configure_endpoints(api_base_url: str, gateway_url: str) -> None:
    """Point discord.py's REST routes and first gateway connection at the configured URLs (process-wide)."""
    discord.http.Route.BASE = api_base_url.rstrip("/")
    DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(gateway_url)


def delivery_error(error: Exception, direct_message: bool = False) -> DeliveryError:
    """Discord's failures in the outbox's terms: retry later, give up, or tell the user elsewhere."""
    if isinstance(error, discord.RateLimited):
        return TransientDeliveryError(f"rate limited: {error}", retry_after=error.retry_after)
    if isinstance(error, discord.Forbidden):
        if direct_message:
            return RecipientUnreachableError(f"direct messages closed: {error}")
        return PermanentDeliveryError(f"forbidden: {error}")
    if isinstance(error, discord.NotFound):
        return PermanentDeliveryError(f"not found: {error}")
    if isinstance(error, discord.HTTPException):
        if error.status == 429 or error.status >= 500:
            return TransientDeliveryError(f"Discord answered {error.status}: {error}")
        return PermanentDeliveryError(f"Discord refused the message ({error.status}): {error}")
    return TransientDeliveryError(f"network error: {error!r}")


class TownhallClient(discord.AutoShardedClient):
    """discord.py's client with Townhall's slash commands, persistent buttons and message handler, on the
    adapter's shards (shard 0 of 1, every server, when the bot runs in one process)."""

    guild_ready_timeout: ClassVar[float] = 2.0
    """Seconds discord.py waits for further servers' data after READY before it is ready."""

    def __init__(self, adapter: DiscordAdapter, intents: discord.Intents) -> None:
        super().__init__(
            intents=intents,
            allowed_mentions=render.NO_PINGS,
            guild_ready_timeout=self.guild_ready_timeout,
            shard_count=adapter.shard_count,
            shard_ids=list(adapter.shard_ids),
        )
        self.adapter = adapter
        self.tree = app_commands.CommandTree(self)
        add_commands(self.tree, adapter.commands, adapter.on_command)

    async def setup_hook(self) -> None:
        await self.tree.set_translator(CatalogueTranslator())
        self.add_dynamic_items(render.TokenButton)

    async def on_message(self, message: discord.Message) -> None:
        await self.adapter.on_message(message)

    async def on_ready(self) -> None:
        """A new gateway session (at start, or when a resume failed) replays nothing: read on instead."""
        self.adapter.start_catching_up()


class DiscordAdapter(Adapter):
    """Townhall on Discord; one client, logged in with a bot token, beside the other adapters."""

    platform: ClassVar[str] = PLATFORM
    capabilities: ClassVar[Capabilities] = Capabilities(
        max_text_length=render.DISCORD_MESSAGE_LIMIT - render.MENTION_RESERVE,
        rendered_length=render.rendered_length,
        max_button_payload_bytes=render.CUSTOM_ID_LIMIT,
        max_buttons=render.BUTTONS_PER_MESSAGE,
    )

    def __init__(
        self,
        token: str,
        commands: Mapping[str, Command],
        api_base_url: str = "https://discord.com/api/v10",
        gateway_url: str = "wss://gateway.discord.gg/",
        shard_count: int = 1,
        shard_ids: Sequence[int] = (),
    ) -> None:
        """`shard_ids` (of `shard_count`) are the shards this process serves, all of them by default."""
        super().__init__()
        self.shard_count = shard_count
        self.shard_ids = tuple(shard_ids) or tuple(range(shard_count))
        self.token = token
        self.commands = dict(commands)
        self.api_base_url = api_base_url
        self.gateway_url = gateway_url
        self.client: TownhallClient | None = None
        self._on_incoming: IncomingHandler | None = None
        self._connection: asyncio.Task[None] | None = None
        self._interactions: dict[str, _LiveInteraction] = {}
        self._unacknowledged: set[str] = set()
        """Interactions received here that Discord no longer took: answered in the channel at once."""
        self._catching_up: asyncio.Task[None] | None = None

    @property
    def reads_messages(self) -> bool:
        """Whether Discord lets the bot read message content (the privileged message-content intent)."""
        return self.client is not None and self.client.intents.message_content

    async def login(self, message_content: bool | None = None) -> TownhallClient:
        """A logged-in client. Message content is asked for when the application's flags say Discord
        granted it (unless `message_content` decides)."""
        configure_endpoints(self.api_base_url, self.gateway_url)
        intents = discord.Intents.default()
        intents.message_content = message_content is not False
        client = TownhallClient(self, intents)
        try:
            await client.login(self.token)
        except discord.LoginFailure:
            await client.close()
            raise AdapterStartError(
                "DISCORD_BOT_TOKEN: Discord refused the token; copy it again from the Bot page"
            ) from None
        flags = client.application_flags
        if message_content is None and not (
            flags.gateway_message_content or flags.gateway_message_content_limited
        ):
            await client.close()
            return await self.login(message_content=False)
        if not intents.message_content:
            log.warning(
                "Discord has not granted the message-content intent: only slash commands work in channels"
            )
        return client

    async def start(self, on_incoming: IncomingHandler) -> None:
        self._on_incoming = on_incoming
        self.client = await self.login()
        try:
            await self._connect(self.client)
        except discord.PrivilegedIntentsRequired:  # the flags said yes, the gateway says no
            self.client = await self.login(message_content=False)
            await self._connect(self.client)
        log.info("discord connected user=%s reads_messages=%s", self.client.user, self.reads_messages)

    async def _connect(self, client: TownhallClient) -> None:
        """Open the gateway in a background task; return at READY, raise if the gateway refuses us."""
        connection = asyncio.create_task(client.connect(reconnect=True), name="discord-gateway")
        ready = asyncio.create_task(client.wait_until_ready())
        done, _pending = await asyncio.wait(
            {ready, connection}, timeout=READY_TIMEOUT_SECONDS, return_when=asyncio.FIRST_COMPLETED
        )
        ready.cancel()
        if connection in done:
            await client.close()
            connection.result()  # raises why the gateway refused us
        if not done:
            log.warning("no READY from the Discord gateway after %.0fs; still trying", READY_TIMEOUT_SECONDS)
        self._connection = connection
        connection.add_done_callback(self._connection_ended)

    def _connection_ended(self, task: asyncio.Task[None]) -> None:
        if not task.cancelled() and task.exception() is not None:
            log.error("the Discord gateway connection ended", exc_info=task.exception())
        self.finished.set()

    async def stop(self) -> None:
        if self._catching_up is not None:
            self._catching_up.cancel()
            await asyncio.gather(self._catching_up, return_exceptions=True)
        if self.client is not None:
            await self.client.close()
        if self._connection is not None:
            self._connection.cancel()
            await asyncio.gather(self._connection, return_exceptions=True)

    def start_catching_up(self) -> None:
        if self._catching_up is None or self._catching_up.done():
            self._catching_up = asyncio.create_task(self.catch_up(), name="discord-catch-up")

    async def catch_up(self) -> None:
        """Read each channel on from the last message handled there (or from when the bot began to follow
        it, if nothing was handled there yet), and hand the core what follows:
        messages a crashed process had received but not handled, or that came while no session was open.
        The core handles each message once, so those handled already change nothing. With shards, each
        process reads only the channels of its own shards' servers (and direct messages on shard 0)."""
        if self.resume_points is None or self.client is None:
            return
        client = self.client
        for channel_id, last in (await self.resume_points()).items():
            after = last if isinstance(last, datetime) else discord.Object(id=last)
            try:
                channel = client.get_channel(int(channel_id)) or await client.fetch_channel(int(channel_id))
                if not self.serves(channel):
                    continue  # the process of that server's shard reads it
                history = channel.history(after=after, oldest_first=True, limit=CATCH_UP_MESSAGES)  # type: ignore[union-attr]
                async for message in history:
                    await self.on_message(message)
            except (discord.HTTPException, aiohttp.ClientError, OSError) as error:
                log.warning("discord catch-up stopped channel=%s: %s", channel_id, error)

    def serves(self, channel: Any) -> bool:
        """Whether `channel` is read by this process: its server is on one of our shards (as Discord
        computes it), or it is a direct message, which Discord sends to shard 0 alone."""
        guild = getattr(channel, "guild", None)
        shard = 0 if guild is None else (guild.id >> 22) % self.shard_count
        return shard in self.shard_ids

    # Updates from Discord

    def _sender(self, user: discord.abc.User, locale: discord.Locale | None = None) -> Sender:
        """The account; its username is its handle when Discord keeps it unique (accounts without a
        #1234 discriminator), so that `@name` typed as text names them too."""
        return Sender(
            PLATFORM,
            str(user.id),
            display_name=user.display_name,
            language_hint=str(locale) if locale is not None else None,
            is_bot=user.bot,
            username=user.name if user.discriminator == "0" else None,
        )

    @staticmethod
    def _place(channel: Any, channel_id: int | None) -> tuple[str, str | None]:
        """(chat id, thread id): a thread belongs to its parent channel's chat, so bindings apply there."""
        if isinstance(channel, discord.Thread) and channel.parent_id is not None:
            return str(channel.parent_id), str(channel.id)
        return str(channel_id), None

    async def on_message(self, message: discord.Message) -> None:
        if message.author.bot or message.type not in (discord.MessageType.default, discord.MessageType.reply):
            return
        in_guild = message.guild is not None
        chat_id, thread_id = self._place(message.channel, message.channel.id)
        incoming = Incoming(
            sender=self._sender(message.author),
            address=Address(PLATFORM, chat_id, thread_id),
            chat_kind=ChatKind.GROUP if in_guild else ChatKind.PRIVATE,
            text=message.content,
            message_id=str(message.id),
            update_key=stream_key(str(message.channel.id), message.id),
            mentions=tuple(
                PlatformUser(str(user.id), user.display_name) for user in message.mentions if not user.bot
            ),
            reply_to=self._replied_to(message),
            sees_only_commands=in_guild and not self.reads_messages,
            raw=message,
        )
        await self._handle(incoming)

    @staticmethod
    def _replied_to(message: discord.Message) -> PlatformUser | None:
        """The author of the message this one replies to, when Discord sent it along (and not a bot)."""
        answered = message.reference.resolved if message.reference is not None else None
        if not isinstance(answered, discord.Message) or answered.author.bot:
            return None
        return PlatformUser(str(answered.author.id), answered.author.display_name)

    async def on_command(
        self, interaction: discord.Interaction, command: Command, values: dict[str, Any]
    ) -> None:
        """A slash command: acknowledge at once, then let the core answer through the interaction.

        A person chosen in a user field, or mentioned as `<@id>` in a text field, is passed by id."""
        acknowledged = await self._acknowledge(interaction, thinking=True)
        users = {name: value for name, value in values.items() if isinstance(value, discord.abc.User)}
        texts = {name: users[name].display_name if name in users else value for name, value in values.items()}
        written = [
            PlatformUser(found.group(1))
            for value in values.values()
            if isinstance(value, str)
            for found in USER_MENTION.finditer(value)
        ]
        incoming = self._interaction_incoming(
            interaction,
            command=command.name,
            args=command.arguments(texts),
            mentions=tuple(PlatformUser(str(user.id), user.display_name) for user in users.values())
            + tuple(written),
        )
        await self._answer(interaction, incoming, acknowledged)

    async def on_press(self, interaction: discord.Interaction, token: str) -> None:
        """A button press: acknowledge without changing the message, then let the core answer."""
        acknowledged = await self._acknowledge(interaction, thinking=False)
        await self._answer(
            interaction, self._interaction_incoming(interaction, button_token=token), acknowledged
        )

    @staticmethod
    async def _acknowledge(interaction: discord.Interaction, thinking: bool) -> bool:
        """Defer the interaction; False if Discord no longer takes it (then answers go to the channel)."""
        try:
            await interaction.response.defer(thinking=thinking)
        except (discord.HTTPException, aiohttp.ClientError, OSError, TimeoutError) as error:
            log.warning("interaction not acknowledged id=%s: %s", interaction.id, error)
            return False
        return True

    def _interaction_incoming(self, interaction: discord.Interaction, **fields: Any) -> Incoming:
        chat_id, thread_id = self._place(interaction.channel, interaction.channel_id)
        return Incoming(
            sender=self._sender(interaction.user, interaction.locale),
            address=Address(PLATFORM, chat_id, thread_id, reply_handle=str(interaction.id)),
            chat_kind=ChatKind.PRIVATE if interaction.guild_id is None else ChatKind.GROUP,
            message_id=str(interaction.id),
            update_key=f"interaction:{interaction.id}",
            raw=interaction,
            **fields,
        )

    async def _answer(self, interaction: discord.Interaction, incoming: Incoming, acknowledged: bool) -> None:
        """Handle an interaction's update; answers in the outbox go out through its webhook meanwhile.

        An interaction Discord refused to acknowledge is still handled (nothing a user sent is lost); its
        answers then go to the channel, or privately by direct message.
        """
        if not acknowledged:
            self._unacknowledged = {handle for handle in self._unacknowledged if received_lately(handle)}
            self._unacknowledged.add(str(interaction.id))
            await self._handle(incoming)
            return
        now = time.monotonic()
        for handle, live in list(self._interactions.items()):
            if now - live.started > INTERACTION_TOKEN_LIFETIME_SECONDS:
                del self._interactions[handle]
        live = _LiveInteraction(
            interaction, now, original_pending=interaction.type is discord.InteractionType.application_command
        )
        self._interactions[str(interaction.id)] = live
        await self._handle(incoming)
        if live.original_pending:  # every answer was private: remove the public "thinking…" message
            with contextlib.suppress(discord.HTTPException):
                await interaction.delete_original_response()
            live.original_pending = False

    async def _handle(self, incoming: Incoming) -> None:
        if self._on_incoming is None:
            return
        try:
            await self._on_incoming(incoming)
        except Exception:
            log.exception(
                "update not handled platform=discord chat=%s message=%s",
                incoming.address.chat_id,
                incoming.message_id,
            )

    # Messages to Discord

    async def send(self, address: Address, message: Outgoing) -> str | None:
        live = self._interactions.get(address.reply_handle or "")
        handle = address.reply_handle
        if live is None and handle not in self._unacknowledged and received_lately(handle):
            raise TransientDeliveryError("left to the process that received the interaction", retry_after=1.0)
        direct = live is None and message.private and address.user_id is not None
        try:
            if live is not None:
                return await self._answer_interaction(live, message)
            if direct:
                channel: Any = await self._client().create_dm(discord.Object(int(address.user_id or 0)))
            else:
                channel = self._client().get_partial_messageable(int(address.thread_id or address.chat_id))
            sent = await channel.send(**render.fields(message))
            return str(sent.id)
        except (discord.HTTPException, aiohttp.ClientError, OSError, TimeoutError) as error:
            raise delivery_error(error, direct_message=direct) from error

    async def _answer_interaction(self, live: _LiveInteraction, message: Outgoing) -> str:
        """The first public answer replaces the public "thinking…" message; a private one may not, so
        that message is deleted first and the answer follows as an ephemeral message."""
        interaction = live.interaction
        fields = render.fields(message)
        if live.original_pending:
            live.original_pending = False
            if not message.private:
                files = fields.pop("files", None)
                if files is not None:
                    fields["attachments"] = files
                return str((await interaction.edit_original_response(**fields)).id)
            await interaction.delete_original_response()
        sent = await interaction.followup.send(ephemeral=message.private, wait=True, **fields)
        return str(sent.id)

    def _client(self) -> TownhallClient:
        if self.client is None:
            raise TransientDeliveryError("the Discord adapter is not started")
        return self.client


def received_lately(reply_handle: str | None) -> bool:
    """Whether `reply_handle` names an interaction (by its id, whose snowflake tells when Discord made it)
    made less than `INTERACTION_HANDOFF_SECONDS` ago."""
    if not reply_handle or not reply_handle.isdigit():
        return False
    age = datetime.now(UTC) - discord.utils.snowflake_time(int(reply_handle))
    return age.total_seconds() < INTERACTION_HANDOFF_SECONDS


async def sync_commands(adapter: DiscordAdapter, guild_id: int | None = None) -> list[str]:
    """Register the slash commands with Discord: in one guild (instant) or globally (may take an hour)."""
    client = await adapter.login()
    try:
        guild = discord.Object(guild_id) if guild_id is not None else None
        if guild is not None:
            client.tree.copy_global_to(guild=guild)
        synced = await client.tree.sync(guild=guild)
        return [command.name for command in synced]
    finally:
        await client.close()
