"""Platform ids as log lines carry them: a keyed hash, so that a log names no one yet still follows one
person or chat through the system (the same id always gives the same hash).

A private chat's id is its user's id on Telegram, so chat ids are hashed too. The key is the settings'
pseudonym secret (OPEN_DATA_SECRET, or the random secret kept in the data folder), as open data uses.
The same hash, whole, is all that is kept of an account that used /forget (see kernel.identity).
"""

from __future__ import annotations

import hashlib
import hmac

LOGGED_ID_LENGTH = 12
"""Hex characters kept of the hash: enough to tell ids apart in a log, too few to be worth reversing."""


def keyed_digest(secret: str, value: str) -> str:
    """The keyed hash of `value`, whole (64 hex characters): the same value always gives the same digest,
    and without the secret no digest leads back to its value."""
    return hmac.new(secret.encode(), value.encode(), hashlib.sha256).hexdigest()


def logged_id(secret: str, value: str | None) -> str:
    """`value` (a user or chat id) as it may appear in a log line."""
    if value is None:
        return "-"
    return "h:" + keyed_digest(secret, value)[:LOGGED_ID_LENGTH]
