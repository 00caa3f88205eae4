"""Where Townhall's log lines go: a file beside the console chat, stderr otherwise, secrets masked."""

from __future__ import annotations

import logging
import sys

from bot.log_redaction import RedactSecrets
from bot.settings import Settings

STARTUP_LOG = "townhall.startup"
"""The logger for what the person starting Townhall must see even beside the console chat (a database
still unreachable, say): the console shows its lines on stderr."""


def configure_logging(settings: Settings, console_only: bool) -> None:
    """Logs go to stderr, except beside the console chat, where they go to a file in the data folder."""
    handler: logging.Handler
    if console_only:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        handler = logging.FileHandler(settings.data_dir / "townhall.log", encoding="utf-8")
    else:
        handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    redact = RedactSecrets(
        (
            settings.telegram_bot_token,
            settings.discord_bot_token,
            settings.telegram_webhook_secret,
            settings.open_data_secret,
            settings.dashboard_secret,
        )
    )
    handler.addFilter(redact)
    logging.basicConfig(level=settings.log_level, handlers=[handler], force=True)
    if console_only:  # what the person at the console must see, such as a database still unreachable
        startup = logging.StreamHandler(sys.stderr)
        startup.setFormatter(logging.Formatter("townhall: %(message)s"))
        startup.addFilter(redact)
        logging.getLogger(STARTUP_LOG).addHandler(startup)
    # httpx logs every request's URL, and Telegram's URLs carry the bot token.
    logging.getLogger("httpx").setLevel(max(logging.WARNING, logging.getLevelName(settings.log_level)))
