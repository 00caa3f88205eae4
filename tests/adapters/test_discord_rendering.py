"""The Discord adapter's pure parts: rendering, slash command fields, and how failures are classified."""

from __future__ import annotations

import re
from types import SimpleNamespace

import discord
import pytest
from discord import app_commands

from adapters.discord.adapter import delivery_error
from adapters.discord.commands import DESCRIPTION_LIMIT, CatalogueTranslator, add_commands
from adapters.discord.render import allowed_mentions, content
from facilitation.features import FEATURES
from facilitation.kernel.events import Outgoing
from facilitation.kernel.i18n import Translator
from facilitation.kernel.outbox import (
    PermanentDeliveryError,
    RecipientUnreachableError,
    TransientDeliveryError,
)
from facilitation.kernel.router import Router

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


async def test_every_slash_command_and_field_fits_discord_in_every_language() -> None:
    client = discord.Client(intents=discord.Intents.default())
    tree = app_commands.CommandTree(client)

    async def unused(*args: object) -> None: ...

    add_commands(tree, COMMANDS, unused)
    payloads = [
        await command.get_translated_payload(tree, CatalogueTranslator()) for command in tree.get_commands()
    ]
    assert {payload["name"] for payload in payloads} == set(COMMANDS)
    for payload in payloads:
        for entry in [payload, *payload["options"]]:
            assert DISCORD_NAME.match(entry["name"]) and entry["name"] == entry["name"].lower()
            descriptions = [entry["description"], *entry.get("description_localizations", {}).values()]
            assert all(0 < len(text) <= DESCRIPTION_LIMIT for text in descriptions), entry
    ideas = next(payload for payload in payloads if payload["name"] == "ideas")
    assert ideas["description_localizations"] == {"fr": "Afficher les dernières idées, page par page"}


@pytest.mark.parametrize("language", ["en", "fr"])
def test_every_command_and_field_description_fits_discord_without_cutting(language: str) -> None:
    """The catalogue's own texts, before the adapter's safety cut: Discord refuses more than 100 characters."""
    translate = Translator(language).gettext
    too_long = {
        f"/{name}": text
        for name, command in COMMANDS.items()
        for text in (
            translate(command.summary),
            *(translate(field.description) for field in command.fields()),
        )
        if len(text) > DESCRIPTION_LIMIT
    }
    assert too_long == {}


def test_fields_are_joined_into_the_arguments_a_user_would_type() -> None:
    campaign = COMMANDS["campaign"].arguments(
        {"hashtag": "parks", "title": "Better parks", "challenge": "How?"}
    )
    assert campaign == "#parks Better parks | How?"
    assert COMMANDS["ideas"].arguments({"hashtag": None, "page": 2}) == "2"
    assert COMMANDS["idea"].arguments({"idea": "More benches", "hashtag": "#parks"}) == "#parks More benches"
    commitment = {"action": "Clear Rue Clark", "due": "vendredi", "serves": "prototype 2", "hashtag": "parks"}
    assert COMMANDS["commit"].arguments(commitment) == "Clear Rue Clark by vendredi prototype 2 #parks"


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
