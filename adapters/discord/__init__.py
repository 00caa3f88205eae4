"""Townhall on Discord: slash commands, buttons and hashtag messages, through discord.py 2.x."""

from adapters.discord.adapter import DiscordAdapter

__all__ = ["DiscordAdapter"]
