"""Short ids: what residents read and type for ideas (i42), themes (t7), prototypes (p3), commitments
(c12), rounds (r2), offers (o5), needs (n6), matches (m2) and pledges (g4), written and read in one place."""

from __future__ import annotations

import re

from storage.models import Commitment, Idea, Prototype, Round

IDEA = "i"
THEME = "t"
PROTOTYPE = "p"
COMMITMENT = "c"
ROUND = "r"
OFFER = "o"
NEED = "n"
MATCH = "m"
PLEDGE = "g"

REF_MAX_DIGITS = 9
"""Longer numbers are no id Townhall gave: refused as such, never looked up (or overflowing a column)."""
_REF_PATTERN = re.compile(rf"^([a-z]?)(\d{{1,{REF_MAX_DIGITS}}})$")


def ref(prefix: str, number: int | None) -> str:
    """The short id of the row numbered `number` in the kind `prefix` names: `ref(IDEA, 42)` is i42."""
    return f"{prefix}{number}"


def idea_ref(idea: Idea) -> str:
    return ref(IDEA, idea.id)


def theme_ref(theme_id: int | None) -> str:
    return ref(THEME, theme_id)


def prototype_ref(prototype: Prototype) -> str:
    return ref(PROTOTYPE, prototype.id)


def commitment_ref(commitment: Commitment) -> str:
    return ref(COMMITMENT, commitment.id)


def round_ref(round_: Round) -> str:
    return ref(ROUND, round_.id)


def parse_ref(word: str, prefixes: str) -> tuple[str, int] | None:
    """`("p", 3)` for `p3` (or a bare `3`, read as the first prefix); None if it is not such an id."""
    match = _REF_PATTERN.match(word.strip().casefold())
    if match is None or (match.group(1) and match.group(1) not in prefixes):
        return None
    return match.group(1) or prefixes[0], int(match.group(2))
