"""The citizen report: one HTML page with the challenge, goal charts, participation, themes with quotes and
the theme map, prototypes, commitments and check-ins; and /report in chat, which attaches it."""

from __future__ import annotations

import base64
import html
import re
from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path

import pytest
from sqlmodel import Session

from bot.testing.harness import FACILITATOR, Clock, Harness, townhall
from storage.models import Idea, IdeaTheme, Theme
from tests.civic.test_open_data import PLANTED, PRIVATE_WORDS, START, lived_in_campaign


class Collector(HTMLParser):
    """Tags and text of a page, to check it parses and holds what residents should see."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.text: list[str] = []
        self.images: list[str] = []

    def handle_starttag(self, tag, attrs):  # noqa: ANN001
        self.tags.append(tag)
        if tag == "img":
            self.images.append(dict(attrs)["src"])

    def handle_data(self, data):  # noqa: ANN001
        self.text.append(data)


def test_report_from_the_command_line_in_english_and_french(environment, tmp_path):
    script = "\n".join(
        [
            "/campaign #parks Better parks | How can we make our parks welcoming?",
            "/goal benches 40 benches",
            "/goal benches 12",
            "/goal benches 18",
            "/idea Benches <script>alert(1)</script> by the pond",
        ]
    )
    assert townhall("run", stdin=script + "\n", env=environment, cwd=tmp_path).returncode == 0
    result = townhall(
        "report", "#parks", "--out", str(tmp_path / "report.html"), env=environment, cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr
    page = (tmp_path / "report.html").read_text(encoding="utf-8")
    parsed = Collector()
    parsed.feed(page)
    text = " ".join(parsed.text)
    assert "How can we make our parks welcoming?" in text
    assert "Target 40 benches; latest: 18." in text
    assert parsed.tags.count("svg") == 2 and "polyline" in parsed.tags and "rect" in parsed.tags
    assert "script" not in parsed.tags and "<script>alert(1)</script>" in text  # shown, never run
    assert "http" not in page.replace("https://creativecommons.org/licenses/by/4.0/", "")  # self-contained
    for empty in ("No themes yet", "No prototype yet.", "0 commitments:", "No check-in yet."):
        assert empty in text, empty

    french = townhall(
        "report",
        "#parks",
        "--out",
        str(tmp_path / "rapport.html"),
        "--lang",
        "fr",
        env=environment,
        cwd=tmp_path,
    )
    assert french.returncode == 0, french.stderr
    assert "Objectifs partagés" in (tmp_path / "rapport.html").read_text(encoding="utf-8")


def test_report_of_an_unknown_campaign_says_so(environment, tmp_path):
    result = townhall("report", "#nowhere", "--out", str(tmp_path / "r.html"), env=environment, cwd=tmp_path)
    assert result.returncode == 1 and "no campaign #nowhere" in result.stderr


def read_page(path: Path) -> tuple[str, Collector]:
    page = path.read_text(encoding="utf-8")
    parsed = Collector()
    parsed.feed(page)
    return page, parsed


@pytest.mark.embeddings
async def test_report_shows_themes_with_quotes_and_map_prototypes_and_check_ins_without_the_model(
    database_url, environment, tmp_path, embedder
):  # noqa: ANN001
    clock = Clock(START)
    async with Harness.running(database_url, tmp_path / "bot", clock=clock, embedder=embedder) as harness:
        await lived_in_campaign(harness, clock)
        themes = [theme for theme in harness.rows(Theme) if theme.status == "active"]
        ideas = {idea.id: idea.text for idea in harness.rows(Idea)}
    # The command line runs with no model configured: the themes and the map come from storage.
    assert environment["EMBEDDING_MODEL"] == ""
    for language in ("en", "fr"):
        result = townhall(
            "report",
            "#parks",
            "--out",
            str(tmp_path / f"{language}.html"),
            "--lang",
            language,
            env=environment,
            cwd=tmp_path,
        )
        assert result.returncode == 0, result.stderr
    page, parsed = read_page(tmp_path / "en.html")
    text = " ".join(parsed.text)
    assert "Themes" in parsed.text and "Prototypes" in parsed.text
    for theme in themes:
        assert f"t{theme.id} · {theme.label}" in text
        for idea_id in theme.representative_idea_ids:
            assert f"{html.escape(ideas[idea_id])} <small>(verbatim, i{idea_id})</small>" in page
    [picture] = parsed.images
    assert picture.startswith("data:image/png;base64,")
    assert base64.b64decode(picture.removeprefix("data:image/png;base64,"))[:8] == b"\x89PNG\r\n\x1a\n"
    assert "p1 · Shaded benches by the pond" in text
    assert re.search(r"v1 \S+ Two benches under the willow 1 4\.0 / 5", text)
    assert re.search(r"v2 \S+ Raised the seats by ten centimetres 1 5\.0 / 5", text)
    assert "4 commitments:" in text
    assert "Giving, pledges and organisations" in parsed.text
    assert "community: Parks Club (0 offers, 0 needs, 1 commitment, pledged 10 hours)" in text
    assert "2030-10-28 3 2 67% 1 0 1" in text and "2030-11-04 3 1 33% 0 1 0" in text
    for secret_detail in (*PLANTED, *PRIVATE_WORDS):
        assert secret_detail not in page, secret_detail
    links = re.findall(r'(?:src|href)="([^"]*)"', page)
    assert links and all(
        link.startswith("data:") or link == "https://creativecommons.org/licenses/by/4.0/" for link in links
    )  # self-contained: nothing to fetch

    french, parsed_fr = read_page(tmp_path / "fr.html")
    for heading in ("Thèmes", "Prototypes", "Engagements et points d'étape"):
        assert heading in parsed_fr.text, heading
    assert "mot pour mot, i" in french and len(parsed_fr.images) == 1
    assert "communautaire : Parks Club (0 offre, 0 besoin, 1 engagement, a promis 10 heures)" in french


async def test_report_in_chat_keeps_the_summary_and_attaches_the_citizen_report(harness):
    await harness.start_parks()
    await harness.say("/idea Benches <b>by</b> the pond", user="alice")
    await harness.say("/commit Paint the benches by in 2 weeks #parks", user="alice")
    summary, attached = await harness.say("/report", user="bob")
    assert "Collective progress in #parks" in summary.text and "1 commitment:" in summary.text
    assert summary.message.file_path is None
    assert attached.message.file_path is not None and attached.message.file_path.endswith(".html")
    page, parsed = read_page(Path(attached.message.file_path))
    assert "How can we make our parks welcoming?" in parsed.text
    assert "Benches <b>by</b> the pond" in " ".join(parsed.text) and "b" not in parsed.tags
    assert "1 commitment:" in parsed.text

    _summary, in_french = await harness.say("/report #parks", user="zoe", language="fr")
    assert "Objectifs partagés" in Path(in_french.message.file_path).read_text(encoding="utf-8")


def axis_labels(page: str) -> list[list[str]]:
    """The date labels under each chart's horizontal axis, chart by chart."""
    return [
        re.findall(r'<text x="[\d.]+" y="172"(?: text-anchor="\w+")?>([^<]*)</text>', chart)
        for chart in re.findall(r"<svg.*?</svg>", page)
    ]


