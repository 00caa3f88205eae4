"""Property tests on hostile and odd input: commands, dates, durations, the splitter and each renderer.

The command tests push generated text through the real core and storage (no adapter loop, no model):
whatever arrives gets an answer, never a traceback.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlmodel import Session, col, select

from adapters.discord.adapter import DiscordAdapter
from adapters.discord.render import DISCORD_MESSAGE_LIMIT, content
from adapters.recording import RecordingAdapter
from adapters.telegram.adapter import TelegramAdapter
from adapters.telegram.render import MAX_CALLBACK_DATA_BYTES, MAX_TEXT_LENGTH, deep_link, render
from bot.app import Townhall
from bot.testing.harness import FACILITATOR, Clock, make_settings
from facilitation.accountability.commitments.due_dates import MONTHS, UNIT_DAYS, WEEKDAYS, parse_due
from facilitation.features import FEATURES
from facilitation.kernel.events import Button, Outgoing
from facilitation.kernel.router import Router, parse_command
from facilitation.kernel.text import split_text
from facilitation.planning.rounds import ROUND_MAX_DURATION, ROUND_MIN_DURATION
from storage.models import OutboxMessage, Round

FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
"""Modest: each test stays within a few seconds; hypothesis keeps failing examples in its database."""

COMMAND_NAMES = sorted(Router(FEATURES).commands)
WORDS = st.sampled_from(
    [
        "#parks", "#nope", "#", "i1", "i2", "i999999999999", "c1", "t1", "p1", "r1", "1", "0", "-1", "²", "٣",
        "45m", "2h", "3d", "0m", "9999999y", "agree", "disagree", "pass", "by", "friday", "vendredi",
        "in", "dans", "2", "weeks", "semaines", "2026-12-15", "31/02/2026", "15", "décembre", "|", "%",
        "150%", "@alice", "allow", "weekly", "off", "21:00-08:00", "25:99-08:00", "Europe/Paris",
        "Mars/Base", "fr", "en", "theme", "prototype", "on track", "blocked", "\n", "*", "<b>", "\u200d",
    ]
)  # fmt: skip
ARGUMENTS = st.lists(st.one_of(WORDS, st.text(max_size=12)), max_size=6).map(" ".join)
COMMAND_TEXT = st.one_of(
    st.builds(lambda name, args: f"/{name} {args}", st.sampled_from(COMMAND_NAMES), ARGUMENTS),
    st.text(max_size=80),
)
FAILED = "something went wrong on my side"
ZERO_WIDTH_JOINER = "\u200d"


@pytest.fixture
def core_only(tmp_path: Path) -> Iterator[Townhall]:
    """Townhall's real wiring on SQLite, not started: updates go straight to `Core.handle_now`."""
    townhall = Townhall(make_settings(f"sqlite:///{tmp_path / 'fuzz.db'}", tmp_path), [RecordingAdapter()])
    townhall.database.upgrade()
    yield townhall
    townhall.core.close()
    townhall.database.dispose()


def answer(townhall: Townhall, text: str, user: str) -> str:
    """Everything the core queued in answer to `text` from `user`."""
    with Session(townhall.database.engine) as session:
        before = session.exec(select(OutboxMessage.id).order_by(col(OutboxMessage.id).desc())).first() or 0
    townhall.core.handle_now(RecordingAdapter().incoming(text, user=user))
    with Session(townhall.database.engine) as session:
        rows = session.exec(select(OutboxMessage).where(col(OutboxMessage.id) > before)).all()
    return "\n".join(row.payload["text"] for row in rows)


def start_parks(townhall: Townhall) -> None:
    answer(townhall, "/campaign #parks Better parks | How can we make our parks welcoming?", FACILITATOR)
    answer(townhall, "/idea Benches by the pond #parks", "alice")


@pytest.mark.parametrize("user", [FACILITATOR, "eve"])
def test_any_text_gets_an_answer_or_nothing_but_never_a_failure(core_only, caplog, user):
    start_parks(core_only)

    @FUZZ
    @given(COMMAND_TEXT)
    def check(text: str) -> None:
        caplog.clear()
        with caplog.at_level(logging.ERROR, logger="facilitation.kernel.core"):
            reply = answer(core_only, text, user)
        assert FAILED not in reply, (text, caplog.text)
        assert not caplog.records, (text, caplog.text)
        if parse_command(text) is not None:
            assert reply.strip(), text  # every command is answered, if only to say how to use it

    check()


