"""Telegram rendering, error mapping and update parsing, without a socket."""

from __future__ import annotations

from datetime import timedelta

import pytest
from telegram import Update
from telegram.error import BadRequest, ChatMigrated, Forbidden, NetworkError, RetryAfter, TimedOut

from adapters.base import Button, ChatKind, Outgoing, PermanentDeliveryError, TransientDeliveryError
from adapters.telegram.incoming import to_incoming
from adapters.telegram.pace import GroupPace
from adapters.telegram.render import MAX_CAPTION_LENGTH, MAX_TEXT_LENGTH, delivery_error, render
from bot.testing.fake_telegram import group, message_update, private, user

ALICE = user(6200000002, "Alice", "alice_m", language="fr")


def keyboard(markup) -> list[tuple[str, str | None, str | None]]:  # noqa: ANN001
    return [
        (button.text, button.callback_data, button.url) for row in markup.inline_keyboard for button in row
    ]


def test_a_link_button_adds_its_deep_link_under_the_text() -> None:
    message = Outgoing("Open invitation", buttons=(Button("Join #parks", "tok_1", link=True),))
    text, markup = render(message, "townhall_bot")
    assert text == "Open invitation\n\nhttps://t.me/townhall_bot?start=tok_1"
    assert keyboard(markup) == [("Join #parks", "tok_1", None)]


@pytest.mark.parametrize("image, limit", [(None, MAX_TEXT_LENGTH), ("chart.png", MAX_CAPTION_LENGTH)])
def test_a_deep_link_that_does_not_fit_becomes_a_url_button(image: str | None, limit: int) -> None:
    message = Outgoing("x" * (limit - 10), buttons=(Button("Join", "tok_1", link=True),), image_path=image)
    text, markup = render(message, "townhall_bot")
    assert text == message.text
    link = "https://t.me/townhall_bot?start=tok_1"
    assert keyboard(markup) == [("Join", "tok_1", None), (link, None, link)]


def test_plain_buttons_and_no_buttons() -> None:
    assert render(Outgoing("<b>&"), "bot") == ("<b>&", None)
    _text, markup = render(Outgoing("Pick", buttons=(Button("#a", "t1"), Button("#b", "t2"))), "bot")
    assert keyboard(markup) == [("#a", "t1", None), ("#b", "t2", None)]


@pytest.mark.parametrize(
    "error, kind",
    [
        (Forbidden("Forbidden: bot was blocked by the user"), PermanentDeliveryError),
        (BadRequest("Chat not found"), PermanentDeliveryError),
        (ChatMigrated(-1001), PermanentDeliveryError),
        (TimedOut(), TransientDeliveryError),
        (NetworkError("Bad Gateway"), TransientDeliveryError),
    ],
)
def test_bot_api_errors_map_to_delivery_errors(error: Exception, kind: type) -> None:
    assert isinstance(delivery_error(error), kind)  # type: ignore[arg-type]


@pytest.mark.parametrize("retry_after", [7, timedelta(seconds=7)])
def test_flood_control_keeps_the_wait_telegram_asked_for(retry_after: int | timedelta) -> None:
    mapped = delivery_error(RetryAfter(retry_after))
    assert isinstance(mapped, TransientDeliveryError) and mapped.retry_after == 7.0


def parse(update: dict, sees_only_commands: bool = False):  # noqa: ANN201
    return to_incoming(Update.de_json(update, None), "townhall_test_bot", sees_only_commands)


def test_a_group_message_in_a_forum_topic() -> None:
    update = message_update("Plant trees #parks", ALICE, group(), message_id=57)
    update["message"] |= {"message_thread_id": 12, "is_topic_message": True}
    incoming = parse(update, sees_only_commands=True)
    assert (incoming.address.chat_id, incoming.address.thread_id) == ("-1002100000001", "12")
    assert incoming.address.reply_handle == "57" and incoming.message_id == "57"
    assert incoming.chat_kind is ChatKind.GROUP and incoming.sees_only_commands
    assert incoming.sender.language_hint == "fr" and incoming.sender.display_name == "alice_m"


def test_start_with_a_payload_presses_in_private_and_means_help_elsewhere() -> None:
    pressed = parse(message_update("/start kY3pQ0vR7sT_", ALICE, private(ALICE)))
    assert pressed.button_token == "kY3pQ0vR7sT_" and pressed.chat_kind is ChatKind.PRIVATE
    assert not pressed.sees_only_commands
    in_group = parse(message_update("/start@townhall_test_bot kY3pQ0vR7sT_", ALICE, group()))
    assert (in_group.command, in_group.button_token) == ("help", None)


def test_commands_for_other_bots_and_messages_without_text_are_skipped() -> None:
    assert parse(message_update("/help@other_bot", ALICE, group())) is None
    assert parse(message_update("/help@TownHall_Test_Bot", ALICE, group())) is not None
    empty = message_update("", ALICE, group())
    del empty["message"]["text"]
    assert parse(empty) is None


def test_a_text_mention_names_the_person() -> None:
    update = message_update("/facilitator Bob", ALICE, group())
    bob = user(6200000004, "Bob")
    update["message"]["entities"].append({"offset": 13, "length": 3, "type": "text_mention", "user": bob})
    assert [mention.user_id for mention in parse(update).mentions] == ["6200000004"]


def test_a_reply_names_the_author_answered_but_a_forum_topics_first_message_does_not() -> None:
    bob = user(6200000004, "Bob")
    assert (
        parse(message_update("/facilitator", ALICE, group(), reply_to=bob)).reply_to.user_id == "6200000004"
    )
    in_topic = message_update("/facilitator", ALICE, group(), reply_to=bob)
    topic_root = in_topic["message"]["reply_to_message"]["message_id"]
    in_topic["message"].update(is_topic_message=True, message_thread_id=topic_root)
    assert parse(in_topic).reply_to is None
    robot = user(7300000001, "Echo", "echo_bot") | {"is_bot": True}
    assert parse(message_update("/facilitator", ALICE, group(), reply_to=robot)).reply_to is None


def test_a_group_takes_20_messages_a_minute_and_private_chats_are_not_counted() -> None:
    now = [1000.0]
    pace = GroupPace(clock=lambda: now[0])
    for _ in range(20):
        assert pace.wait(-100) == 0
        pace.sent(-100)
        pace.sent(42)
        now[0] += 1
    assert pace.wait(-100) == pytest.approx(40.0)  # the first of the 20 leaves the window at 1060
    assert pace.wait(-200) == 0 and pace.wait(42) == 0
    now[0] = 1060.0
    assert pace.wait(-100) == 0
