"""The core: turns an `Incoming` or a scheduled job into stored changes and outbox messages, in one transaction."""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Awaitable, Callable, Hashable, Iterable, Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeVar

import numpy as np
from sqlmodel import Session

from facilitation.kernel.context import Context, CoreConfig, Effects
from facilitation.kernel.deferred import DeferredRunner
from facilitation.kernel.deliveries import first_delivery, resume_points
from facilitation.kernel.events import Address, Capabilities, Incoming, Outgoing
from facilitation.kernel.fair_use import UpdateLimiter
from facilitation.kernel.fair_worker import HOUSE_LANE, FairWorker
from facilitation.kernel.hooks import (
    AFTER_UPDATE,
    CHAT_MOVED,
    FOLLOWED_CHATS,
    MESSAGE_EDITED,
    PLAIN_MESSAGE,
    RECIPIENT_UNREACHABLE,
    TEXTS_TO_EMBED,
)
from facilitation.kernel.i18n import Translator
from facilitation.kernel.identity import member_for
from facilitation.kernel.inbox import DatabaseUnavailable, InboxWorkers
from facilitation.kernel.outbox import Outbox, retry_delay
from facilitation.kernel.router import CommandSet, Role, Router, UsageError, UserError, parse_command
from facilitation.kernel.scheduling import JobSpec
from storage.db import Database, unavailable
from storage.models import ButtonAction

if TYPE_CHECKING:  # the kernel carries the index for the features; it never calls into it but to encode
    from facilitation.intelligence.similarity import IdeaIndex

log = logging.getLogger(__name__)

T = TypeVar("T")


def sender_of(incoming: Incoming) -> tuple[str, str]:
    """Who sent an update, as fair use counts them and as their lane on the worker is named."""
    return incoming.platform, incoming.sender.user_id