DURATION_UNITS = {"m": timedelta(minutes=1), "min": timedelta(minutes=1), "h": timedelta(hours=1)}
DURATION_UNITS |= {"d": timedelta(days=1), "w": timedelta(weeks=1), "y": timedelta(days=365)}


def test_round_durations_open_rounds_of_that_length_or_are_refused_clearly(tmp_path):
    clock = Clock()
    townhall = Townhall(
        make_settings(f"sqlite:///{tmp_path / 'fuzz.db'}", tmp_path), [RecordingAdapter()], clock=clock
    )
    townhall.database.upgrade()
    start_parks(townhall)

    @FUZZ
    @given(st.integers(min_value=0, max_value=9_999_999), st.sampled_from(sorted(DURATION_UNITS)))
    def check(count: int, unit: str) -> None:
        reply = answer(townhall, f"/round #parks {count}{unit} What would you change first?", FACILITATOR)
        days = count * (DURATION_UNITS[unit] / timedelta(days=1))
        if ROUND_MIN_DURATION / timedelta(days=1) <= days <= ROUND_MAX_DURATION.days:
            wanted = count * DURATION_UNITS[unit]
            with Session(townhall.database.engine) as session:
                round_ = session.exec(select(Round).where(Round.status == "open")).one()
            assert round_.closes_at - round_.opened_at == wanted
            assert "closed" in answer(townhall, "/close #parks", FACILITATOR).casefold()
        else:
            assert "at least" in reply or "at most" in reply, reply

    check()
    for word in ("45", "m45", "4.5h", "2 h", "-3d", "3x", "²h"):
        reply = answer(townhall, f"/round #parks {word} Question?", FACILITATOR)
        assert "is not a duration" in reply and "Usage: /round" in reply, (word, reply)
    townhall.core.close()
    townhall.database.dispose()


TODAY = date(2026, 11, 27)
DAYS = st.dates(min_value=date(2000, 1, 1), max_value=date(2999, 12, 31))


@given(st.text(max_size=40), st.dates())
@example("in ² weeks", TODAY)
@example("dans 99999999999 semaines", TODAY)
def test_any_due_text_is_a_day_or_none(text, today):
    due = parse_due(text, today)
    assert due is None or isinstance(due, date)


@given(DAYS)
def test_written_dates_round_trip(day):
    assert parse_due(day.isoformat(), TODAY) == day
    assert parse_due(f"{day.day}/{day.month}/{day.year}", TODAY) == day
    month = list(MONTHS)[day.month - 1 + 12 * (day.day % 2)]  # English or French month names
    assert parse_due(f"{day.day} {month} {day.year}", TODAY) == day


@given(
    st.integers(min_value=0, max_value=10**6),
    st.sampled_from(sorted(UNIT_DAYS)),
    st.sampled_from(["in", "dans"]),
)
def test_spans_count_from_today(count, unit, word):
    days = count * UNIT_DAYS[unit]
    expected = TODAY + timedelta(days=days) if days <= (date.max - TODAY).days else None
    assert parse_due(f"{word} {count} {unit}", TODAY) == expected


@given(
    st.sampled_from(sorted(WEEKDAYS)),
    st.sampled_from(["{}", "next {}", "on {}", "{} prochain", "ce {}"]),
    DAYS,
)
def test_weekdays_are_the_next_one_after_today(name, form, today):
    due = parse_due(form.format(name).upper(), today)
    assert due is not None and due.weekday() == WEEKDAYS[name] and today < due <= today + timedelta(days=7)


@given(st.sampled_from(sorted(MONTHS)), st.integers(min_value=1, max_value=28), DAYS)
def test_a_day_and_month_is_the_next_such_day(month, day, today):
    due = parse_due(f"{day} {month}", today)
    assert due is not None and (due.month, due.day) == (MONTHS[month], day)
    assert today <= due < today + timedelta(days=366)


