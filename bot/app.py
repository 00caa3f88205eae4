"""Townhall's running parts in one asyncio loop: database, core, outbox delivery, scheduler and adapters."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import signal
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy.exc

from adapters.base import Adapter, Incoming
from adapters.console import ConsoleAdapter
from adapters.console.adapter import LOCAL_USER_ID
from bot.logs import STARTUP_LOG
from bot.settings import Settings
from facilitation.features import FEATURES
from facilitation.intelligence.catch_up import embed_missing
from facilitation.intelligence.embeddings import Embedder
from facilitation.intelligence.similarity import IdeaIndex
from facilitation.kernel.context import CoreConfig
from facilitation.kernel.core import Core
from facilitation.kernel.outbox import DeliveryService
from facilitation.kernel.router import CommandSet, Router
from facilitation.kernel.scheduling import JobSpec, Scheduler
from storage.db import Database
from storage.models import utcnow

if TYPE_CHECKING:
    from adapters.discord import DiscordAdapter

log = logging.getLogger(__name__)
startup_log = logging.getLogger(STARTUP_LOG)
"""What the person starting Townhall must see (the console shows it on stderr, beside the chat)."""

STOP_WAIT_FOR_EMBEDDING_SECONDS = 120
"""At stop, how long ideas recorded while the model loaded may wait to be answered with close ideas."""

STOP_WAIT_FOR_DEFERRED_SECONDS = 60
"""At stop, how long answers still being computed off the core's worker (themes) may take to be posted."""

STOP_DELIVERY_SECONDS = 10
"""At stop, how long the last delivery pass may take: a backlog sent at a platform's pace could hold a
SIGTERM for minutes, and what is left stays in the outbox for the next start."""

DATABASE_RETRY_FIRST_SECONDS = 1
DATABASE_RETRY_MAX_SECONDS = 30
"""A database unreachable at start is tried again after 1 s, then twice as long each time, up to 30 s."""


def select_adapters(settings: Settings) -> list[Adapter]:
    """An adapter for each platform whose token is set; the local console when none is."""
    adapters: list[Adapter] = []
    if settings.telegram_bot_token:
        adapters.append(telegram_adapter(settings))
    if settings.discord_bot_token:
        adapters.append(discord_adapter(settings))
    if not adapters:
        adapters.append(ConsoleAdapter(language=settings.default_language))
    return adapters


def discord_adapter(settings: Settings) -> DiscordAdapter:
    """The Discord adapter, with a slash command for every command of the core."""
    from adapters.discord import DiscordAdapter

    return DiscordAdapter(
        settings.discord_bot_token,
        Router(FEATURES).commands,
        api_base_url=settings.discord_api_base_url,
        gateway_url=settings.discord_gateway_url,
        shard_count=settings.discord_shard_count,
        shard_ids=settings.discord_shard_ids,
    )


def telegram_adapter(settings: Settings) -> Adapter:
    """Telegram by long polling, or by webhook when TELEGRAM_WEBHOOK_URL is set."""
    from adapters.telegram import TelegramAdapter, Webhook

    webhook = None
    if settings.telegram_webhook_url:
        webhook = Webhook(
            url=settings.telegram_webhook_url,
            listen=settings.telegram_webhook_listen,
            port=settings.telegram_webhook_port,
            secret=settings.telegram_webhook_secret,
        )
    return TelegramAdapter(
        settings.telegram_bot_token,
        Router(FEATURES).commands,
        api_base_url=settings.telegram_api_base_url,
        webhook=webhook,
        default_language=settings.default_language,
    )


def core_config(
    settings: Settings, adapters: Sequence[Adapter], clock: Callable[[], datetime] = utcnow
) -> CoreConfig:
    """The core's view of the settings; the console's local user facilitates. Tests may pass a clock."""
    identities = set(settings.facilitator_identities())
    if any(isinstance(adapter, ConsoleAdapter) for adapter in adapters):
        identities.add((ConsoleAdapter.platform, LOCAL_USER_ID))
    return CoreConfig(
        facilitator_identities=frozenset(identities),
        default_language=settings.default_language,
        default_timezone=settings.default_timezone,
        data_dir=settings.data_dir,
        open_data_secret=settings.pseudonym_secret(),
        open_data_license=settings.open_data_license,
        default_quiet_hours=settings.default_quiet_hours,
        clock=clock,
        web_url=settings.web_url,
        web_secret=settings.dashboard_secret,
    )


