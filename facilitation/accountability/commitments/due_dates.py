"""The due day a member writes after /commit, in English or French: `2026-12-15`, `friday`,
`vendredi prochain`, `in 2 weeks`, `dans 2 semaines`, `next week`, `la semaine prochaine`, `15 décembre`,
`le 1er janvier`, `December 1st`.

Pure functions of the text and today's date, so that they can be tested (and fuzzed) on their own.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

WEEKDAYS = {
    **{name: index for index, name in enumerate(("monday", "tuesday", "wednesday", "thursday", "friday"))},
    "saturday": 5,
    "sunday": 6,
    **{name: index for index, name in enumerate(("lundi", "mardi", "mercredi", "jeudi", "vendredi"))},
    "samedi": 5,
    "dimanche": 6,
}
MONTHS = {
    **{
        name: index + 1
        for index, name in enumerate(
            (
                "january",
                "february",
                "march",
                "april",
                "may",
                "june",
                "july",
                "august",
                "september",
                "october",
                "november",
                "december",
            )
        )
    },
    **{
        name: index + 1
        for index, name in enumerate(
            (
                "janvier",
                "février",
                "mars",
                "avril",
                "mai",
                "juin",
                "juillet",
                "août",
                "septembre",
                "octobre",
                "novembre",
                "décembre",
            )
        )
    },
}
NUMBER_WORDS = {"a": 1, "an": 1, "one": 1, "un": 1, "une": 1, "two": 2, "deux": 2, "three": 3, "trois": 3}
UNIT_DAYS = {
    "day": 1,
    "days": 1,
    "jour": 1,
    "jours": 1,
    "week": 7,
    "weeks": 7,
    "semaine": 7,
    "semaines": 7,
    "month": 30,
    "months": 30,
    "mois": 30,
}
_BY_WORDS = r"(?:by|before|d'ici|d’ici|avant(?:\s+le)?|pour(?:\s+le)?)"
DUE_SEPARATOR = re.compile(rf"(?:^|\s+)(?:{_BY_WORDS}\s+|(?=(?:in|dans)\s))", re.IGNORECASE)
"""Where the action ends and its due day begins: `by friday`, `d'ici le 1er janvier`, or a relative day
that carries its own word (`in 2 weeks`, `dans 2 semaines`, also after one: `d'ici dans 2 semaines`)."""
_TRAILING_BY = re.compile(rf"\s+{_BY_WORDS}$", re.IGNORECASE)
ORDINAL = re.compile(r"^(\d{1,2})(?:st|nd|rd|th|er|re|e|ème|eme)$")
"""`1st`, `2nd`, `1er`, `2e`, `3ème`: the day of a month written as an ordinal."""
NEXT_PERIODS = {
    "next week": 7,
    "semaine prochaine": 7,
    "la semaine prochaine": 7,
    "next month": 30,
    "mois prochain": 30,
    "le mois prochain": 30,
}
"""A week or a month from today."""
FILLER_WORDS = ("next", "this", "on", "the", "le", "la", "ce", "prochain")


def parse_due(text: str, today: date) -> date | None:
    """The day `text` names, relative to `today`: `2026-12-15`, `15/12/2026`, `friday`, `vendredi
    prochain`, `tomorrow`, `in 2 weeks`, `dans 2 semaines`, `15 décembre`, `December 15`. A weekday means
    the next one after today."""
    words = text.strip().casefold().rstrip(".!").split()
    if not words:
        return None
    joined = " ".join(words)
    if match := re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})", joined):
        return _date(int(match[1]), int(match[2]), int(match[3]))
    if match := re.fullmatch(r"(\d{1,2})/(\d{1,2})/(\d{4})", joined):
        return _date(int(match[3]), int(match[2]), int(match[1]))
    if joined in ("today", "aujourd'hui", "aujourd’hui"):
        return today
    if joined in ("tomorrow", "demain"):
        return today + timedelta(days=1)
    if joined in NEXT_PERIODS:
        return today + timedelta(days=NEXT_PERIODS[joined])
    kept = [_without_ordinal(word) for word in words if word not in FILLER_WORDS]
    if len(kept) == 1 and kept[0] in WEEKDAYS:
        return today + timedelta(days=(WEEKDAYS[kept[0]] - today.weekday() - 1) % 7 + 1)
    if len(words) == 3 and words[0] in ("in", "dans") and words[2] in UNIT_DAYS:
        count = int(words[1]) if words[1].isdecimal() else NUMBER_WORDS.get(words[1])
        if count is None:
            return None
        try:
            return today + timedelta(days=count * UNIT_DAYS[words[2]])
        except OverflowError:  # past the year 9999: no day at all
            return None
    return _month_day(kept, today)


def _without_ordinal(word: str) -> str:
    match = ORDINAL.match(word)
    return match[1] if match else word


def _month_day(words: list[str], today: date) -> date | None:
    """`15 décembre`, `December 15` or `15 december 2027`: this year's, or next year's once it has passed."""
    numbers = [word.rstrip(",") for word in words if word.rstrip(",").isdecimal()]
    months = [MONTHS[word] for word in words if word in MONTHS]
    if len(months) != 1 or not 1 <= len(numbers) <= 2 or len(words) != len(numbers) + 1:
        return None
    day_number = int(numbers[0])
    if len(numbers) == 2:
        return _date(int(numbers[1]), months[0], day_number)
    found = _date(today.year, months[0], day_number)
    if found is not None and found < today:
        found = _date(today.year + 1, months[0], day_number)
    return found


def _date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except (ValueError, OverflowError):
        return None


def split_action_and_due(text: str, today: date) -> tuple[str, date] | None:
    """The action and the due day, trying each `by`/`d'ici` from the right until what follows is a date."""
    for match in reversed(list(DUE_SEPARATOR.finditer(text))):
        due = parse_due(text[match.end() :], today)
        if due is not None:
            return _TRAILING_BY.sub("", text[: match.start()]).strip(), due
    return None