TRICKY = st.lists(
    st.one_of(
        st.sampled_from(
            [" ", "\n", "\n\n", ". ", "e", "\u0301", "👍", "\U0001f3fd", ZERO_WIDTH_JOINER, "\ufe0f"]
        ),
        st.sampled_from(["*", "_", "~", "`", "|", ">", "#", "-", "\\", "[", "]", "(", ")", "<", ":", "/"]),
        st.sampled_from(["[a](b)", "https://example.org/a_b*c", "<a:/b_c>", "  - ", "> ", "### "]),
        st.characters(codec="utf-8"),
    ),
    max_size=400,
).map("".join)


def starts(pieces: list[str], text: str) -> list[int] | None:
    """Where each piece starts in `text`, if the pieces, in order, are the text with only white space
    dropped at the cuts; None if they are not."""
    found, position = [], 0
    for piece in pieces:
        while (
            piece
            and position < len(text)
            and text[position].isspace()
            and not text.startswith(piece, position)
        ):
            position += 1
        if not text.startswith(piece, position):
            return None
        found.append(position)
        position += len(piece)
    return found if text[position:].strip() == "" else None


def clings(char: str) -> bool:
    return char in ("\u0301", "\U0001f3fd", ZERO_WIDTH_JOINER, "\ufe0f")


@FUZZ
@given(TRICKY, st.integers(min_value=4, max_value=120))
def test_split_pieces_rejoin_fit_and_keep_accents_and_emoji_whole(text, limit):
    pieces = split_text(text, limit)
    found = starts(pieces, text)
    assert found is not None
    assert all(len(piece) <= limit for piece in pieces)
    for start in found[1:]:
        if start and not text[start - 1].isspace() and any(not clings(char) for char in text[:start]):
            assert not clings(text[start]) and text[start - 1] != ZERO_WIDTH_JOINER, (text, pieces)


def discord_unescaped(shown: str) -> str:
    """What Discord displays of a message: a backslash before a symbol shows the symbol alone."""
    return re.sub(r"\\([^0-9A-Za-z\s])", r"\1", shown)


@FUZZ
@given(TRICKY.map(lambda text: text * 5), st.sampled_from([None, "123456789012345678"]))
def test_discord_shows_every_piece_as_written_within_its_limit(text, mention):
    capabilities = DiscordAdapter.capabilities
    pieces = split_text(text, capabilities.max_text_length, capabilities.rendered_length)
    assert starts(pieces, text) is not None
    for piece in pieces:
        shown = content(Outgoing(piece, mention=mention))
        assert len(shown) <= DISCORD_MESSAGE_LIMIT
        prefix = f"<@{mention}> " if mention else ""
        assert shown.startswith(prefix) and discord_unescaped(shown[len(prefix) :]) == piece


@FUZZ
@given(TRICKY, st.lists(st.tuples(st.text(min_size=1, max_size=20), st.booleans()), max_size=3))
def test_telegram_shows_text_as_written_and_every_link_somewhere(text, buttons):
    tokens = [f"tok{index}" for index in range(len(buttons))]
    message = Outgoing(
        text.strip() or ".",
        buttons=tuple(
            Button(label, token, link) for (label, link), token in zip(buttons, tokens, strict=True)
        ),
    )
    shown, keyboard = render(message, "townhall_bot")
    assert shown.startswith(message.text) and len(shown) <= MAX_TEXT_LENGTH
    rows = keyboard.inline_keyboard if keyboard else ()
    callbacks = [button.callback_data for row in rows for button in row if button.callback_data]
    assert callbacks == tokens
    assert all(len(data.encode()) <= MAX_CALLBACK_DATA_BYTES for data in callbacks)
    urls = {button.url for row in rows for button in row if button.url}
    for token, (_label, link) in zip(tokens, buttons, strict=True):
        if link:
            assert deep_link("townhall_bot", token) in shown or deep_link("townhall_bot", token) in urls


@FUZZ
@given(TRICKY.map(lambda text: text * 40))
@example("👍 " * 3000)
def test_telegram_pieces_fit_its_limit_counted_in_utf16_code_units(text):
    capabilities = TelegramAdapter.capabilities
    pieces = split_text(text, capabilities.max_text_length, capabilities.rendered_length)
    assert starts(pieces, text) is not None
    assert all(len(piece.encode("utf-16-le")) // 2 <= MAX_TEXT_LENGTH for piece in pieces)
