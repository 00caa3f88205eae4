"""Delivery through the outbox: nothing lost when a platform fails, order kept, long texts split well."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from adapters.recording import RecordingAdapter
from bot.testing.harness import Harness
from facilitation.kernel.events import Address, Outgoing
from facilitation.kernel.outbox import DeliveryService, PermanentDeliveryError, TransientDeliveryError
from storage.models import OutboxMessage

AFTER_ANY_BACKOFF = timedelta(hours=1)


def later() -> datetime:
    """A moment past every retry delay, so a deferred message is due again."""
    return datetime.now(UTC) + AFTER_ANY_BACKOFF


async def test_adapter_failing_once_then_succeeding_loses_no_message(database_url, tmp_path):
    adapter = RecordingAdapter()
    async with Harness.running(database_url, tmp_path, adapter=adapter) as harness:
        adapter.fail_next(1, TransientDeliveryError("HTTP 502", retry_after=0))
        assert await harness.say("/help") == []
        [row] = harness.rows(OutboxMessage)
        assert row.status == "pending" and row.attempts == 1 and "502" in row.last_error

        await harness.townhall.delivery.deliver_due(later())
        assert "Commands" in adapter.sent[-1].text
        [row] = harness.rows(OutboxMessage)
        assert row.status == "sent" and row.attempts == 2


async def test_messages_pending_at_a_crash_are_delivered_at_the_next_start(database_url, tmp_path):
    down = RecordingAdapter()
    async with Harness.running(database_url, tmp_path, adapter=down) as harness:
        down.fail_next(5)
        await harness.say("/campaigns")
    assert down.sent == []

    restarted = RecordingAdapter()
    async with Harness.running(database_url, tmp_path, adapter=restarted) as harness:
        await harness.townhall.delivery.deliver_due(later())
        assert [sent.text for sent in restarted.sent] == [
            "There is no campaign yet. A facilitator can start one with /campaign."
        ]
        assert {row.status for row in harness.rows(OutboxMessage)} == {"sent"}


async def test_a_failed_message_holds_back_later_ones_to_the_same_chat_only(database_url, tmp_path):
    adapter = RecordingAdapter()
    async with Harness.running(database_url, tmp_path, adapter=adapter) as harness:
        core = harness.townhall.core
        with harness.townhall.database.session() as session:
            for chat, text in (("a", "first to a"), ("a", "second to a"), ("b", "only to b")):
                core.outbox.enqueue(session, Address("recording", chat), Outgoing(text))
        adapter.fail_next(1)
        await harness.townhall.delivery.deliver_due()
        assert [sent.text for sent in adapter.sent] == ["only to b"]
        await harness.townhall.delivery.deliver_due(later())
        assert [sent.text for sent in adapter.sent] == ["only to b", "first to a", "second to a"]


async def test_a_permanent_failure_is_recorded_with_its_reason_and_not_retried(database_url, tmp_path):
    adapter = RecordingAdapter()
    async with Harness.running(database_url, tmp_path, adapter=adapter) as harness:
        adapter.fail_next(1, PermanentDeliveryError("bot was blocked by the user"))
        await harness.say("/campaigns")
        [row] = harness.rows(OutboxMessage)
        assert row.status == "failed" and row.last_error == "bot was blocked by the user"
        await harness.townhall.delivery.deliver_due(later())
        assert adapter.sent == []


async def test_long_texts_are_split_to_the_platform_limit_between_words(database_url, tmp_path):
    adapter = RecordingAdapter(max_text_length=300)
    async with Harness.running(database_url, tmp_path, adapter=adapter) as harness:
        await harness.start_parks()
        for number in range(10):
            await harness.say(f"/idea Idea {number}: " + "shaded benches and drinking fountains " * 5)
        pieces = await harness.say("/ideas")
    assert len(pieces) > 1
    assert all(len(piece.text) <= 300 for piece in pieces)
    assert all(not piece.message.buttons for piece in pieces[:-1])
    vocabulary = {"shaded", "benches", "and", "drinking", "fountains"}
    words = {word for piece in pieces for word in piece.text.split()}
    assert "benches" in words
    cut_words = {word for word in words for whole in vocabulary if whole.startswith(word) and word != whole}
    assert cut_words <= vocabulary, "a word was cut in two"


async def test_a_paced_chat_waits_without_holding_back_other_chats(database_url, tmp_path):
    adapter = RecordingAdapter()
    adapter.capabilities = replace(adapter.capabilities, per_chat_interval=0.5)
    async with Harness.running(database_url, tmp_path, adapter=adapter) as harness:
        with harness.townhall.database.session() as session:
            for chat, text in (("a", "a1"), ("a", "a2"), ("b", "b1")):
                harness.townhall.core.outbox.enqueue(session, Address("recording", chat), Outgoing(text))
        await harness.townhall.delivery.deliver_due()
        assert [sent.text for sent in adapter.sent] == ["a1", "b1"]
        assert "a2" in await harness.wait_for_text("a2", timeout=5)


async def test_two_delivery_services_on_one_database_send_each_message_once(database_url, tmp_path):
    adapter = RecordingAdapter()
    async with Harness.running(database_url, tmp_path, adapter=adapter) as harness:
        await harness.townhall.delivery.stop()  # only the two services below deliver
        with harness.townhall.database.session() as session:
            for number in range(20):
                harness.townhall.core.outbox.enqueue(
                    session, Address("recording", f"chat{number}"), Outgoing(f"m{number}")
                )
        first = DeliveryService(harness.townhall.database, {"recording": adapter})
        second = DeliveryService(harness.townhall.database, {"recording": adapter})
        await asyncio.gather(first.deliver_due(), second.deliver_due())
        assert sorted(sent.text for sent in adapter.sent) == sorted(f"m{number}" for number in range(20))


async def test_a_private_reply_is_not_held_behind_a_busy_group(database_url, tmp_path):
    """A group with a long backlog is paced one message a second; a private answer queued behind it goes
    out in the same pass, and the group's own messages keep their order."""
    adapter = RecordingAdapter()
    adapter.capabilities = replace(adapter.capabilities, per_chat_interval=1.0)
    async with Harness.running(database_url, tmp_path, adapter=adapter) as harness:
        await harness.townhall.delivery.stop()  # the passes below are the only ones
        with harness.townhall.database.session() as session:
            for number in range(140):
                harness.townhall.core.outbox.enqueue(
                    session, Address("recording", "group"), Outgoing(f"reply {number} to the group")
                )
            harness.townhall.core.outbox.enqueue(
                session, Address("recording", "alice"), Outgoing("your /help")
            )
        await harness.townhall.delivery.deliver_due()
        assert [sent.text for sent in adapter.sent] == ["reply 0 to the group", "your /help"]
        adapter.capabilities = replace(adapter.capabilities, per_chat_interval=0.0)
        while await harness.townhall.delivery.deliver_due():
            pass
        group = [sent.text for sent in adapter.sent if sent.address.chat_id == "group"]
        assert group == [f"reply {number} to the group" for number in range(140)]


async def test_chats_take_turns_one_message_each(database_url, tmp_path):
    """Round-robin by chat: each chat with messages waiting sends one, then each sends its next one."""
    adapter = RecordingAdapter()
    async with Harness.running(database_url, tmp_path, adapter=adapter) as harness:
        await harness.townhall.delivery.stop()
        with harness.townhall.database.session() as session:
            for chat, text in (("a", "a1"), ("a", "a2"), ("a", "a3"), ("b", "b1"), ("b", "b2"), ("c", "c1")):
                harness.townhall.core.outbox.enqueue(session, Address("recording", chat), Outgoing(text))
        await harness.townhall.delivery.deliver_due()
        assert [sent.text for sent in adapter.sent] == ["a1", "b1", "c1", "a2", "b2", "a3"]
