"""Every user-facing text in the code has a French translation with the same placeholders."""

from __future__ import annotations

import re

from babel.messages.extract import extract_from_dir

from facilitation.kernel.i18n import _catalogue
from tests.conftest import ROOT

SOURCE_DIRS = ("facilitation", "adapters", "bot")
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "N_": None}
PLACEHOLDER = re.compile(r"\{(\w+)\}")


def messages_in_code() -> set[str | tuple[str, str]]:
    found: set[str | tuple[str, str]] = set()
    for folder in SOURCE_DIRS:
        for _filename, _line, message, _comments, _context in extract_from_dir(
            ROOT / folder,
            method_map=[("**.py", "python"), ("**/templates/**.html", "jinja2")],
            keywords=KEYWORDS,
        ):
            found.add(message)
    return found


def test_every_text_in_code_is_translated_to_french():
    french = _catalogue("fr")
    missing = sorted(str(message) for message in messages_in_code() if message not in french)
    assert missing == [], "add these to facilitation/locales/fr/LC_MESSAGES/townhall.po"


def test_french_keeps_the_placeholders():
    french = _catalogue("fr")
    for message in messages_in_code():
        sources = message if isinstance(message, tuple) else (message,)
        translations = french.get(message)
        translations = translations if isinstance(translations, tuple) else (translations,)
        expected = set(PLACEHOLDER.findall(sources[-1]))
        for translated in translations:
            assert set(PLACEHOLDER.findall(translated or "")) <= expected | {"count"}, message


def test_no_text_is_translated_inside_an_f_string():
    """The extractor cannot see `_("...")` written inside an f-string's braces; such a text never gets French."""
    hidden = re.compile(r"""\{\s*(?:ctx\.)?_\(\s*['"]""")
    offenders = [
        f"{path.relative_to(ROOT)}:{number}"
        for folder in SOURCE_DIRS
        for path in (ROOT / folder).rglob("*.py")
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if hidden.search(line)
    ]
    assert offenders == []
