"""Neutral `Outgoing` messages as Discord message fields: escaped text, buttons, an image, no mass pings."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import discord

from facilitation.kernel.events import Button, Outgoing
from facilitation.kernel.text import shorten

DISCORD_MESSAGE_LIMIT = 2000
"""Characters in one Discord message."""

MENTION_RESERVE = 32
"""Room kept under the limit for a leading mention, `<@` a snowflake of up to 20 digits `> `."""

BUTTON_LABEL_LIMIT = 80
CUSTOM_ID_LIMIT = 100
BUTTONS_PER_MESSAGE = 25
"""Five rows of five buttons."""

TOKEN_TEMPLATE = r"[A-Za-z0-9_-]{1,100}"
"""The core's button tokens (URL-safe base64), sent as the custom_id itself."""

NO_PINGS = discord.AllowedMentions(everyone=False, users=False, roles=False, replied_user=False)
"""Nothing a user wrote may ping @everyone, @here, a role or a person."""


class TokenButton(discord.ui.DynamicItem[discord.ui.Button], template=TOKEN_TEMPLATE):
    """A button whose custom_id is the core's stored token.

    Registered with `Client.add_dynamic_items` at start, so a press on a button posted before a restart
    still reaches the core, which knows the token (or answers that it has expired).
    """

    def __init__(self, token: str, label: str = "…") -> None:
        super().__init__(discord.ui.Button(label=label, custom_id=token, style=discord.ButtonStyle.secondary))
        self.token = token

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Button, match: re.Match[str]
    ) -> TokenButton:
        return cls(match.group(0), item.label or "…")

    async def callback(self, interaction: discord.Interaction) -> None:
        await interaction.client.adapter.on_press(interaction, self.token)  # type: ignore[attr-defined]


MARKDOWN = re.compile(
    r"(?P<url><[^: >\\]+:/[^ >\\]+>|(?:https?|steam)://[^\s<\\]+[^<.,:;\"'\]\s\\])"
    r"|(?P<markdown>[_\\~|*`\[]|^>(?:>>)?\s|^#{1,3}|^[ \t]*-)",
    re.MULTILINE,
)
"""A link, left as it is so that it stays clickable, or one piece of Discord markdown to escape."""


def _escaped(match: re.Match[str]) -> str:
    if match.group("url"):
        return match.group("url")
    markdown = match.group("markdown")
    symbol = markdown.lstrip(" \t")
    return markdown[: len(markdown) - len(symbol)] + "\\" + symbol


def escape(text: str) -> str:
    """Plain text shown as written: Discord markdown characters are escaped, links kept clickable.

    Like discord.py's `escape_markdown`, except that every `[` is escaped alone (its masked-link pattern
    swallows the backslashes and asterisks between two links), an indented list dash is escaped right
    before the dash (not before the indent, where Discord shows the backslash), and a backslash ends a
    link (so that it is escaped too).
    """
    return MARKDOWN.sub(_escaped, text)


def rendered_length(text: str) -> int:
    """What Discord counts of a text against its limit: the escaped text (the outbox splits by it)."""
    return len(escape(text))


def content(message: Outgoing) -> str:
    """The message text for Discord, escaped, with the mentioned person first.

    The core splits texts by `rendered_length`, so the escaped text fits; should it not, the text goes
    unescaped rather than refused (nothing may be lost).
    """
    text = escape(message.text)
    if len(text) > DISCORD_MESSAGE_LIMIT - MENTION_RESERVE:
        text = message.text
    if message.mention:
        text = f"<@{int(message.mention)}> {text}"
    return text


def allowed_mentions(message: Outgoing) -> discord.AllowedMentions:
    """No mass, role or reply pings; only the person the message names on purpose."""
    if message.mention:
        return discord.AllowedMentions(
            everyone=False, roles=False, replied_user=False, users=[discord.Object(int(message.mention))]
        )
    return NO_PINGS


def view(buttons: tuple[Button, ...]) -> discord.ui.View | None:
    """The buttons as a view without timeout; presses are dispatched by `TokenButton`'s template."""
    if not buttons:
        return None
    rendered = discord.ui.View(timeout=None)
    for button in buttons[:BUTTONS_PER_MESSAGE]:
        rendered.add_item(TokenButton(button.token, shorten(button.label, BUTTON_LABEL_LIMIT)))
    return rendered


def fields(message: Outgoing) -> dict[str, Any]:
    """Keyword arguments shared by `Messageable.send` and `Webhook.send`; an image or a document (an
    export) as attachments."""
    values: dict[str, Any] = {"content": content(message), "allowed_mentions": allowed_mentions(message)}
    rendered = view(message.buttons)
    if rendered is not None:
        values["view"] = rendered
    paths = [path for path in (message.image_path, message.file_path) if path]
    if paths:
        values["files"] = [discord.File(Path(path)) for path in paths]
    return values
