"""Text rules the core applies to everything residents write and everything it sends."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable

IDEA_MAX_LENGTH = 2000
"""An idea longer than this is refused: about a page, more than any chat idea needs."""

HASHTAG_PATTERN = re.compile(r"(?<![\w#])#(\w{2,64})", re.UNICODE)
_CONTROL_CHARACTERS = {"Cc", "Cf", "Cs", "Co", "Cn"}
_KEPT_CONTROLS = {"\n", "\t"}
_JOINERS = {"\u200d", "\u200c"}
"""Zero-width joiner and non-joiner: invisible, yet they make 🚶‍♀️ one emoji and shape Persian or Indic
words, so they stay between two visible characters."""
_EMOJI_TAGS = range(0xE0020, 0xE0080)
"""Tag characters, which spell a subdivision's flag (🏴 followed by gbsct and a cancel tag)."""
_TERMINAL_ESCAPES = re.compile(r"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)?|[@-Z\\-_])")
"""ANSI escape sequences (colours, cursor moves, window titles): removed whole, so no `[31m` is left."""


def clean_user_text(text: str) -> str:
    """NFC-normalised text without control or invisible format characters, trimmed.

    Joiners inside emoji and words, and the tags of flag emoji, are kept; terminal escape sequences are
    removed whole. Markup (`<b>`, `*`, `&`) is kept verbatim: adapters escape it when they render.
    """
    text = unicodedata.normalize("NFC", _TERMINAL_ESCAPES.sub("", text))
    kept = [char for index, char in enumerate(text) if _kept(text, index, char)]
    return "".join(kept).replace("\t", " ").strip()


def _kept(text: str, index: int, char: str) -> bool:
    if char in _KEPT_CONTROLS or unicodedata.category(char) not in _CONTROL_CHARACTERS:
        return True
    if ord(char) in _EMOJI_TAGS:
        return True
    if char in _JOINERS and 0 < index < len(text) - 1:
        before, after = text[index - 1], text[index + 1]
        return _visible(before) and _visible(after)
    return False


def _visible(char: str) -> bool:
    return not char.isspace() and unicodedata.category(char) not in _CONTROL_CHARACTERS


def normalise_hashtag(tag: str) -> str:
    """Hashtags compare case-insensitively and are stored without the leading #."""
    return unicodedata.normalize("NFC", tag).lstrip("#").casefold()


def find_hashtags(text: str) -> list[str]:
    """Normalised hashtags in order of appearance, without repeats."""
    seen: dict[str, None] = {}
    for match in HASHTAG_PATTERN.finditer(text):
        seen.setdefault(normalise_hashtag(match.group(1)), None)
    return list(seen)


def is_valid_hashtag(tag: str) -> bool:
    return HASHTAG_PATTERN.fullmatch(tag) is not None


def split_text(text: str, limit: int, measure: Callable[[str], int] = len) -> list[str]:
    """Pieces measuring at most `limit`, cut at a paragraph, line, sentence or word end if possible.

    `measure` is how the platform counts a piece once rendered (Discord counts its escaped markdown);
    by default, characters. A cut inside a word never separates a character from the accents, joiners
    or modifiers that follow it. Only the white space at the cuts is dropped.
    """
    if limit <= 0:
        raise ValueError("limit must be positive")
    pieces: list[str] = []
    rest = text
    while measure(rest) > limit:
        fitting = limit if measure is len else _longest_fitting(rest, limit, measure)
        cut = _best_cut(rest[: fitting + 1], fitting)
        while cut > 1 and measure(rest[:cut].rstrip()) > limit:  # a measure that grew on a shorter text
            cut -= 1
        pieces.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    if rest or not pieces:
        pieces.append(rest)
    return pieces


def _longest_fitting(text: str, limit: int, measure: Callable[[str], int]) -> int:
    """The length of the longest start of `text` that measures at most `limit` (at least 1)."""
    low, high = 1, len(text)
    while low < high:
        middle = (low + high + 1) // 2
        if measure(text[:middle]) <= limit:
            low = middle
        else:
            high = middle - 1
    return low


def _best_cut(window: str, limit: int) -> int:
    """The last good break in `window`, past a quarter of the limit so that pieces stay sizeable."""
    floor = limit // 4
    for separator in ("\n\n", "\n", ". ", " "):
        position = window.rfind(separator, floor, limit + 1)
        if position > 0:
            return position + len(separator) if separator != " " else position
    cut = min(limit, len(window) - 1)
    while cut > 1 and (_clings(window[cut]) or window[cut - 1] == ZERO_WIDTH_JOINER):
        cut -= 1
    return cut if cut > 1 or not _clings(window[cut]) else limit


ZERO_WIDTH_JOINER = "\u200d"
_SKIN_TONES = range(0x1F3FB, 0x1F400)


def _clings(char: str) -> bool:
    """Whether `char` belongs with the character before it: an accent, a joiner, a variation selector or
    a skin tone."""
    return (
        unicodedata.category(char) in ("Mn", "Mc", "Me")
        or char == ZERO_WIDTH_JOINER
        or ord(char) in _SKIN_TONES
    )


def shorten(text: str, width: int) -> str:
    """One line of at most `width` characters, ending with an ellipsis when cut."""
    line = " ".join(text.split())
    if len(line) <= width:
        return line
    cut = line.rfind(" ", 0, width - 1)
    return line[: cut if cut > width // 2 else width - 1] + "…"
