"""The Discord adapter's pure parts: rendering, slash command fields, and how failures are classified."""

from __future__ import annotations

import re
from types import SimpleNamespace

import discord
import pytest

from adapters.discord.adapter import delivery_error
from adapters.discord.commands import DESCRIPTION_LIMIT
from adapters.discord.render import allowed_mentions, content
from facilitation.core import FEATURES
from facilitation.events import Outgoing
from facilitation.i18n import SUPPORTED_LANGUAGES, Translator
from facilitation.outbox import PermanentDeliveryError, RecipientUnreachableError, TransientDeliveryError
from facilitation.router import Router

COMMANDS = Router(FEATURES).commands
DISCORD_NAME = re.compile(r"^[-_\w]{1,32}$")


def http_error(kind: type[discord.HTTPException], status: int) -> discord.HTTPException:
    return kind(SimpleNamespace(status=status, reason="reason"), {"message": "refused", "code": 0})


def test_user_text_is_shown_as_written_and_pings_nobody() -> None:
    message = Outgoing("# not a title, *not bold* @everyone")
    assert content(message) == "\\# not a title, \\*not bold\\* @everyone"
    assert allowed_mentions(message).to_dict() == {"parse": []}


def test_a_named_person_is_the_only_one_notified() -> None:
    message = Outgoing("Hello", mention="42")
    assert content(message) == "<@42> Hello"
    assert allowed_mentions(message).to_dict() == {"parse": [], "users": [42]}


def test_every_slash_command_and_field_fits_discord_in_every_language() -> None:
    for language in SUPPORTED_LANGUAGES:
        _ = Translator(language).gettext
        for command in COMMANDS.values():
            assert DISCORD_NAME.match(command.name) and command.name == command.name.lower()
            assert 0 < len(_(command.summary)) <= DESCRIPTION_LIMIT, command.name
            for option in command.fields():
                assert DISCORD_NAME.match(option.name) and option.name == option.name.lower()
                assert 0 < len(_(option.description)) <= DESCRIPTION_LIMIT, (command.name, option.name)


def test_fields_are_joined_into_the_arguments_a_user_would_type() -> None:
    campaign = COMMANDS["campaign"].arguments(
        {"hashtag": "parks", "title": "Better parks", "challenge": "How?"}
    )
    assert campaign == "#parks Better parks | How?"
    assert COMMANDS["ideas"].arguments({"hashtag": None, "page": 2}) == "2"
    assert COMMANDS["idea"].arguments({"idea": "More benches", "hashtag": "#parks"}) == "#parks More benches"


@pytest.mark.parametrize(
    ("error", "direct", "expected"),
    [
        (http_error(discord.HTTPException, 429), False, TransientDeliveryError),
        (http_error(discord.DiscordServerError, 503), False, TransientDeliveryError),
        (OSError("connection reset"), False, TransientDeliveryError),
        (http_error(discord.Forbidden, 403), False, PermanentDeliveryError),
        (http_error(discord.NotFound, 404), False, PermanentDeliveryError),
        (http_error(discord.HTTPException, 400), False, PermanentDeliveryError),
        (http_error(discord.Forbidden, 403), True, RecipientUnreachableError),
    ],
)
def test_discord_failures_are_retried_or_given_up(error: Exception, direct: bool, expected: type) -> None:
    classified = delivery_error(error, direct_message=direct)
    assert type(classified) is expected
