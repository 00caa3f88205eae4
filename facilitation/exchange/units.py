"""What pledges, budgets and pools are counted in: hours, or money in an ISO 4217 currency (CAD, EUR)."""

from __future__ import annotations

from collections.abc import Callable

HOURS = "hours"
"""The stored unit of time pledged; any other unit is a currency code."""


def shown_unit(gettext: Callable[..., str], unit: str) -> str:
    """The unit as the reader reads it: hours in their language, a currency code as it is."""
    return gettext("hours") if unit == HOURS else unit
