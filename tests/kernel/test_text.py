"""Text rules: cleaning what residents write, finding hashtags, splitting long messages."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from facilitation.kernel.router import parse_command
from facilitation.kernel.text import clean_user_text, find_hashtags, split_text


def test_clean_user_text_drops_controls_and_invisible_characters_but_keeps_lines():
    assert clean_user_text("  a\x00b\u200bc\n\td\x1b  ") == "abc\n d"


def test_hashtags_are_found_case_insensitively_once_each():
    assert find_hashtags("Shade #Parks and #parks, not a#b, and #école") == ["parks", "école"]


def test_commands_are_parsed_with_bot_suffix_and_multiline_arguments():
    assert parse_command("/IDEA@townhall_bot More benches") == ("idea", "More benches")
    assert parse_command("/idea\nline one\nline two") == ("idea", "line one\nline two")
    assert parse_command("no command") is None
    assert parse_command("/ spaced") is None


def test_split_prefers_paragraphs_then_words():
    text = "First paragraph here.\n\nSecond paragraph is longer than the first one."
    assert split_text(text, 30) == [
        "First paragraph here.",
        "Second paragraph is longer",
        "than the first one.",
    ]


@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=3000), st.integers(min_value=8, max_value=500))
def test_split_never_exceeds_the_limit_and_loses_no_word(text, limit):
    pieces = split_text(text, limit)
    assert all(len(piece) <= limit for piece in pieces)
    assert "".join("".join(pieces).split()) == "".join(text.split())


@given(st.lists(st.sampled_from(["bench", "fountain", "tree", "shade", "path"]), min_size=1, max_size=400))
def test_split_cuts_between_words_when_words_are_short(words):
    pieces = split_text(" ".join(words), 50)
    assert [word for piece in pieces for word in piece.split()] == words


def test_emoji_joined_by_zero_width_joiners_stay_verbatim():
    for emoji in ("🚶\u200d♀️", "👨\u200d👩\u200d👧", "🏳️\u200d🌈"):
        assert clean_user_text(f"A walk {emoji} at noon") == f"A walk {emoji} at noon"


def test_a_word_that_needs_a_non_joiner_keeps_it_while_stray_joiners_go():
    persian = "می\u200cخواهم"  # "I want": the non-joiner keeps the prefix apart
    assert clean_user_text(f"\u200d{persian} \u200dparks") == f"{persian} parks"


def test_flag_emoji_keep_their_tag_characters():
    scotland = "🏴\U000e0067\U000e0062\U000e0073\U000e0063\U000e0074\U000e007f"
    assert clean_user_text(f"{scotland} team") == f"{scotland} team"


def test_terminal_escape_sequences_leave_nothing_behind():
    assert clean_user_text("\x1b[31mRED\x1b[0m alert \x1b]0;title\x07done") == "RED alert done"
