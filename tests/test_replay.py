"""A replay of two campaigns, one in English and one in French, read from a script
(tests/fixtures/replay/two_campaigns.txt) and driven through the recording adapter: a facilitator and
ten residents bring ideas, vote, prototype, commit, report progress and answer check-ins, then the clock
moves on for days so that rounds close and check-ins and reminders fire.

The script's lines (blank lines and lines starting with # are skipped):
- `@ 2031-01-06 09:00`: the clock's start (UTC), once, first;
- `french: chat1 chat2`: the chats where the French campaign is held;
- `user@chat: text` says `text` in a group chat, `user@private: text` in the user's private chat;
- `user@chat press: label` presses the latest button whose label holds `label`;
- `+ 3d` (or 2h, 30m) moves the clock on, running every job that falls due meanwhile, in time order;
- `? fragment` checks that the answers to the line before hold `fragment`; `?! fragment` that they do not.
"""

from __future__ import annotations

import logging
import os
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from adapters.recording.adapter import Sent
from bot.testing.harness import Clock, Harness
from facilitation.kernel.i18n import _catalogue

SCRIPT = Path(__file__).parent / "fixtures" / "replay" / "two_campaigns.txt"
LINE = re.compile(r"(?P<user>[\w.-]+)@(?P<chat>[\w-]+)(?P<press> press)?: (?P<text>.*)")
STEP = re.compile(r"\+ (?P<amount>\d+)(?P<unit>[dhm])")
UNITS = {"d": "days", "h": "hours", "m": "minutes"}
PLACEHOLDER = re.compile(r"\{\w+\}|\n")
FRENCH_SPEAKERS_SAY = "/lang fr"
FRENCH_COLON = re.compile(r"\S:(?=\s|$)", re.MULTILINE)
"""A colon stuck to the word before it, as English writes it (times such as 09:00 are not followed by a space)."""


@dataclass
class Replay:
    """What the script named (the French speakers and the French campaign's chats), and how many of its
    checks passed."""

    french_users: set[str] = field(default_factory=set)
    french_chats: set[str] = field(default_factory=set)
    checked: int = 0


async def replay(harness: Harness, clock: Clock, lines: list[str]) -> Replay:
    seen = Replay()
    answers: list[Sent] = []
    show = os.environ.get("REPLAY_PRINT") == "1"  # to read the whole conversation while writing a script
    for number, line in enumerate(lines, 1):
        if not line.strip() or line.startswith(("#", "@")):
            continue
        if line.startswith("french: "):
            seen.french_chats.update(line.removeprefix("french: ").split())
            continue
        where = f"{SCRIPT.name}:{number}: {line}"
        if line.startswith("?! "):
            assert line[3:] not in "\n".join(sent.text for sent in answers), where
            seen.checked += 1
        elif line.startswith("? "):
            assert line[2:] in "\n".join(sent.text for sent in answers), where
            seen.checked += 1
        elif step := STEP.fullmatch(line):
            delta = timedelta(**{UNITS[step["unit"]]: int(step["amount"])})
            before = len(harness.adapter.sent)
            await harness.run_until(clock, clock.moment + delta)
            answers = harness.adapter.sent[before:]
        elif said := LINE.fullmatch(line):
            user, chat, text = said["user"], said["chat"], said["text"]
            where_to = {"private": True} if chat == "private" else {"chat": chat}
            if said["press"]:
                answers = await harness.press(text, user=user, **where_to)
            else:
                answers = await harness.say(text, user=user, **where_to)
            if text == FRENCH_SPEAKERS_SAY:
                seen.french_users.add(user)
        else:
            raise AssertionError(f"{where}: not a line of the script")
        if show:
            print(f"\n>>> {line}")
            for sent in answers if not line.startswith("?") else []:
                print(f"  [{sent.address.chat_id}] " + sent.text.replace("\n", "\n    "))
    return seen


def start_of(lines: list[str]) -> datetime:
    [start] = [line[2:] for line in lines if line.startswith("@ ")]
    return datetime.fromisoformat(start).replace(tzinfo=UTC)


def english_left_in_french() -> set[str]:
    """Pieces of English msgids (between placeholders) whose French differs and appears in no French
    text: finding one in a message means that part of it was left untranslated."""
    french = _catalogue("fr")
    translations = " ".join(" ".join(text) if isinstance(text, tuple) else text for text in french.values())
    pieces = set()
    for message, translated in french.items():
        english = message if isinstance(message, tuple) else (message,)
        if english == (translated if isinstance(translated, tuple) else (translated,)):
            continue
        for source in english:
            for piece in PLACEHOLDER.split(source):
                piece = piece.strip(" .,:;!?()—–-•")
                if len(re.findall(r"[A-Za-z]{2,}", piece)) >= 3 and piece not in translations:
                    pieces.add(piece)
    return pieces


@pytest.mark.embeddings
async def test_two_campaigns_replayed_days_later(database_url, tmp_path, embedder, caplog):  # noqa: ANN001
    caplog.set_level(logging.INFO)
    lines = SCRIPT.read_text(encoding="utf-8").splitlines()
    clock = Clock(start_of(lines))
    async with Harness.running(database_url, tmp_path, clock=clock, embedder=embedder) as harness:
        await embedder.wait_ready_async()
        seen = await replay(harness, clock, lines)
        sent = list(harness.adapter.sent)
    trouble = [
        f"{record.levelname} {record.name}: {record.getMessage()}"
        for record in caplog.records
        if record.levelno >= logging.ERROR or record.exc_info is not None
    ]
    assert trouble == []
    assert "Traceback" not in caplog.text
    english = english_left_in_french()
    to_french_speakers = [
        message
        for message in sent
        if message.message.language == "fr"
        or message.address.chat_id in seen.french_users | seen.french_chats
    ]
    assert len(to_french_speakers) > 50
    left = {
        piece: message.text for message in to_french_speakers for piece in english if piece in message.text
    }
    assert left == {}, "English left in messages to French speakers"
    unspaced = [message.text for message in to_french_speakers if FRENCH_COLON.search(message.text)]
    assert unspaced == [], "French puts a space before a colon"
    assert seen.checked >= 40, "the script spot-checks what the answers say"