async def start_web(
    settings: Settings, core: Core, running: contextlib.AsyncExitStack, scheduler: Scheduler | None = None
) -> None:
    """The dashboard's web server, unless DASHBOARD_PORT is 0; stopped with what else `running` stops.
    `scheduler` is this process's, whose leadership the delivery page tells (none for `townhall web`)."""
    if not settings.dashboard_port:
        return
    from bot.web.server import WebServer

    server = WebServer(core, settings.dashboard_listen, settings.dashboard_port, scheduler)
    if await server.start():
        running.push_async_callback(server.stop)


class Townhall:
    """Starts and stops everything in order; the same wiring serves `townhall run` and the tests."""

    def __init__(
        self,
        settings: Settings,
        adapters: Sequence[Adapter],
        features: Iterable[CommandSet] = FEATURES,
        clock: Callable[[], datetime] = utcnow,
        embedder: Embedder | None = None,
        multilingual: Embedder | None = None,
    ) -> None:
        """`embedder` shares an already loaded model (tests, tools); by default EMBEDDING_MODEL is loaded
        in the background at start, and an empty EMBEDDING_MODEL turns similarity off. `multilingual`
        likewise for French and mixed campaigns (MULTILINGUAL_EMBEDDING_MODEL, loaded when one needs it;
        empty: they use EMBEDDING_MODEL too)."""
        self.settings = settings
        self.adapters = list(adapters)
        self.database = Database(settings.effective_database_url)
        self._owns_embedder = embedder is None and bool(settings.embedding_model)
        if self._owns_embedder:
            embedder = settings.new_embedder()
        self.embedder = embedder
        self._owns_multilingual = multilingual is None and bool(settings.multilingual_embedding_model)
        if self._owns_multilingual and embedder is not None:
            multilingual = settings.new_embedder(settings.multilingual_embedding_model)
        self.multilingual = multilingual if embedder is not None else None
        self.core = Core(
            self.database,
            core_config(settings, self.adapters, clock),
            capabilities={adapter.platform: adapter.capabilities for adapter in self.adapters},
            features=features,
            index=IdeaIndex(embedder, self.multilingual) if embedder is not None else None,
            workers=settings.effective_core_workers,
        )
        self._embedding: asyncio.Task | None = None
        self._running = contextlib.AsyncExitStack()
        self.delivery = DeliveryService(
            self.database,
            {adapter.platform: adapter for adapter in self.adapters},
            log_id=self.core.config.log_id,
        )
        self.delivery.on_unreachable = self.core.notify_unreachable
        self.core.send_unstored = self.delivery.send_unstored
        self.scheduler = Scheduler(self.database, self.core.run_job, self.core.reconcile)
        self.scheduler.on_lead = self._lead_platforms
        self._started: list[Adapter] = []
        """Adapters started, in order: those the leader sets up for every process."""
        self.core.after_commit.append(self._committed)

    def _committed(self, scheduled: list[JobSpec]) -> None:
        self.scheduler.submit(scheduled)
        self.delivery.wake()

    async def start(self) -> None:
        """Start every part in order; each part that started is registered to be stopped by `stop`, so a
        start interrupted anywhere (a signal, an adapter that cannot start) stops only what is running."""
        self._running.callback(self.database.dispose)
        self._running.callback(self.core.close)
        await self._upgrade_when_reachable()
        self.core.start()
        if self.embedder is not None:
            if self._owns_embedder:
                self._running.push_async_callback(asyncio.to_thread, self.embedder.close)
            if self.multilingual is not None and self._owns_multilingual:
                self._running.push_async_callback(asyncio.to_thread, self.multilingual.close)
            self.embedder.start()  # loads in the background: commands are answered meanwhile
            self._embedding = asyncio.create_task(embed_missing(self.core, self.core.index))
            self._running.push_async_callback(self._finish_embedding)  # if the start goes no further
        await self.delivery.start()  # first, so that messages left undelivered by a crash go out now
        self._running.push_async_callback(self.delivery.stop)
        await self.scheduler.start()  # jobs that fell due while Townhall was down run now
        self._running.push_async_callback(self.scheduler.stop)
        await start_web(self.settings, self.core, self._running, self.scheduler)
        for adapter in self.adapters:
            adapter.resume_points = functools.partial(self.core.resume_points, adapter.platform)
            self._running.push_async_callback(self._stop_adapter, adapter)  # even one that failed to start
            await adapter.start(self.on_incoming)
            self._started.append(adapter)
            log.info("adapter started platform=%s", adapter.platform)
            if self.scheduler.leading:  # a process that leads later sets its adapters up then
                await self._lead(adapter)
        self._running.push_async_callback(self._last_delivery_pass)
        self._running.push_async_callback(self.core.finish_deferred, STOP_WAIT_FOR_DEFERRED_SECONDS)
        self._running.push_async_callback(self._finish_embedding)  # then waiting ideas are answered
        self._running.callback(self.scheduler.pause)  # first at stop: no new job starts (running ones end)

    async def _lead_platforms(self) -> None:
        for adapter in self._started:
            await self._lead(adapter)

    @staticmethod
    async def _lead(adapter: Adapter) -> None:
        """The leader's set-up of a platform; a failure is logged, and tried again when it leads anew."""
        try:
            await adapter.lead()
        except Exception:
            log.exception("platform set-up by the leader failed platform=%s", adapter.platform)

    async def _upgrade_when_reachable(self) -> None:
        """Bring the schema up to date, waiting for a database that cannot be reached (a server down, a
        file that cannot be opened): one line per attempt, no traceback, until it answers or we stop."""
        delay = DATABASE_RETRY_FIRST_SECONDS
        while True:
            try:
                await asyncio.to_thread(self.database.upgrade)
                return
            except sqlalchemy.exc.OperationalError as error:
                reason = str(error.orig or error).strip().splitlines()[0]
                startup_log.warning("database unavailable (%s); trying again in %d s", reason, delay)
            await asyncio.sleep(delay)
            delay = min(delay * 2, DATABASE_RETRY_MAX_SECONDS)

    async def on_incoming(self, incoming: Incoming) -> None:
        """Handle an update and deliver its replies straight away."""
        await self.core.handle(incoming)
        try:
            await self.delivery.deliver_due()
        except Exception:  # the database is away: the delivery loop tries again
            log.warning("delivery pass failed; the delivery loop retries", exc_info=True)

    async def stop(self) -> None:
        """Stop what started, last started first: ideas still owed their close ideas are answered, a last
        delivery pass runs (the console prints what is due), then adapters, scheduler, delivery, core."""
        await self._running.aclose()

    async def _last_delivery_pass(self) -> None:
        try:
            await asyncio.wait_for(self.delivery.deliver_due(), STOP_DELIVERY_SECONDS)
        except TimeoutError:
            log.warning(
                "final delivery pass cut after %d s; pending messages go out at the next start",
                STOP_DELIVERY_SECONDS,
            )
        except Exception:
            log.exception("final delivery pass failed; pending messages go out at the next start")

    @staticmethod
    async def _stop_adapter(adapter: Adapter) -> None:
        try:
            await adapter.stop()
        except Exception:
            log.exception("adapter did not stop cleanly platform=%s", adapter.platform)

    async def _finish_embedding(self) -> None:
        """Stop embedding in the background; first answer ideas still waiting for close ideas, if any."""
        task, self._embedding = self._embedding, None
        if task is None:
            return
        index = self.core.index
        if index is not None and index.awaiting:
            try:
                await asyncio.wait_for(asyncio.shield(task), STOP_WAIT_FOR_EMBEDDING_SECONDS)
            except Exception:
                log.warning("stopped before every waiting idea was embedded count=%d", len(index.awaiting))
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await task

    async def run_until_stopped(self) -> None:
        """Run until SIGINT/SIGTERM or until an adapter finishes on its own (the console at end of input);
        a signal during the start (a database still unreachable, say) stops it there."""
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.add_signal_handler(signum, stop.set)
        ends = [asyncio.create_task(stop.wait())]
        ends += [asyncio.create_task(adapter.finished.wait()) for adapter in self.adapters]
        starting = asyncio.create_task(self.start())
        try:
            await asyncio.wait([starting, *ends], return_when=asyncio.FIRST_COMPLETED)
            if starting.done():
                starting.result()  # an adapter that could not start ends the run with its error
                await asyncio.wait(ends, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in (starting, *ends):
                task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await starting
            await self.stop()
