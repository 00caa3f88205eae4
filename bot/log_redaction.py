"""Secrets never reach a log line, at any level: the configured tokens and secrets are masked in every
record's message and traceback before a handler writes it (python-telegram-bot and httpx print request URLs,
and Telegram's URLs carry the bot token)."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from urllib.parse import quote

MASK = "[redacted]"
SHORTEST_SECRET = 8
"""Shorter values (an empty setting, a placeholder) are not masked: they would blank ordinary words."""


class RedactSecrets(logging.Filter):
    """A handler filter that replaces each secret, as written and as URL-encoded, with `MASK`."""

    def __init__(self, secrets: Iterable[str]) -> None:
        super().__init__()
        forms = {
            form for secret in secrets if len(secret) >= SHORTEST_SECRET for form in (secret, quote(secret))
        }
        self.forms = sorted(forms, key=len, reverse=True)

    def filter(self, record: logging.LogRecord) -> bool:
        if not self.forms:
            return True
        record.msg, record.args = self._masked(record.getMessage()), ()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self._masked(record.exc_text)
        return True

    def _masked(self, text: str) -> str:
        for form in self.forms:
            text = text.replace(form, MASK)
        return text
