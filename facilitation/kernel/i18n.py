"""The message catalogue: every user-facing text, in English (the msgids) and French.

Texts are written in code as `_("English text {name}")`; the French lives in
`locales/fr/LC_MESSAGES/townhall.po` (gettext, read with Babel). `tests/kernel/test_catalogue.py` fails
when a text in code has no French translation, so the catalogues never drift.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel.dates import format_datetime
from babel.messages.pofile import read_po
from babel.numbers import format_decimal

LOCALES_DIR = Path(__file__).parent.parent / "locales"
DOMAIN = "townhall"
SOURCE_LANGUAGE = "en"
SUPPORTED_LANGUAGES = ("en", "fr")


@cache
def _catalogue(language: str) -> dict[str | tuple[str, str], str | tuple[str, ...]]:
    """msgid → translation for one language; empty for the source language."""
    if language == SOURCE_LANGUAGE:
        return {}
    path = LOCALES_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"
    with path.open("rb") as handle:
        catalog = read_po(handle, locale=language)
    return {message.id: message.string for message in catalog if message.id and message.string}


class Translator:
    """gettext and ngettext for one language, falling back to English for anything untranslated."""

    def __init__(self, language: str) -> None:
        self.language = language if language in SUPPORTED_LANGUAGES else SOURCE_LANGUAGE
        self._messages = _catalogue(self.language)

    def gettext(self, message: str, **values: object) -> str:
        translated = self._messages.get(message) or message
        return str(translated).format(**values) if values else str(translated)

    def ngettext(self, singular: str, plural: str, count: int, **values: object) -> str:
        forms = self._messages.get((singular, plural))
        if forms and all(forms):
            index = _plural_index(self.language, count)
            chosen = forms[min(index, len(forms) - 1)]
        else:
            chosen = singular if count == 1 else plural
        return chosen.format(count=count, **values)


def _plural_index(language: str, count: int) -> int:
    # English: one for 1; French: one for 0 and 1 (CLDR).
    if language == "fr":
        return 0 if count in (0, 1) else 1
    return 0 if count == 1 else 1


def translator(language: str) -> tuple[Callable[..., str], Callable[..., str]]:
    """`(_, ngettext)` for one language, the names the extractor looks for."""
    t = Translator(language)
    return t.gettext, t.ngettext


def N_(message: str) -> str:  # noqa: N802 (the gettext name the extractor knows)
    """Marks a text for the catalogue where it is translated later, such as a command's description."""
    return message


def quote(gettext: Callable[..., str], text: str) -> str:
    """`text` between the reader's quotation marks: “…” in English, « … » in French."""
    return gettext("“{text}”", text=text)


def decimal(value: float, language: str) -> str:
    """A number with one decimal as the reader writes it: 3.5 in English, 3,5 in French."""
    return format_decimal(value, "0.0", locale=language)


MOMENT_FORMAT = "EEEE d MMMM, HH:mm zzzz"
"""How a closing time reads: weekday, day, month, time and the zone's name, in the reader's language."""


def format_moment(moment: datetime, timezone: str, language: str) -> str:
    """A moment as a reader in `timezone` reads it, in their language."""
    try:
        zone = ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo("UTC")
    return format_datetime(moment, MOMENT_FORMAT, tzinfo=zone, locale=language)
