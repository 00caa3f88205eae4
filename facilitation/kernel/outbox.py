"""The outbox: every outgoing message is stored first, then delivered by one service that calls adapters.

A message is marked sent only after its adapter confirms, so a crash between the two sends it again
after restart rather than losing it. Long texts are split here, once, by the target platform's limit.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Protocol

from sqlalchemy import func, update
from sqlmodel import Session, col, select

from facilitation.kernel.events import (
    Address,
    Capabilities,
    Outgoing,
    PermanentDeliveryError,
    RecipientUnreachableError,
    TransientDeliveryError,
)
from facilitation.kernel.log_ids import logged_id
from facilitation.kernel.text import split_text
from storage.db import Database, scrub_deleted
from storage.models import OutboxMessage

log = logging.getLogger(__name__)

FALLBACK_CAPABILITIES = Capabilities(max_text_length=2000, max_button_payload_bytes=64)
"""Used to split messages for a platform whose adapter is not running in this process."""

RETRY_BASE_SECONDS = 1.0
RETRY_CAP_SECONDS = 300.0
DELIVERY_BATCH_SIZE = 500
"""Messages one delivery round loads, the first of every waiting chat before the second of any."""
DELIVERY_ROWS_PER_CHAT = 20
"""A chat's messages in one round: a busy chat's backlog never fills the batch in place of other chats."""
IDLE_POLL_SECONDS = 5.0
CLAIM_LEASE_SECONDS = 30.0
"""A message being sent is claimed for this long (well past adapters' request timeouts), so another process
does not send it too. A message in flight when its process dies is sent again once the claim lapses: the
one window where a duplicate is possible, one message per chat, and its chat waits until then."""


UNKEYED_LOG_ID = partial(logged_id, "")
"""Hashes ids for log lines when no key is given (tools that deliver without the settings)."""


class Transport(Protocol):
    """What the delivery service needs of an adapter."""

    platform: str
    capabilities: Capabilities

    async def send(self, address: Address, message: Outgoing) -> str | None:
        """Deliver one message; return the platform's message id if it gives one."""
        ...


class Outbox:
    """Writes outgoing messages, split to fit each platform, inside the caller's transaction."""

    def __init__(self, capabilities: Mapping[str, Capabilities] | None = None) -> None:
        self.capabilities: dict[str, Capabilities] = dict(capabilities or {})

    def enqueue(self, session: Session, address: Address, message: Outgoing) -> list[OutboxMessage]:
        """Store `message` for `address`; buttons and attachments stay with the last piece of a split text.

        An image or a file whose text is too long for a caption goes alone after the text.
        """
        capabilities = self.capabilities.get(address.platform, FALLBACK_CAPABILITIES)
        pieces = split_text(message.text, capabilities.max_text_length, capabilities.rendered_length)
        caption_limit = capabilities.max_caption_length
        attached = message.image_path or message.file_path
        if (
            attached
            and caption_limit is not None
            and capabilities.rendered_length(pieces[-1]) > caption_limit
        ):
            pieces.append("")
        rows = []
        for index, piece in enumerate(pieces):
            last = index == len(pieces) - 1
            part = replace(
                message,
                text=piece,
                buttons=message.buttons if last else (),
                image_path=message.image_path if last else None,
                file_path=message.file_path if last else None,
            )
            row = OutboxMessage(platform=address.platform, address=address.to_dict(), payload=part.to_dict())
            session.add(row)
            rows.append(row)
        return rows


def retry_delay(attempts: int, retry_after: float | None = None) -> float:
    """Capped exponential backoff with jitter, never shorter than what the platform asked for."""
    backoff = min(RETRY_CAP_SECONDS, RETRY_BASE_SECONDS * 2 ** max(attempts - 1, 0))
    backoff *= random.uniform(0.5, 1.0)
    return max(backoff, retry_after or 0.0)


class DeliveryService:
    """Delivers due outbox messages through the running transports, in order per chat."""

    def __init__(
        self,
        database: Database,
        transports: Mapping[str, Transport],
        log_id: Callable[[str | None], str] = UNKEYED_LOG_ID,
    ) -> None:
        """`log_id` hashes chat ids for log lines (a private chat's id is its user's id)."""
        self.database = database
        self.log_id = log_id
        self.transports = dict(transports)
        self._wakeup = asyncio.Event()
        self._lock = asyncio.Lock()
        self._task: asyncio.Task[None] | None = None
        self._last_send: dict[tuple[str, str], float] = {}  # per chat, on the loop's monotonic clock
        self._last_platform_send: dict[str, float] = {}
        self._paced_wait: float | None = None
        self._stopping = False
        self.on_unreachable: Callable[[Address], None] | None = None
        """Called on a worker thread with the address of a private message that could not reach its user."""

    def wake(self) -> None:
        self._wakeup.set()

    async def send_unstored(self, address: Address, message: Outgoing) -> None:
        """Send one message now without the outbox, when the database is away: tried once, never retried."""
        transport = self.transports.get(address.platform)
        if transport is None:
            return
        try:
            await transport.send(address, message)
        except Exception:
            log.warning(
                "unstored message not delivered platform=%s chat=%s",
                address.platform,
                self.log_id(address.chat_id),
            )

    async def start(self) -> None:
        self._stopping = False
        self._task = asyncio.create_task(self._run(), name="outbox-delivery")

    async def stop(self) -> None:
        if self._task is not None:
            # The flag as well as the cancel: Python 3.11's wait_for swallows a cancellation that arrives
            # as the wake-up event is set, and the loop would then run on and stop() wait forever.
            self._stopping = True
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None

    async def _run(self) -> None:
        while not self._stopping:
            try:
                await self.deliver_due(from_loop=True)
                timeout = await self._seconds_until_next_due()
            except Exception:  # the database away, say: the loop must outlive it
                log.exception("outbox delivery pass failed")
                timeout = IDLE_POLL_SECONDS
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wakeup.wait(), timeout=timeout)
            self._wakeup.clear()

    async def deliver_due(self, now: datetime | None = None, from_loop: bool = False) -> int:
        """One pass over messages due by `now` (default: the present); returns how many were sent.

        Chats take turns: each round sends the next message of every chat whose turn it is (its earlier
        messages sent, its pace allowing), then the round after sends each chat's following one, so a
        private answer never waits behind a busy group's backlog. Rounds go on while one sends anything.

        Passes never overlap, so no message is handed to an adapter twice by one process. A pass made
        outside the delivery loop that leaves a chat waiting for its pace wakes the loop, so that it
        sleeps until that chat's turn rather than its idle interval.
        """
        async with self._lock:
            moment = now or datetime.now(UTC)
            self._paced_wait = None
            sent = 0
            while sent_this_round := await self._deliver_round(moment):
                sent += sent_this_round
            if self._paced_wait is not None and not from_loop:
                self._wakeup.set()
            return sent

    async def _deliver_round(self, moment: datetime) -> int:
        rows = await asyncio.to_thread(self._load_pending)
        sent = 0
        held_chats: set[tuple[str, str]] = set()
        for row in rows:
            chat = (row.platform, str(row.address.get("chat_id")))
            if chat in held_chats:
                continue
            held_chats.add(chat)  # until this message is out, later ones to the chat wait: keep the order
            if row.next_attempt_at > moment or self._paced(chat):
                continue
            if not await asyncio.to_thread(self._claim, row, moment):
                continue  # another process is sending it
            await self._pace_platform(row.platform)
            if await self._deliver(row):
                sent += 1
                self._last_send[chat] = asyncio.get_running_loop().time()
                held_chats.discard(chat)
        return sent

    def _paced(self, chat: tuple[str, str]) -> bool:
        """Whether `chat` got a message too recently for its platform's pace; notes when to look again."""
        interval = self.transports[chat[0]].capabilities.per_chat_interval
        last = self._last_send.get(chat)
        if not interval or last is None:
            return False
        wait = last + interval - asyncio.get_running_loop().time()
        if wait <= 0:
            return False
        self._paced_wait = wait if self._paced_wait is None else min(self._paced_wait, wait)
        return True

    async def _pace_platform(self, platform: str) -> None:
        """Keep to the platform's overall pace by waiting between sends."""
        interval = self.transports[platform].capabilities.global_interval
        loop = asyncio.get_running_loop()
        last = self._last_platform_send.get(platform)
        if interval and last is not None and (wait := last + interval - loop.time()) > 0:
            await asyncio.sleep(wait)
        self._last_platform_send[platform] = loop.time()

    async def _deliver(self, row: OutboxMessage) -> bool:
        transport = self.transports[row.platform]
        address = Address.from_dict(row.address)
        try:
            platform_message_id = await transport.send(address, Outgoing.from_dict(row.payload))
        except TransientDeliveryError as error:
            delay = retry_delay(row.attempts + 1, error.retry_after)
            log.warning(
                "delivery deferred platform=%s chat=%s outbox=%s in=%.1fs: %s",
                row.platform,
                self.log_id(address.chat_id),
                row.id,
                delay,
                error,
            )
            await asyncio.to_thread(self._mark_retry, row.id, str(error), delay)
            return False
        except PermanentDeliveryError as error:
            log.error(
                "delivery failed platform=%s chat=%s outbox=%s: %s",
                row.platform,
                self.log_id(address.chat_id),
                row.id,
                error,
            )
            await asyncio.to_thread(self._mark_failed, row.id, str(error))
            if isinstance(error, RecipientUnreachableError) and self.on_unreachable is not None:
                await asyncio.to_thread(self.on_unreachable, address)
                self.wake()
            return False
        except Exception as error:  # an adapter bug or an unclassified network error: retry, do not lose
            delay = retry_delay(row.attempts + 1)
            log.exception(
                "delivery error platform=%s chat=%s outbox=%s",
                row.platform,
                self.log_id(address.chat_id),
                row.id,
            )
            await asyncio.to_thread(self._mark_retry, row.id, repr(error), delay)
            return False
        await asyncio.to_thread(self._mark_sent, row.id, platform_message_id)
        return True

    def _claim(self, row: OutboxMessage, moment: datetime) -> bool:
        """Take the message for this process by pushing its due time past the lease, if no one else did."""
        lease_end = moment + timedelta(seconds=CLAIM_LEASE_SECONDS)
        with self.database.session() as session:
            claimed = session.execute(
                update(OutboxMessage)
                .where(col(OutboxMessage.id) == row.id)
                .where(col(OutboxMessage.status) == "pending")
                .where(col(OutboxMessage.next_attempt_at) == row.next_attempt_at)
                .values(next_attempt_at=lease_end)
            )
            return claimed.rowcount == 1

    def _load_pending(self) -> list[OutboxMessage]:
        """Pending messages in turns: every chat's first, then every chat's second, and so on; a chat's
        messages in the order they were written."""
        if not self.transports:
            return []
        turn = (
            func.row_number()
            .over(
                partition_by=(col(OutboxMessage.platform), col(OutboxMessage.address)["chat_id"].as_string()),
                order_by=col(OutboxMessage.id),
            )
            .label("turn")
        )
        waiting = (
            select(col(OutboxMessage.id), turn)
            .where(OutboxMessage.status == "pending")
            .where(col(OutboxMessage.platform).in_(self.transports))
            .subquery()
        )
        with self.database.session() as session:
            statement = (
                select(OutboxMessage)
                .join(waiting, waiting.c.id == col(OutboxMessage.id))
                .where(waiting.c.turn <= DELIVERY_ROWS_PER_CHAT)
                .order_by(waiting.c.turn, col(OutboxMessage.id))
                .limit(DELIVERY_BATCH_SIZE)
            )
            return list(session.exec(statement))

    async def _seconds_until_next_due(self) -> float:
        def earliest() -> datetime | None:
            if not self.transports:
                return None
            with self.database.session() as session:
                statement = (
                    select(OutboxMessage.next_attempt_at)
                    .where(OutboxMessage.status == "pending")
                    .where(col(OutboxMessage.platform).in_(self.transports))
                    .order_by(col(OutboxMessage.next_attempt_at))
                    .limit(1)
                )
                return session.exec(statement).first()

        due = await asyncio.to_thread(earliest)
        wait = IDLE_POLL_SECONDS if due is None else max(0.0, (due - datetime.now(UTC)).total_seconds())
        if self._paced_wait is not None:
            wait = min(wait, self._paced_wait)
        return min(IDLE_POLL_SECONDS, wait)

    def _mark_sent(self, outbox_id: int | None, platform_message_id: str | None) -> None:
        if self._erased(outbox_id):
            return
        with self.database.session() as session:
            row = session.get_one(OutboxMessage, outbox_id)
            row.status = "sent"
            row.attempts += 1
            row.sent_at = datetime.now(UTC)
            row.platform_message_id = platform_message_id
            row.last_error = None

    def _mark_retry(self, outbox_id: int | None, reason: str, delay: float) -> None:
        with self.database.session() as session:
            row = session.get_one(OutboxMessage, outbox_id)
            row.attempts += 1
            row.last_error = reason
            row.next_attempt_at = datetime.now(UTC) + timedelta(seconds=delay)

    def _mark_failed(self, outbox_id: int | None, reason: str) -> None:
        if self._erased(outbox_id):
            return
        with self.database.session() as session:
            row = session.get_one(OutboxMessage, outbox_id)
            row.attempts += 1
            row.status = "failed"
            row.last_error = reason

    def _erased(self, outbox_id: int | None) -> bool:
        """Delete a message done with that asked to leave no copy (`Outgoing.erase_when_sent`); whether it did."""
        with self.database.session() as session:
            row = session.get_one(OutboxMessage, outbox_id)
            if not row.payload.get("erase_when_sent"):
                return False
            session.delete(row)
        scrub_deleted(self.database.engine)
        return True

    def pending_count(self) -> int:
        """Messages still waiting for a running transport."""
        if not self.transports:
            return 0
        with self.database.session() as session:
            statement = (
                select(OutboxMessage.id)
                .where(OutboxMessage.status == "pending")
                .where(col(OutboxMessage.platform).in_(self.transports))
            )
            return len(session.exec(statement).all())
