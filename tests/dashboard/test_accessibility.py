"""Every dashboard page passes a check of the basics: a language, a title, one h1, a label for every
field, a text for every picture and chart, and text colours readable on their background."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import aiohttp

from bot.testing.harness import FACILITATOR
from bot.web.pages import STATIC
from tests.dashboard.conftest import dashboard_link
from tests.dashboard.views import fill_the_planning_pages

PAGES = (
    "",
    "/themes",
    "/groups",
    "/rounds",
    "/prototypes",
    "/commitments",
    "/goals",
    "/moderation",
    "/health",
    "/downloads",
)
MIN_CONTRAST = 4.5
"""WCAG 2 AA for body text."""


class Basics(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.lang = ""
        self.h1 = 0
        self.title = False
        self.fields: list[str] = []
        self.labels: set[str] = set()
        self.problems: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "html":
            self.lang = found.get("lang") or ""
        elif tag == "h1":
            self.h1 += 1
        elif tag == "title":
            self.title = True
        elif tag == "img" and not found.get("alt"):
            self.problems.append("an image without alt text")
        elif tag == "label" and found.get("for"):
            self.labels.add(found["for"] or "")
        elif tag in ("input", "select", "textarea") and found.get("type") != "hidden":
            self.fields.append(found.get("id") or "")
        elif tag == "svg" and (
            found.get("role") != "img" or not (found.get("aria-labelledby") or found.get("aria-label"))
        ):
            self.problems.append("a chart without a text alternative")


def check(html: str) -> list[str]:
    parsed = Basics()
    parsed.feed(html)
    problems = list(parsed.problems)
    if parsed.lang not in ("en", "fr"):
        problems.append("no lang attribute")
    if parsed.h1 != 1 or not parsed.title:
        problems.append("not exactly one h1 and a title")
    problems += [f"field {field!r} without a label" for field in parsed.fields if field not in parsed.labels]
    return problems


def luminance(colour: str) -> float:
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(one: str, other: str) -> float:
    high, low = sorted((luminance(one), luminance(other)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_text_colours_are_readable_on_the_pages_background():
    """Every `color:` of the style sheet against the white page (the header's against its blue)."""
    sheet = Path(STATIC / "dashboard.css").read_text()
    header = re.search(r"header \{[^}]*background: (#[0-9a-f]{6})", sheet).group(1)
    assert contrast("#ffffff", header) >= MIN_CONTRAST
    for colour in re.findall(r"(?<![-\w])color: (#[0-9a-f]{6})", sheet):
        if colour != "#ffffff":
            assert contrast(colour, "#ffffff") >= MIN_CONTRAST, colour


async def test_every_page_has_a_language_a_title_labels_and_text_alternatives(web):
    await web.start_parks()
    await web.say("/idea Benches by the pond", user="alice")
    await web.say("/hide i1 Testing the page", user=FACILITATOR)
    await web.say("/idea Shade trees", user="alice")
    await web.say("/public on", user=FACILITATOR)
    await fill_the_planning_pages(web, idea="i2", feedback="Lovely")
    link = await dashboard_link(web)
    base = link.split("/login/")[0]
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as client:
        async with client.get(link) as answer:
            assert answer.status == 200
        for path in [*(f"/c/1{page}" for page in PAGES), "/p/parks", "/p/nothing", "/"]:
            async with client.get(base + path) as answer:
                assert check(await answer.text()) == [], path
