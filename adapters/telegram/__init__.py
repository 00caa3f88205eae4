"""Telegram: python-telegram-bot inside Townhall's event loop, by long polling or webhook."""

from adapters.telegram.adapter import TelegramAdapter, Webhook

__all__ = ["TelegramAdapter", "Webhook"]