async def test_a_goal_chart_measured_within_one_day_shows_distinct_readable_ends(database_url, tmp_path):
    clock = Clock(datetime(2026, 12, 2, 9, 0, tzinfo=UTC))
    async with Harness.running(database_url, tmp_path, clock=clock) as harness:
        await harness.start_parks()
        await harness.say("/goal benches 40 benches", user=FACILITATOR)
        await harness.say("/goal benches 12", user=FACILITATOR)
        clock.advance(hours=5, minutes=30)
        await harness.say("/goal benches 18", user=FACILITATOR)
        _summary, attached = await harness.say("/report", user="bob")
    page, _parsed = read_page(Path(attached.message.file_path))
    assert axis_labels(page) == [["2026-12-02 09:00 UTC", "14:30 UTC"]]  # no idea yet: no idea chart


async def test_a_chart_of_a_single_moment_has_one_date_under_it(database_url, tmp_path):
    clock = Clock(datetime(2026, 12, 2, 9, 0, tzinfo=UTC))
    async with Harness.running(database_url, tmp_path, clock=clock) as harness:
        await harness.start_parks()
        await harness.say("/goal benches 40 benches", user=FACILITATOR)
        await harness.say("/goal benches 12", user=FACILITATOR)
        await harness.say("/goal benches 18", user=FACILITATOR)
        await harness.say("/idea More shade by the pond", user="alice")
        _summary, attached = await harness.say("/report", user="bob")
    page, _parsed = read_page(Path(attached.message.file_path))
    assert axis_labels(page) == [["2026-12-02"], ["2026-12-02"]]


async def test_the_report_lists_the_ideas_that_fit_no_theme_verbatim(harness):
    await harness.start_parks()
    for text in ("Shade trees on the path", "More shade trees", "A <b>chess</b> table by the gate"):
        await harness.say(f"/idea {text}", user="alice")
    shade, more_shade, chess = harness.rows(Idea)
    with Session(harness.townhall.database.engine) as session:  # themes as /themes stores them
        theme = Theme(campaign_id=shade.campaign_id, label="shade trees", idea_count=2)
        session.add(theme)
        session.flush()
        session.add_all(
            [
                IdeaTheme(idea_id=shade.id, theme_id=theme.id),
                IdeaTheme(idea_id=more_shade.id, theme_id=theme.id),
                IdeaTheme(idea_id=chess.id, theme_id=None),
            ]
        )
        session.commit()
    _summary, attached = await harness.say("/report", user="bob")
    page, parsed = read_page(Path(attached.message.file_path))
    assert "Other ideas" in parsed.text
    others = page.split("Other ideas", 1)[1]
    assert "A &lt;b&gt;chess&lt;/b&gt; table by the gate <small>(verbatim, i3)</small>" in others
    assert "Shade trees on the path" not in others


async def test_report_in_chat_counts_check_in_weeks_from_the_campaign_s_first_week(harness):
    await harness.start_parks()
    summary, _attached = await harness.say("/report", user="bob")
    assert summary.text.count("week of") == 1, summary.text
