"""Discord slash commands built from the core's command list, described in English and French.

Each core `Command` becomes an `app_commands.Command` whose typed options are the command's `fields()`;
a call is turned back into the argument text the core parses. Descriptions are catalogue msgids, put in
French by `CatalogueTranslator` when the commands are synced (`townhall discord sync`).
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Literal

import discord
from discord import app_commands
from discord.app_commands import TranslationContextLocation, locale_str

from facilitation.kernel.i18n import Translator
from facilitation.kernel.router import Command, Option, OptionKind
from facilitation.kernel.text import shorten

DESCRIPTION_LIMIT = 100
"""Characters in a Discord command or option description."""

DISCORD_LANGUAGES: dict[discord.Locale, str] = {discord.Locale.french: "fr"}
"""Discord locales Townhall translates descriptions into (English is the source)."""

CommandHandler = Callable[[discord.Interaction, Command, dict[str, Any]], Awaitable[None]]

_DESCRIPTIONS = (
    TranslationContextLocation.command_description,
    TranslationContextLocation.parameter_description,
)


class CatalogueTranslator(app_commands.Translator):
    """Descriptions from Townhall's catalogue; names stay English so that they match /help everywhere."""

    async def translate(
        self, string: locale_str, locale: discord.Locale, context: app_commands.TranslationContextTypes
    ) -> str | None:
        language = DISCORD_LANGUAGES.get(locale)
        if language is None or context.location not in _DESCRIPTIONS:
            return None
        translated = Translator(language).gettext(string.message)
        return shorten(translated, DESCRIPTION_LIMIT) if translated != string.message else None


def _annotation(option: Option) -> Any:
    if option.choices:
        return Literal[option.choices]  # type: ignore[valid-type]
    if option.kind is OptionKind.INTEGER:
        return app_commands.Range[int, 1, None]
    if option.kind is OptionKind.USER:
        return discord.User
    if option.kind is OptionKind.HASHTAG:
        longest = option.max_length + 1 if option.max_length is not None else None  # with its leading #
        return app_commands.Range[str, 2, longest]
    return str


def slash_command(command: Command, handler: CommandHandler) -> app_commands.Command:
    """The slash command for one core command; its callback hands the typed values to `handler`."""
    options = command.fields()

    async def callback(interaction: discord.Interaction, **values: Any) -> None:
        await handler(interaction, command, values)

    parameters = [
        inspect.Parameter(
            "interaction", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=discord.Interaction
        )
    ]
    for option in options:
        annotation = _annotation(option)
        parameters.append(
            inspect.Parameter(
                option.name,
                inspect.Parameter.KEYWORD_ONLY,
                annotation=annotation if option.required else annotation | None,
                default=inspect.Parameter.empty if option.required else None,
            )
        )
    callback.__signature__ = inspect.Signature(parameters)  # type: ignore[attr-defined]
    callback.__discord_app_commands_param_description__ = {  # type: ignore[attr-defined]
        option.name: locale_str(shorten(option.description, DESCRIPTION_LIMIT)) for option in options
    }
    return app_commands.Command(
        name=command.name,
        description=locale_str(shorten(command.summary, DESCRIPTION_LIMIT)),
        callback=callback,
    )


def add_commands(
    tree: app_commands.CommandTree, commands: Mapping[str, Command], handler: CommandHandler
) -> None:
    """Every core command as a global slash command of `tree`."""
    for command in commands.values():
        tree.add_command(slash_command(command, handler))
