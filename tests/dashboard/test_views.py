"""The facilitators' pages of rounds, prototypes and giving, commitments, goals and opinion groups, under
aiohttp's test client: what a facilitator notices on each, ideas' words escaped, French for a French
facilitator, and refused for anyone who does not facilitate the campaign."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import timedelta
from html import unescape

import numpy as np
import pytest
from aiohttp.test_utils import TestClient
from sqlmodel import Session

from bot.testing.harness import FACILITATOR, Clock, Harness
from facilitation.kernel.events import PlatformUser
from storage.models import (
    ExchangeMatch,
    IdeaEmbedding,
    IdeaTheme,
    Identity,
    Member,
    OpinionGroupState,
    Theme,
    utcnow,
)
from tests.dashboard.views import NEW_PAGES, dashboard_client, page, sign_in
from tests.planning.test_opinion_groups_in_chat import regrouped, ten_residents_vote

SCRIPT = "<script>alert(1)</script>"


def pseudonym(harness: Harness, user: str) -> str:
    [name] = [
        member.pseudonym
        for member in harness.rows(Member)
        for identity in harness.rows(Identity)
        if identity.member_id == member.id and identity.platform_user_id == user
    ]
    return name


@pytest.fixture
def clock() -> Clock:
    """A day ahead of the present, as in the opinion groups' tests: the live scheduler never runs a job of
    a test on its own (the groups' background job, a round's close), the test does when it chooses."""
    return Clock(utcnow() + timedelta(days=1))


@pytest.fixture
async def client(web: Harness) -> AsyncIterator[TestClient]:
    async with dashboard_client(web) as running:
        yield running


async def test_rounds_show_on_a_timeline_with_their_prompts_times_and_ideas(web, client, clock):
    await web.start_parks()
    await web.say("/round 1h Where should the benches go?", user=FACILITATOR)
    await web.say("/idea Benches by the pond", user="alice")
    await web.say("/idea Benches near the swings", user="bob")
    await web.say("/close #parks", user=FACILITATOR)
    clock.advance(hours=2)
    await web.say("/round 1d What shade do we need?", user=FACILITATOR)
    base = await sign_in(web, client)
    html = await page(client, base + "/rounds")
    assert "Where should the benches go?" in html and "What shade do we need?" in html
    rows = re.findall(r"<tr>\s*<td><span class=\"ref\">(r\d+)</span>(.*?)</tr>", html, re.S)
    assert [ref for ref, _row in rows] == ["r1", "r2"]
    assert "(open)" not in rows[0][1] and "(open)" in rows[1][1]
    assert rows[0][1].rstrip().endswith("<td>2</td>") and rows[1][1].rstrip().endswith("<td>0</td>")
    bars = re.findall(r'<rect class="(open|closed)" x="([\d.]+)"', html)
    assert [kind for kind, _x in bars] == ["closed", "open"] and float(bars[0][1]) < float(bars[1][1])


async def test_prototypes_show_versions_ratings_feedback_budget_pledges_and_giving(web, client):
    await web.start_parks()
    await web.say("/idea Lamps on the dark path", user="alice")
    await web.say("/prototype i1 Night lights pilot", user=FACILITATOR)
    await web.say("/team p1", user="carol")
    await web.say("/version p1 Two solar lamps by the gate", user="carol")
    await web.say("/feedback p1 4 Bright enough at the gate", user="alice")
    await web.say("/feedback p1 2 Still dark by the pond", user="bob")
    await web.say("/budget p1 500 1000 CAD", user="carol")
    await web.say("/goal lamps 10 lamps", user=FACILITATOR)
    await web.say("/pledge p1 200 CAD", user="alice")
    await web.say("/pledge p1 100 CAD if lamps reaches 5", user="bob")
    await web.say("/need #parks A ladder to hang the lamps", user="carol")
    await web.say("/offer #parks I can lend a ladder for a Saturday", user="bob")
    with Session(web.townhall.database.engine) as session:  # connected as Connect and Accept would
        session.add(
            ExchangeMatch(offer_id=2, need_id=1, offer_accepted=True, need_accepted=True, status="connected")
        )
        session.commit()
    await web.say("/given m1 3h", user="bob")
    await web.press("Confirm", user="carol")
    base = await sign_in(web, client)
    html = await page(client, base + "/prototypes")
    assert "Night lights pilot" in html and "the idea i1: Lamps on the dark path" in html
    assert f"Team: {pseudonym(web, 'carol')}" in html
    assert "v1 · " in html and "Two solar lamps by the gate" in html
    assert "2 ratings · mean rating 3.0 / 5" in html
    assert "Bright enough at the gate" in html and "Still dark by the pond" in html
    assert "Budget: 500 minimum, 1000 optimum CAD; 60% of the minimum pledged." in html
    assert re.search(r"<td>CAD</td><td>300</td><td>100</td><td>0</td>", html)
    assert re.search(
        r"hours given</dt><dd>3</dd>.*things given</dt><dd>0</dd>.*needs met</dt><dd>1</dd>", html, re.S
    )
    assert pseudonym(web, "alice") not in html and pseudonym(web, "bob") not in html  # no pledger, no giver


async def test_commitments_show_by_status_with_check_ins_answered_week_by_week(web, client, clock):
    await web.start_parks()
    await web.say("/commit Paint the benches by in 2 weeks #parks", user="alice")
    await web.say("/commit Sweep the paths by in 1 week #parks", user="bob")
    await web.say("/progress c1 40% Bought the paint", user="alice")
    base = await sign_in(web, client)
    html = await page(client, base + "/commitments")
    assert "2 commitments" in html and "No check-in yet." in html
    assert re.search(r"under way</dt><dd>1</dd>.*not started yet</dt><dd>1</dd>", html, re.S)
    assert "Bought the paint" not in html and "Paint the benches" not in html  # counts, not anyone's steps
    await web.say("/pods 2 #parks", user=FACILITATOR)
    await web.run_until(clock, clock.moment + timedelta(days=4))
    await web.say("/checkin on track", user="alice", private=True)
    base = await sign_in(web, client)  # the first session ended with the days gone by
    html = await page(client, base + "/commitments")
    week = re.search(r"<tr><td>\d{4}-\d\d-\d\d</td><td>(\d+)</td><td>(\d+)</td><td>(\d+%)</td>", html)
    assert week is not None and week.groups() == ("2", "1", "50%"), html
    assert '<svg class="chart"' in html and "check-ins answered per week (%)" in html


async def test_goals_show_each_value_against_its_target_on_a_chart(web, client):
    await web.start_parks()
    await web.say("/goal trees 50 trees", user=FACILITATOR)
    await web.say("/goal trees 12", user=FACILITATOR)
    await web.say("/goal trees 20", user=FACILITATOR)
    await web.say("/goal benches 10 benches", user=FACILITATOR)
    base = await sign_in(web, client)
    html = await page(client, base + "/goals")
    assert "<h2>trees: 20 / 50 trees</h2>" in html and "<h2>benches: – / 10 benches</h2>" in html
    [chart] = re.findall(r'<svg class="chart".*?</svg>', html, re.S)
    assert 'aria-label="trees over time"' in chart and len(re.findall(r"<circle ", chart)) == 2
    assert "No value recorded yet." in html


async def test_opinion_groups_show_on_a_map_by_group_once_computed_and_reading_changes_nothing(web, client):
    await ten_residents_vote(web, regroup=False)
    base = await sign_in(web, client)
    assert "Not computed yet" in await page(client, base + "/groups")
    await regrouped(web)  # the background job, some seconds after the votes
    stored = [(row.votes_key, row.state, row.computed_at) for row in web.rows(OpinionGroupState)]
    html = await page(client, base + "/groups")
    assert (
        "Group A · 5 people" in html and "Group B · 5 people" in html and "More benches in the parks" in html
    )
    dots = re.findall(
        r'<circle cx="[\d.]+" cy="[\d.]+" r="5" class="dot (t\d)"><title>(Group \w · 5)</title>', html
    )
    assert sorted(dots) == [("t0", "Group A · 5")] * 5 + [("t1", "Group B · 5")] * 5
    assert not any(pseudonym(web, f"resident{n}") in html for n in range(1, 11))  # nobody named on the map
    assert [(row.votes_key, row.state, row.computed_at) for row in web.rows(OpinionGroupState)] == stored


async def test_words_written_as_html_are_shown_as_text_on_every_new_page(web, client):
    await web.start_parks()
    await web.say(f"/round 1h Where? {SCRIPT}", user=FACILITATOR)
    await web.say(f"/idea Lamps {SCRIPT}", user="alice")
    await web.say(f"/prototype i1 Lights {SCRIPT}", user=FACILITATOR)
    await web.say(f"/version p1 Lamps {SCRIPT}", user=FACILITATOR)
    await web.say(f"/feedback p1 4 Nice {SCRIPT}", user="alice")
    await web.say("/goal lamps 10 lamps", user=FACILITATOR)
    base = await sign_in(web, client)
    for path in NEW_PAGES:
        html = await page(client, base + path)
        assert SCRIPT not in html and "<script>alert" not in html, path
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in await page(client, base + "/rounds")
    assert html.count("<script") == 0
    prototypes = await page(client, base + "/prototypes")
    assert prototypes.count("&lt;script&gt;") == 4  # title, origin, what changed, feedback


async def test_the_new_pages_speak_french_to_a_french_facilitator(web, client):
    await web.start_parks()
    await web.say("/lang fr", user=FACILITATOR)
    base = await sign_in(web, client)
    for path, heading in (
        ("/groups", "Groupes d'opinion"),
        ("/rounds", "Tours"),
        ("/prototypes", "Prototypes et dons"),
        ("/commitments", "Engagements"),
        ("/goals", "Objectifs partagés"),
    ):
        html = await page(client, base + path)
        assert '<html lang="fr">' in html and f"<h1>{heading}</h1>" in unescape(html), path


async def test_a_facilitator_of_another_campaign_and_a_stranger_are_refused_every_new_page(web, client):
    await web.start_parks()
    await web.say("/goal trees 50 trees", user=FACILITATOR)
    await web.say("/campaign #gardens Shared gardens | Where to grow food?", user=FACILITATOR)
    await web.say("/join #gardens", user="carol")
    await web.say(
        "/facilitator @carol #gardens", user=FACILITATOR, mentions=(PlatformUser("carol", "Carol"),)
    )
    own = await sign_in(web, client, "#gardens", user="carol")
    assert own != "/c/1"
    for path in NEW_PAGES:
        answer = await client.get("/c/1" + path)
        text = await answer.text()
        assert answer.status == 403 and "You do not facilitate" in text and "trees" not in text, path
        assert (await client.get(own + path)).status == 200, path
    client.session.cookie_jar.clear()
    for path in NEW_PAGES:
        answer = await client.get(own + path)
        assert answer.status == 403 and "/dashboard" in await answer.text(), path


async def test_the_overview_counts_everything_and_charts_each_day_in_its_own_column(web, client, clock):
    await web.start_parks()
    await web.say("/join #parks", user="bob")
    await web.say("/idea Benches by the pond", user="alice")
    await web.say("/vote i1 agree", user="bob")
    clock.advance(days=1)
    await web.say("/idea Shade trees", user="bob")
    await web.say("/idea Hidden one", user="bob")
    await web.say("/hide i3 Testing", user=FACILITATOR)
    await web.say("/prototype i1 Benches pilot", user=FACILITATOR)
    await web.say("/version p1 Two benches", user=FACILITATOR)
    await web.say("/feedback p1 4 Good", user="alice")
    await web.say("/commit Paint the benches by in 2 weeks #parks", user="alice")
    base = await sign_in(web, client)
    html = await page(client, base)
    counts = dict(re.findall(r'<dd data-count="(\w+)">(\d+)</dd>', html))
    assert counts == {"members": "2", "ideas": "2", "votes": "1", "feedback": "1", "commitments": "1"}
    legend = re.findall(r'<li class="series-\d">(\w+) \((\d+)\)</li>', html)
    assert legend == [("Ideas", "2"), ("Votes", "1"), ("Feedback", "1"), ("Commitments", "1")]
    lines = {name: points for points, name in re.findall(r'points="([^"]+)"><title>(\w+):', html)}
    # y grows downwards: of yesterday's and today's points, the higher count has the smaller y
    heights = {
        name: [float(point.split(",")[1]) for point in points.split()][-2:] for name, points in lines.items()
    }
    assert heights["Ideas"][0] == heights["Ideas"][1] and heights["Votes"][0] < heights["Votes"][1]
    assert (
        heights["Feedback"][0] > heights["Feedback"][1]
        and heights["Commitments"][0] > heights["Commitments"][1]
    )
    live = await (await client.get(base + "/live.json")).json()
    assert live["counts"] == {name: int(count) for name, count in counts.items()}


def store_themes(harness: Harness, themes: dict[str, list[int]]) -> None:
    """Themes as /themes leaves them (label: its ideas' ids), with a stored vector per idea, written
    straight to storage: no model is needed to read them."""
    with Session(harness.townhall.database.engine) as session:
        for index, (label, idea_ids) in enumerate(themes.items()):
            theme = Theme(
                campaign_id=1, label=label, idea_count=len(idea_ids), representative_idea_ids=idea_ids[:1]
            )
            session.add(theme)
            session.flush()
            for idea_id in idea_ids:
                vector = np.zeros(8, dtype="<f4")
                vector[index], vector[7] = 1.0, idea_id / 100
                session.add(IdeaEmbedding(idea_id=idea_id, model="test", vector=vector.tobytes()))
                session.add(IdeaTheme(idea_id=idea_id, theme_id=theme.id))
        session.commit()


async def test_the_themes_page_follows_a_hidden_idea_and_a_new_label_at_once(web, client):
    await web.start_parks()
    for text in (
        "Benches by the pond",
        "Benches near the swings",
        "More benches",
        "Shade trees",
        "Oaks",
        "Elms",
    ):
        await web.say(f"/idea {text}", user="alice")
    store_themes(web, {"Benches": [1, 2, 3], "Trees": [4, 5, 6]})
    base = await sign_in(web, client)
    html = await page(client, base + "/themes")
    assert "Benches by the pond" in html and "Trees (3)" in html and len(re.findall(r"<circle ", html)) == 6
    assert html == await page(client, base + "/themes")
    await web.say("/hide i4 Testing", user=FACILITATOR)
    with Session(web.townhall.database.engine) as session:
        session.get_one(Theme, 1).label = "Seats"
        session.commit()
    html = await page(client, base + "/themes")
    assert "Shade trees" not in html and len(re.findall(r"<circle ", html)) == 5
    assert "Seats (3)" in html and "Benches (3)" not in html
