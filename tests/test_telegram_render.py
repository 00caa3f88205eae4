"""Telegram rendering and error mapping, without a socket."""

from __future__ import annotations

from datetime import timedelta

import pytest
from telegram.error import BadRequest, ChatMigrated, Forbidden, NetworkError, RetryAfter, TimedOut

from adapters.base import Button, Outgoing, PermanentDeliveryError, TransientDeliveryError
from adapters.telegram.render import MAX_CAPTION_LENGTH, MAX_TEXT_LENGTH, delivery_error, render


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
