"""Platform ids as log lines carry them: a keyed hash, so that a log names no one yet still follows one
person or chat through the system (the same id always gives the same hash).

A private chat's id is its user's id on Telegram, so chat ids are hashed too. The key is the settings'
pseudonym secret (OPEN_DATA_SECRET, or the random secret kept in the data folder), as open data uses.
"""

from __future__ import annotations

import hashlib
import hmac

LOGGED_ID_LENGTH = 12
"""Hex characters kept of the hash: enough to tell ids apart in a log, too few to be worth reversing."""


def logged_id(secret: str, value: str | None) -> str:
    """`value` (a user or chat id) as it may appear in a log line."""
    if value is None:
        return "-"
    digest = hmac.new(secret.encode(), value.encode(), hashlib.sha256).hexdigest()
    return "h:" + digest[:LOGGED_ID_LENGTH]