class Core:
    """Handles updates off the event loop, so that it never waits on the database: on SQLite one at a time
    on a worker thread; on PostgreSQL through the inbox, by `workers` threads here and those of every other
    process on the database, one chat at a time and in each chat's order (see `kernel.inbox`)."""

    def __init__(
        self,
        database: Database,
        config: CoreConfig,
        features: Iterable[CommandSet],
        capabilities: dict[str, Capabilities] | None = None,
        index: IdeaIndex | None = None,
        workers: int = 1,
    ) -> None:
        self.database = database
        self.config = config
        self.router = Router(features)
        self.outbox = Outbox(capabilities)
        self._worker = FairWorker("townhall-core")
        self._deferred = DeferredRunner(self._end_on_worker, self._end_now)
        self.limiter = UpdateLimiter(config.clock)
        self.after_commit: list[Callable[[list[JobSpec]], None]] = []
        """Called on the event loop after each committed unit of work, with the jobs it scheduled."""
        self.index = index
        self.send_unstored: Callable[[Address, Outgoing], Awaitable[None]] | None = None
        """Sends one message straight to its platform, for the answer that cannot wait for the database."""
        self._held: deque[tuple[Incoming, Mapping[str, np.ndarray], asyncio.Future[None]]] = deque()
        self._told_to_wait: set[tuple[str, str]] = set()
        self._retrying: asyncio.Task[None] | None = None
        self._inbox: InboxWorkers | None = None
        if database.engine.dialect.name == "postgresql":
            self._inbox = InboxWorkers(database, self.handle_now, self._committed, workers, config.clock)

    def start(self) -> None:
        """Start the inbox's workers, if any, on the running event loop: updates left waiting by a process
        that stopped or died are handled now, before any new one arrives."""
        if self._inbox is not None:
            self._deferred.attach(asyncio.get_running_loop())
            self._inbox.start(asyncio.get_running_loop())

    async def handle(self, incoming: Incoming) -> None:
        """Handle one update; replies are in the outbox when this returns.

        A sender over the fair-use limit is told once to slow down; their further updates are dropped
        here, before they queue for the worker, so that they do not delay anyone else. Facilitators named
        in the settings (and the console's local user) are trusted operators: no limit.

        An idea's text is encoded here, before the update waits for the worker thread, so that ideas
        arriving together are encoded in one batch.

        While the database is unreachable, updates are held in memory, in order, and retried with capped
        backoff until it is back; each chat is told once that its messages will be retried. This returns
        only once the update is committed, held or not, so that the platform is told it was received
        (the next Telegram offset, a webhook's answer) only then: an update held when the process dies
        is delivered again at the next start.
        """
        sender = sender_of(incoming)
        admitted = sender in self.config.facilitator_identities or self.limiter.admit(sender)
        if admitted is None:
            log.info(
                "update dropped over fair use platform=%s user=%s",
                incoming.platform,
                self.config.log_id(incoming.sender.user_id),
            )
            return
        if not admitted:
            await self.commit_on_worker(self._ask_to_slow_down, incoming, lane=sender)
            return
        vectors = await self._encode_ideas(incoming)
        if not self._held:  # else it waits behind the updates already held, to keep their order
            try:
                await self._take(incoming, vectors, lane=sender)
                return
            except DatabaseUnavailable:
                pass
        await self._hold(incoming, vectors)

    async def _take(
        self, incoming: Incoming, vectors: Mapping[str, np.ndarray], lane: Hashable = HOUSE_LANE
    ) -> None:
        """Handle the update and return once it is committed: through the inbox, or on the worker."""
        if self._inbox is None or incoming.sender.is_bot:
            await self.commit_on_worker(self.handle_now, incoming, vectors, lane=lane)
        else:
            self._deferred.attach(asyncio.get_running_loop())
            await self._inbox.submit(incoming, vectors)

    async def _hold(self, incoming: Incoming, vectors: Mapping[str, np.ndarray]) -> None:
        """Keep the update for a retry, tell its chat once, and wait until the retry has committed it."""
        handled = asyncio.get_running_loop().create_future()
        self._held.append((incoming, vectors, handled))
        if self._retrying is None or self._retrying.done():
            self._retrying = asyncio.create_task(self._retry_held(), name="core-retry-held")
        await self._tell_chat_to_wait(incoming)
        await handled

    async def _tell_chat_to_wait(self, incoming: Incoming) -> None:
        chat = (incoming.platform, incoming.address.chat_id)
        if chat in self._told_to_wait or self.send_unstored is None:
            return
        self._told_to_wait.add(chat)
        language = (incoming.sender.language_hint or self.config.default_language).split("-")[0].lower()
        text = Translator(language).gettext(
            "I cannot reach my database just now. I will retry your message in a moment: nothing you sent is lost."
        )
        await self.send_unstored(incoming.address, Outgoing(text, private=incoming.button_token is not None))

    async def _retry_held(self) -> None:
        """Handle the held updates in order once the database answers again, waiting longer after each miss."""
        attempts = 0
        while self._held:
            attempts += 1
            await asyncio.sleep(retry_delay(attempts))
            while self._held:
                incoming, vectors, handled = self._held[0]
                failure: Exception | None = None
                try:
                    await self._take(incoming, vectors)
                except DatabaseUnavailable:
                    break
                except Exception as error:  # not the database: whoever waits for the update hears it
                    failure = error
                self._held.popleft()
                if handled.done():
                    continue
                if failure is None:
                    handled.set_result(None)
                else:
                    handled.set_exception(failure)
        self._told_to_wait.clear()
        log.info("database reachable again; held updates handled")

    def _ask_to_slow_down(self, incoming: Incoming) -> list[JobSpec]:
        self._answer_alone(
            incoming,
            lambda ctx: ctx._(
                "You are sending a lot at once. Please wait a minute: I will not read your messages until then."
            ),
        )
        return []

    async def run_job(self, kind: str, payload: dict[str, Any]) -> None:
        """Run a scheduled job's handler in a transaction of its own; its messages go to the outbox."""
        await self.commit_on_worker(self.run_job_now, kind, payload)

    async def resume_points(self, platform: str) -> dict[str, int | datetime]:
        """Where to read each of the platform's streams on from: the last message handled there (see
        `deliveries.resume_points`), or for a chat the bot follows where nothing was handled yet, the
        moment it began to follow it."""
        return await self.in_worker(self._resume_points_now, platform)

    def _resume_points_now(self, platform: str) -> dict[str, int | datetime]:
        with self.database.session() as session:
            points: dict[str, int | datetime] = dict(resume_points(session, platform))
            for followed in self.router.hooks.call(FOLLOWED_CHATS, session, platform):
                for chat_id, since in followed.items():
                    points.setdefault(chat_id, since)
            return points

    async def reconcile(self) -> list[JobSpec]:
        """Every job the stored state calls for, from each feature's reconcilers."""
        return await self.in_worker(self._reconcile_now)

    async def commit_on_worker(
        self, work: Callable[..., list[JobSpec]], *args: Any, lane: Hashable = HOUSE_LANE
    ) -> None:
        self._committed(await self.in_worker(work, *args, lane=lane))

    def _committed(self, scheduled: list[JobSpec]) -> None:
        for callback in self.after_commit:
            callback(scheduled)

    def run_job_now(self, kind: str, payload: dict[str, Any]) -> list[JobSpec]:
        handler = self.router.jobs.get(kind)
        if handler is None:
            log.error("scheduled job of unknown kind=%s dropped", kind)
            return []
        log.info("job kind=%s payload=%s", kind, payload)
        with self.database.session() as session:
            effects = self.effects(session)
            handler(effects, payload)
            self.enqueue(effects)
        self._deferred.submit(effects.deferred, HOUSE_LANE)
        return effects.scheduled

    async def _end_on_worker(self, ending: Callable[[Effects], None], lane: Hashable) -> None:
        await self.commit_on_worker(self._end_now, ending, lane, lane=lane)

    def _end_now(self, ending: Callable[[Effects], None], lane: Hashable) -> list[JobSpec]:
        """The ending of a deferred computation, in a unit of work of its own."""
        with self.database.session() as session:
            effects = self.effects(session)
            ending(effects)
            self.enqueue(effects)
        self._deferred.submit(effects.deferred, lane)
        return effects.scheduled

    def _reconcile_now(self) -> list[JobSpec]:
        now = self.config.clock()
        with self.database.session() as session:
            return [spec for reconciler in self.router.reconcilers for spec in reconciler(session, now)]

    async def in_worker(self, function: Callable[..., T], *args: Any, lane: Hashable = HOUSE_LANE) -> T:
        """Run `function` on the core's worker thread, in turn with the updates: each sender's updates
        wait in their own `lane`, and the lanes take turns (see `FairWorker`)."""
        self._deferred.attach(asyncio.get_running_loop())
        return await asyncio.wrap_future(self._worker.submit(lane, function, *args))

    async def _encode_ideas(self, incoming: Incoming) -> dict[str, np.ndarray]:
        if self.index is None or not self.index.ready:
            return {}
        texts = [text for texts in self.router.hooks.call(TEXTS_TO_EMBED, incoming) for text in texts]
        if not texts:
            return {}
        try:
            vectors = await self.index.embedder.encode_async(texts)
        except Exception:
            log.exception("could not encode idea message=%s", incoming.message_id)
            return {}
        return dict(zip(texts, vectors, strict=True))

    async def finish_deferred(self, timeout: float) -> None:
        """At stop: let computations still running off the worker end and post their answers."""
        await self._deferred.finish_running(timeout)

    def close(self) -> None:
        if self._retrying is not None:
            self._retrying.cancel()
        if self._held:
            log.error(
                "stopped with updates held for the database, to be delivered again count=%d", len(self._held)
            )
            for _incoming, _vectors, handled in self._held:
                handled.cancel()
        if self._inbox is not None:
            self._inbox.close()
        self._deferred.close()
        self._worker.shutdown()

    def handle_now(
        self, incoming: Incoming, vectors: Mapping[str, np.ndarray] | None = None
    ) -> list[JobSpec]:
        """The synchronous heart of `handle`: used directly by tests and tools.

        A `UserError` rolls back everything the update changed, then answers in a transaction of its own.
        A database that cannot be reached raises `DatabaseUnavailable`, nothing stored: `handle` retries.
        """
        if incoming.sender.is_bot:
            return []
        log.info(
            "update platform=%s chat=%s message=%s user=%s",
            incoming.platform,
            self.config.log_id(incoming.address.chat_id),
            incoming.message_id,
            self.config.log_id(incoming.sender.user_id),
        )
        try:
            with self.database.session() as session:
                if not first_delivery(session, incoming, self.config.clock()):
                    return []
                ctx = self.context_for(session, incoming, vectors or {})
                try:
                    self._dispatch(ctx)
                    self.router.hooks.call(AFTER_UPDATE, ctx)
                except UserError as error:
                    error.message = self._with_usage(ctx, error)
                    raise
                self.enqueue(ctx)
            self._run_on_commit(ctx)
            self._deferred.submit(ctx.deferred, sender_of(incoming))
            return ctx.scheduled
        except UserError as error:
            answer = error.message
            self._answer_alone(incoming, lambda ctx: answer)
        except Exception as error:
            if unavailable(error):
                log.warning(
                    "database unavailable, update held platform=%s chat=%s message=%s: %s",
                    incoming.platform,
                    self.config.log_id(incoming.address.chat_id),
                    incoming.message_id,
                    error,
                )
                raise DatabaseUnavailable from error
            log.exception(
                "update failed platform=%s chat=%s message=%s",
                incoming.platform,
                self.config.log_id(incoming.address.chat_id),
                incoming.message_id,
            )
            self._answer_alone(
                incoming,
                lambda ctx: ctx._(
                    "Sorry, something went wrong on my side and nothing was saved. Please try again in a moment."
                ),
            )
        return []

    def notify_unreachable(self, address: Address) -> None:
        """A private message could not reach its user: the features tell someone else (an outbox hook)."""
        with self.database.session() as session:
            effects = self.effects(session)
            self.router.hooks.call(RECIPIENT_UNREACHABLE, effects, address)
            self.enqueue(effects)

    def effects(self, session: Session) -> Effects:
        """A unit of work with no update behind it (a job, a notice), in `session`."""
        return Effects(session=session, config=self.config, index=self.index, hooks=self.router.hooks)

    def context_for(
        self, session: Session, incoming: Incoming, vectors: Mapping[str, np.ndarray] | None = None
    ) -> Context:
        member, afresh = member_for(session, incoming.sender, self.config)
        ctx = Context(
            session=session,
            config=self.config,
            incoming=incoming,
            member=member,
            commands=self.router.commands,
            index=self.index,
            hooks=self.router.hooks,
            vectors=vectors or {},
        )
        if afresh:  # said once: the digest that told it went with this update
            ctx.reply(
                ctx._(
                    "You start afresh as {name}: the profile this account had was deleted with /forget, "
                    "and nothing of it is known here. /me shows what Townhall holds about you now.",
                    name=member.pseudonym,
                ),
                private=True,
            )
        return ctx

    @staticmethod
    def _run_on_commit(ctx: Context) -> None:
        """Callbacks of a committed update; one failing is logged and does not undo what was saved."""
        for callback in ctx.on_commit:
            try:
                callback()
            except Exception:
                log.exception("after-commit step failed message=%s", ctx.incoming.message_id)

    def enqueue(self, effects: Effects) -> None:
        for address, message in effects.messages:
            self.outbox.enqueue(effects.session, address, message)

    def _answer_alone(self, incoming: Incoming, answer: Callable[[Context], str]) -> None:
        """Reply in a fresh transaction, after the update's own changes were rolled back.

        The answer to a button press concerns only the person who pressed it, so it is private.
        """
        try:
            with self.database.session() as session:
                if not first_delivery(session, incoming, self.config.clock()):
                    return
                ctx = self.context_for(session, incoming)
                ctx.reply(answer(ctx), private=incoming.button_token is not None)
                self.enqueue(ctx)
        except Exception:
            log.exception(
                "could not answer platform=%s chat=%s",
                incoming.platform,
                self.config.log_id(incoming.address.chat_id),
            )

    def _dispatch(self, ctx: Context) -> None:
        incoming = ctx.incoming
        if incoming.moved_from_chat_id is not None:
            self.router.hooks.call(CHAT_MOVED, ctx, incoming.moved_from_chat_id)
            return
        if incoming.edited:
            self.router.hooks.call(MESSAGE_EDITED, ctx)
            return
        if incoming.button_token is not None:
            self._press(ctx, incoming.button_token)
            return
        parsed = (incoming.command, incoming.args) if incoming.command else parse_command(incoming.text)
        if parsed is None:
            if not self.router.hooks.first(PLAIN_MESSAGE, ctx) and ctx.is_private_chat:
                ctx.reply(
                    ctx._(
                        "To share an idea, write /idea followed by your idea, or add the campaign's #hashtag. /help lists everything I can do."
                    )
                )
            return
        name, args = parsed
        command = self.router.commands.get(name)
        if command is None:
            raise UserError(ctx._("I don't know the command /{name}. /help lists what I can do.", name=name))
        ctx.current_command = command
        if command.role is Role.FACILITATOR:
            ctx.require_facilitator()
        command.handler(ctx, args)

    def _press(self, ctx: Context, token: str) -> None:
        action = ctx.session.get(ButtonAction, token)
        handler = self.router.actions.get(action.action) if action is not None else None
        if action is None or handler is None:
            raise UserError(ctx._("This button has expired. Please use the command again."))
        if ctx.incoming.via_link and not action.link:
            raise UserError(
                ctx._(
                    "This link does nothing on its own: only invitation links work this way. "
                    "Use the buttons under my messages instead."
                )
            )
        handler(ctx, action.payload)

    @staticmethod
    def _with_usage(ctx: Context, error: UserError) -> str:
        command = ctx.current_command
        if isinstance(error, UsageError) and command is not None and command.usage:
            return error.message + "\n" + ctx._("Usage: {usage}", usage=ctx._(command.usage))
        return error.message
