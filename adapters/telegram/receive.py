"""Receiving updates so that none is lost: Telegram hears an update was received only once it is handled.

python-telegram-bot's own polling confirms a batch (by asking for the next offset) while its updates still
wait in memory, and its webhook answers 200 before the update is handled: a crash then loses them. Here
the long-polling loop asks for the next offset only after the core has committed every update before it,
and the webhook answers 200 only after the core has committed the update. Telegram re-delivers what was not
confirmed; the core recognises a delivery it handled already (`Incoming.update_key`) and changes nothing.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
from collections.abc import Awaitable, Callable, Sequence

from aiohttp import web
from telegram import Bot, Update
from telegram.error import Conflict, InvalidToken, NetworkError, RetryAfter, TelegramError

log = logging.getLogger(__name__)

UpdateHandler = Callable[[Update], Awaitable[None]]

POLL_TIMEOUT_SECONDS = 10
"""How long one getUpdates waits for news before answering empty."""
POLL_READ_MARGIN_SECONDS = 10
"""Added to the long-polling timeout for the HTTP read, so a slow answer is not cut as a timeout."""
POLL_RETRY_MAX_SECONDS = 30.0
"""The longest wait between two getUpdates after failures (the wait doubles from 1 second)."""
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
WEBHOOK_MAX_BODY_BYTES = 1024 * 1024
"""Far above any Telegram update (a message is at most 4,096 characters); larger bodies are refused."""


class Poller:
    """Long polling whose offset moves past an update only once that update is handled."""

    def __init__(self, bot: Bot, handle: UpdateHandler, allowed_updates: Sequence[str]) -> None:
        self.bot = bot
        self.handle = handle
        self.allowed_updates = list(allowed_updates)
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        await self.bot.delete_webhook()  # polling and a webhook exclude each other
        self._task = asyncio.create_task(self._poll(), name="telegram-polling")

    async def _poll(self) -> None:
        offset: int | None = None
        failures = 0
        while True:
            try:
                updates = await self.bot.get_updates(
                    offset=offset,
                    timeout=POLL_TIMEOUT_SECONDS,
                    read_timeout=POLL_TIMEOUT_SECONDS + POLL_READ_MARGIN_SECONDS,
                    allowed_updates=self.allowed_updates,
                )
            except InvalidToken:
                log.error("telegram refused the bot token: polling stops")
                return
            except (RetryAfter, Conflict, NetworkError, TelegramError) as error:
                failures += 1
                wait = _retry_wait(error, failures)
                log.warning("telegram getUpdates failed, retrying in %.0f s: %s", wait, error)
                await asyncio.sleep(wait)
                continue
            failures = 0
            for update in updates:
                await self._handle_one(update)
                offset = update.update_id + 1  # confirmed to Telegram by the next getUpdates

    async def _handle_one(self, update: Update) -> None:
        try:
            await self.handle(update)
        except Exception:  # a fault of this update alone: the next ones still go through
            log.exception("telegram update failed update=%s", update.update_id)

    async def stop(self) -> None:
        """Stop asking; what was received but not handled is delivered again at the next start."""
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None


def _retry_wait(error: TelegramError, failures: int) -> float:
    if isinstance(error, RetryAfter):
        retry_after = error.retry_after
        return float(retry_after.total_seconds() if hasattr(retry_after, "total_seconds") else retry_after)
    return min(POLL_RETRY_MAX_SECONDS, 2.0 ** (failures - 1))


class WebhookServer:
    """Telegram's webhook: the secret is checked from the headers before the body is read, the body is
    capped, and 200 is answered only once the update is handled (an error answers 500, and Telegram
    retries)."""

    def __init__(self, bot: Bot, handle: UpdateHandler, secret: str, path: str) -> None:
        self.bot = bot
        self.handle = handle
        self.secret = secret.encode()
        self.path = "/" + path.lstrip("/")
        self._runner: web.AppRunner | None = None

    async def start(self, listen: str, port: int) -> None:
        app = web.Application(client_max_size=WEBHOOK_MAX_BODY_BYTES)
        app.router.add_post(self.path, self._receive)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, listen, port).start()

    async def _receive(self, request: web.Request) -> web.Response:
        given = request.headers.get(SECRET_HEADER, "").encode()
        if not hmac.compare_digest(given, self.secret):
            return web.Response(status=403, text="wrong secret token")
        if request.content_length is not None and request.content_length > WEBHOOK_MAX_BODY_BYTES:
            return web.Response(status=413, text="too large for a Telegram update")
        try:
            data = json.loads(await request.read())
            update = Update.de_json(data, self.bot)
        except web.HTTPRequestEntityTooLarge:
            return web.Response(status=413, text="too large for a Telegram update")
        except (ValueError, TypeError, KeyError) as error:
            log.warning("telegram webhook body refused: %s", error)
            return web.Response(status=400, text="not a Telegram update")
        if update is None:
            return web.Response(status=400, text="not a Telegram update")
        try:
            await self.handle(update)
        except Exception:
            log.exception("telegram update failed update=%s", update.update_id)
            return web.Response(status=500, text="not handled; send it again")
        return web.Response(status=200)

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
