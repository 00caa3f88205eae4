"""The core: turns an `Incoming` or a scheduled job into stored changes and outbox messages, in one transaction."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from sqlmodel import Session

from facilitation import (
    campaigns,
    commitments,
    goals,
    help,
    ideas,
    members,
    moderation,
    notices,
    opendata,
    pods,
    preferences,
    privacy,
    progress,
    status,
)
from facilitation.context import Context, CoreConfig, Effects
from facilitation.events import Address, Capabilities, Incoming
from facilitation.fair_use import UpdateLimiter
from facilitation.members import member_for
from facilitation.outbox import Outbox
from facilitation.router import CommandSet, Role, Router, UsageError, UserError, parse_command
from facilitation.scheduling import JobSpec
from storage.db import Database
from storage.models import ButtonAction

log = logging.getLogger(__name__)

FEATURES: tuple[CommandSet, ...] = (
    help.commands,
    campaigns.commands,
    ideas.commands,
    members.commands,
    goals.commands,
    opendata.commands,
    moderation.commands,
    privacy.commands,
    status.commands,
    commitments.commands,
    pods.commands,
    preferences.commands,
    progress.commands,
)
"""Every feature module's commands; /help lists them in this order."""


class Core:
    """Handles updates one at a time on a worker thread, so the event loop never waits on the database."""

    def __init__(
        self,
        database: Database,
        config: CoreConfig,
        capabilities: dict[str, Capabilities] | None = None,
        features: Iterable[CommandSet] = FEATURES,
    ) -> None:
        self.database = database
        self.config = config
        self.router = Router(features)
        self.outbox = Outbox(capabilities)
        self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="townhall-core")
        self.limiter = UpdateLimiter(config.clock)
        self.after_commit: list[Callable[[list[JobSpec]], None]] = []
        """Called on the event loop after each committed unit of work, with the jobs it scheduled."""

    async def handle(self, incoming: Incoming) -> None:
        """Handle one update; replies are in the outbox when this returns.

        A sender over the fair-use limit is told once to slow down; their further updates are dropped
        here, before they queue for the worker, so that they do not delay anyone else. Facilitators named
        in the settings (and the console's local user) are trusted operators: no limit.
        """
        sender = (incoming.platform, incoming.sender.user_id)
        admitted = sender in self.config.facilitator_identities or self.limiter.admit(sender)
        if admitted is None:
            log.info(
                "update dropped over fair use platform=%s user=%s", incoming.platform, incoming.sender.user_id
            )
            return
        work = self.handle_now if admitted else self._ask_to_slow_down
        await self._on_worker(work, incoming)

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
        await self._on_worker(self.run_job_now, kind, payload)

    async def reconcile(self) -> list[JobSpec]:
        """Every job the stored state calls for, from each feature's reconcilers."""
        return await asyncio.get_running_loop().run_in_executor(self._worker, self._reconcile_now)

    async def _on_worker(self, work: Callable[..., list[JobSpec]], *args: Any) -> None:
        scheduled = await asyncio.get_running_loop().run_in_executor(self._worker, work, *args)
        for callback in self.after_commit:
            callback(scheduled)

    def run_job_now(self, kind: str, payload: dict[str, Any]) -> list[JobSpec]:
        handler = self.router.jobs.get(kind)
        if handler is None:
            log.error("scheduled job of unknown kind=%s dropped", kind)
            return []
        log.info("job kind=%s payload=%s", kind, payload)
        with self.database.session() as session:
            effects = Effects(session=session, config=self.config)
            handler(effects, payload)
            self._enqueue_messages(effects)
        return effects.scheduled

    def _reconcile_now(self) -> list[JobSpec]:
        now = self.config.clock()
        with self.database.session() as session:
            return [spec for reconciler in self.router.reconcilers for spec in reconciler(session, now)]

    def close(self) -> None:
        self._worker.shutdown(wait=True)

    def handle_now(self, incoming: Incoming) -> list[JobSpec]:
        """The synchronous heart of `handle`: used directly by tests and tools.

        A `UserError` rolls back everything the update changed, then answers in a transaction of its own.
        """
        if incoming.sender.is_bot:
            return []
        log.info(
            "update platform=%s chat=%s message=%s user=%s",
            incoming.platform,
            incoming.address.chat_id,
            incoming.message_id,
            incoming.sender.user_id,
        )
        if incoming.text_hidden:
            notices.notice_hidden_text(self.database, self.outbox, incoming, self.config.default_language)
            return []
        try:
            with self.database.session() as session:
                ctx = self._context(session, incoming)
                try:
                    self._dispatch(ctx)
                except UserError as error:
                    error.message = self._with_usage(ctx, error)
                    raise
                self._enqueue_messages(ctx)
            return ctx.scheduled
        except UserError as error:
            answer = error.message
            self._answer_alone(incoming, lambda ctx: answer)
        except Exception:
            log.exception(
                "update failed platform=%s chat=%s message=%s",
                incoming.platform,
                incoming.address.chat_id,
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
        """A private message could not reach its user: name them in a shared chat instead (outbox hook)."""
        notices.notify_unreachable(self.database, self.outbox, address, self.config.default_language)

    def _context(self, session: Session, incoming: Incoming) -> Context:
        member = member_for(session, incoming.sender, self.config)
        return Context(
            session=session,
            config=self.config,
            incoming=incoming,
            member=member,
            commands=self.router.commands,
        )

    def _enqueue_messages(self, effects: Effects) -> None:
        for address, message in effects.messages:
            self.outbox.enqueue(effects.session, address, message)

    def _answer_alone(self, incoming: Incoming, answer: Callable[[Context], str]) -> None:
        """Reply in a fresh transaction, after the update's own changes were rolled back.

        The answer to a button press concerns only the person who pressed it, so it is private.
        """
        try:
            with self.database.session() as session:
                ctx = self._context(session, incoming)
                ctx.reply(answer(ctx), private=incoming.button_token is not None)
                self._enqueue_messages(ctx)
        except Exception:
            log.exception("could not answer platform=%s chat=%s", incoming.platform, incoming.address.chat_id)

    def _dispatch(self, ctx: Context) -> None:
        incoming = ctx.incoming
        if incoming.button_token is not None:
            self._press(ctx, incoming.button_token)
            return
        parsed = (incoming.command, incoming.args) if incoming.command else parse_command(incoming.text)
        if parsed is None:
            if not ideas.record_hashtag_message(ctx) and ctx.is_private_chat:
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
        handler(ctx, action.payload)

    @staticmethod
    def _with_usage(ctx: Context, error: UserError) -> str:
        command = ctx.current_command
        if isinstance(error, UsageError) and command is not None and command.usage:
            return error.message + "\n" + ctx._("Usage: {usage}", usage=ctx._(command.usage))
        return error.message
