"""Telegram through python-telegram-bot, run inside Townhall's own event loop.

The Application is initialised and shut down by hand (never `run_polling`, which owns the loop), so
Telegram runs beside other adapters. Updates arrive by long polling, or by webhook when a webhook URL is
configured, both received by `receive.py` so that Telegram hears an update was received only once the core
has handled it. Several processes may serve one bot by webhook behind one proxy: each listens, and only
the elected leader (`lead`) tells Telegram the webhook and the command menu, so a replica that starts or
stops changes nothing at Telegram; a replica that becomes leader sets them again. The outbox paces sends (one a second per chat, 30 a second overall, see `capabilities`)
and `GroupPace` keeps a group to 20 a minute. Nothing is retried or waited for here: a flood-control
answer or a network fault goes back to the outbox, which retries that chat after the time asked for.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar
from urllib.parse import urlsplit

from telegram import BotCommand, Message, ReplyParameters, Update
from telegram.constants import BotCommandLimit
from telegram.error import ChatMigrated, Forbidden, TelegramError
from telegram.ext import Application, ApplicationBuilder

from adapters.base import (
    Adapter,
    Address,
    Capabilities,
    IncomingHandler,
    Outgoing,
    PermanentDeliveryError,
    Receiving,
    TransientDeliveryError,
)
from adapters.telegram.incoming import PLATFORM, to_incoming
from adapters.telegram.pace import GROUP_MESSAGES_PER_MINUTE, GroupPace
from adapters.telegram.receive import Poller, WebhookServer
from adapters.telegram.render import (
    MAX_CALLBACK_DATA_BYTES,
    MAX_CAPTION_LENGTH,
    MAX_TEXT_LENGTH,
    delivery_error,
    render,
    utf16_length,
)
from facilitation.kernel.i18n import SUPPORTED_LANGUAGES, Translator
from facilitation.kernel.router import Command, command_menu
from facilitation.kernel.text import shorten

log = logging.getLogger(__name__)

PUBLIC_API = "https://api.telegram.org"
PER_CHAT_INTERVAL_SECONDS = 1.0
"""Telegram asks bots to avoid more than one message a second in a chat."""
GLOBAL_INTERVAL_SECONDS = 1 / 30
"""And about 30 messages a second overall."""
HANDLING_AT_STOP_SECONDS = 30
"""At stop, how long updates received (stored) but still being handled may take before the adapter goes;
those cut short wait in the inbox for the next worker."""
ALLOWED_UPDATES = (Update.MESSAGE, Update.EDITED_MESSAGE, Update.CALLBACK_QUERY)
LEAD_RETRY_FIRST_SECONDS = 1.0
LEAD_RETRY_MAX_SECONDS = 60.0
"""The leader's set-up that Telegram refused or could not hear is tried again after 1 s, then twice as
long each time, up to a minute, until it succeeds."""


@dataclass(frozen=True)
class Webhook:
    """Where Telegram posts updates (`url`, public, usually behind a TLS proxy) and where we listen."""

    url: str
    listen: str = "127.0.0.1"
    port: int = 8443
    secret: str = ""


def webhook_secret(webhook: Webhook, token: str) -> str:
    """The configured secret, or one derived from the bot token: every replica of the bot finds the same
    one, and only someone who holds the token (who could set the webhook anyway) can compute it."""
    return webhook.secret or hashlib.sha256(f"townhall-webhook:{token}".encode()).hexdigest()


class TelegramAdapter(Adapter):
    platform: ClassVar[str] = PLATFORM
    capabilities: ClassVar[Capabilities] = Capabilities(
        max_text_length=MAX_TEXT_LENGTH,
        max_button_payload_bytes=MAX_CALLBACK_DATA_BYTES,
        max_caption_length=MAX_CAPTION_LENGTH,
        per_chat_interval=PER_CHAT_INTERVAL_SECONDS,
        global_interval=GLOBAL_INTERVAL_SECONDS,
        rendered_length=utf16_length,
    )

    def __init__(
        self,
        token: str,
        commands: Mapping[str, Command],
        api_base_url: str = PUBLIC_API,
        webhook: Webhook | None = None,
        default_language: str = "en",
    ) -> None:
        super().__init__()
        self.commands = commands
        self.token = token
        root = api_base_url.rstrip("/")
        self.application: Application = (
            ApplicationBuilder()
            .token(token)
            .base_url(f"{root}/bot")
            .base_file_url(f"{root}/file/bot")
            .job_queue(None)
            .build()
        )
        self.webhook = webhook
        self.default_language = default_language
        self._ = Translator(default_language).gettext
        self.username = ""
        self.sees_only_commands = False
        self.group_pace = GroupPace()
        self._on_incoming: IncomingHandler | None = None
        self._receiver: Poller | WebhookServer | None = None
        self._receiving = Receiving()
        self._leading: asyncio.Task[None] | None = None

    async def start(self, on_incoming: IncomingHandler) -> None:
        self._on_incoming = on_incoming
        application = self.application
        await application.initialize()  # getMe: who we are and what we may read in groups
        me = application.bot.bot
        self.username = me.username or ""
        self.sees_only_commands = not me.can_read_all_group_messages
        bot = application.bot
        if self.webhook is None:
            self._receiver = Poller(bot, self._handle, ALLOWED_UPDATES)
            await self._receiver.start()
            log.info("telegram polling bot=@%s", self.username)
            return
        secret = webhook_secret(self.webhook, self.token)
        server = WebhookServer(bot, self._handle, secret, urlsplit(self.webhook.url).path)
        await server.start(self.webhook.listen, self.webhook.port)
        self._receiver = server
        log.info(
            "telegram webhook bot=@%s listen=%s:%s", self.username, self.webhook.listen, self.webhook.port
        )

    async def lead(self) -> None:
        """Tell Telegram, for every replica, where to post updates and which commands to show. A failure
        is tried again in the background until Telegram has heard it."""
        if self._leading is not None and not self._leading.done():
            return
        try:
            await self._set_up()
        except TelegramError as error:
            log.warning("telegram setWebhook failed, retrying in %.0f s: %s", LEAD_RETRY_FIRST_SECONDS, error)
            self._leading = asyncio.create_task(self._set_up_until_heard(), name="telegram-leader-set-up")

    async def _set_up(self) -> None:
        if self.webhook is not None:
            await self.application.bot.set_webhook(
                self.webhook.url,
                secret_token=webhook_secret(self.webhook, self.token),
                allowed_updates=list(ALLOWED_UPDATES),
            )
            log.info("telegram webhook set url=%s", self.webhook.url)
        await self._register_commands()

    async def _set_up_until_heard(self) -> None:
        delay = LEAD_RETRY_FIRST_SECONDS
        while True:
            await asyncio.sleep(delay)
            delay = min(delay * 2, LEAD_RETRY_MAX_SECONDS)
            try:
                await self._set_up()
                return
            except TelegramError as error:
                log.warning("telegram setWebhook failed, retrying in %.0f s: %s", delay, error)

    async def stop(self) -> None:
        if self._leading is not None:
            self._leading.cancel()
            await asyncio.gather(self._leading, return_exceptions=True)
            self._leading = None
        if self._receiver is not None:
            await self._receiver.stop()
            self._receiver = None
        await self._receiving.stop(HANDLING_AT_STOP_SECONDS)
        await self.application.shutdown()

    async def _register_commands(self) -> None:
        """The command menu in every catalogue language, the default language for everyone else."""
        bot = self.application.bot
        for language in (*SUPPORTED_LANGUAGES, None):
            menu = command_menu(self.commands, language or self.default_language)
            commands = [
                BotCommand(name, shorten(summary, BotCommandLimit.MAX_DESCRIPTION))
                for name, summary in menu[: BotCommandLimit.MAX_COMMAND_NUMBER]
            ]
            try:
                await bot.set_my_commands(commands, language_code=language)
            except TelegramError as error:  # the menu is a convenience: commands work without it
                log.warning("telegram setMyCommands failed language=%s: %s", language, error)

    async def _handle(self, update: Update) -> None:
        """Acknowledge a button press at once, then hand the update to the core; returns once it is stored
        for good (see `Receiving`), when Telegram may hear it was received."""
        if update.callback_query is not None:
            try:
                await update.callback_query.answer()
            except TelegramError as error:  # too late or already answered: the press still counts
                log.warning("telegram answerCallbackQuery failed update=%s: %s", update.update_id, error)
        incoming = to_incoming(update, self.username, self.sees_only_commands)
        if incoming is None or self._on_incoming is None:
            return
        log.debug("telegram update=%s", update.update_id)  # the core logs its chat and user, hashed
        await self._receiving.receive(self._on_incoming, incoming)

    async def send(self, address: Address, message: Outgoing) -> str | None:
        if message.private and address.user_id and address.user_id != address.chat_id:
            return await self._send_privately(address, message)
        try:
            sent = await self._send(chat_id(address.chat_id), address.thread_id, message)
        except ChatMigrated as migrated:  # the group became a supergroup: deliver to its new id
            log.warning("telegram chat=%s migrated to %s", address.chat_id, migrated.new_chat_id)
            sent = await self._send(migrated.new_chat_id, address.thread_id, message)
        return str(sent.message_id)

    async def _send_privately(self, address: Address, message: Outgoing) -> str:
        """Telegram has no message only one member of a group sees: a private answer goes to the person's
        own chat with the bot. When they never opened it (or blocked the bot), the group gets a reply to
        their message pointing them there, and the refusal is recorded as the message's failure.
        """
        assert address.user_id is not None
        try:
            sent = await self._send(int(address.user_id), None, message)
        except PermanentDeliveryError as refused:
            if not isinstance(refused.__cause__, Forbidden):
                raise
            pointer = self._(
                "I cannot write to you privately yet. Open {link}, press Start, then ask me again.",
                link=f"https://t.me/{self.username}",
            )
            reply_to = int(address.reply_handle) if address.reply_handle else None
            await self._send(chat_id(address.chat_id), address.thread_id, Outgoing(pointer), reply_to)
            raise
        return str(sent.message_id)

    async def _send(
        self, chat: int | str, thread_id: str | None, message: Outgoing, reply_to: int | None = None
    ) -> Message:
        wait = self.group_pace.wait(chat)
        if wait > 0:
            raise TransientDeliveryError(f"group {chat} had its {GROUP_MESSAGES_PER_MINUTE} messages", wait)
        bot = self.application.bot
        text, keyboard = render(message, self.username)
        options = {
            "reply_markup": keyboard,
            "message_thread_id": int(thread_id) if thread_id else None,
            "reply_parameters": ReplyParameters(reply_to, allow_sending_without_reply=True)
            if reply_to
            else None,
        }
        try:
            if message.image_path:
                photo = Path(message.image_path).read_bytes()
                sent = await bot.send_photo(chat, photo, caption=text or None, **options)
            elif message.file_path:
                document = Path(message.file_path)
                sent = await bot.send_document(
                    chat, document.read_bytes(), caption=text or None, filename=document.name, **options
                )
            else:
                sent = await bot.send_message(chat, text, **options)
        except ChatMigrated:
            raise
        except TelegramError as error:
            mapped = delivery_error(error)
            if mapped is None:
                raise
            raise mapped from error
        except OSError as error:  # the attached file is gone: retrying cannot bring it back
            raise PermanentDeliveryError(
                f"attachment {message.image_path or message.file_path}: {error}"
            ) from error
        self.group_pace.sent(chat)
        return sent


def chat_id(value: str) -> int | str:
    """Telegram chat ids are integers; an @channelusername stays a string."""
    return int(value) if value.lstrip("-").isdigit() else value
