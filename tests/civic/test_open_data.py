"""Shared goals, and the campaign released as open data: valid, Polis-readable, and naming no one."""

from __future__ import annotations

import asyncio
import csv
from datetime import UTC, datetime, timedelta
from pathlib import Path

import frictionless
import pytest
from reddwarf.models import Statement, Vote
from sqlmodel import Session

from bot.demo import demo_statements
from bot.testing.harness import FACILITATOR, Clock, Harness
from facilitation.civic.opendata.package import write_package
from facilitation.civic.opendata.polis import PolisVote
from facilitation.civic.opendata.tables import TABLES, Pseudonyms
from storage.models import Campaign, CheckIn, Goal, GoalMeasurement, Idea, Member, Theme

SECRET = "test-secret"


async def test_goals_set_measured_and_shown_with_trend_and_history(harness):
    await harness.start_parks()
    created = await harness.reply_text("/goal benches 40 benches", user=FACILITATOR)
    assert "reach 40 benches" in created
    await harness.say("/goal benches 12", user=FACILITATOR)
    await harness.say("/goal benches 18", user=FACILITATOR)
    shown = await harness.reply_text("/goals", user="alice")
    assert "benches: 18 of 40 benches (45%) ↑" in shown and ": 12," in shown
    invitation = await harness.reply_text("/invite", user=FACILITATOR)
    assert "Shared goals: benches: 40 benches" in invitation


async def test_residents_measure_goals_only_when_allowed(harness):
    await harness.start_parks()
    await harness.say("/goal trees 100 trees", user=FACILITATOR)
    assert "Only facilitators" in await harness.reply_text("/goal shade 10 trees", user="alice")
    assert "Only facilitators, and members they allow" in await harness.reply_text(
        "/goal trees 5", user="alice"
    )
    await harness.say("/goal trees allow @alice", user=FACILITATOR)
    assert "Recorded 5 trees" in await harness.reply_text("/goal trees 5", user="alice")
    assert [goal.name for goal in harness.rows(Goal)] == ["trees"]
    assert [m.value for m in harness.rows(GoalMeasurement)] == [5]


async def test_bad_goal_input_is_explained(harness):
    await harness.start_parks()
    assert "needs a number to reach and a unit" in await harness.reply_text(
        "/goal benches many", user=FACILITATOR
    )
    await harness.say("/goal benches 40 benches", user=FACILITATOR)
    assert "is not a number" in await harness.reply_text("/goal benches lots", user=FACILITATOR)
    assert "no shared goal yet" not in await harness.reply_text("/goals")
    assert harness.rows(GoalMeasurement) == []


async def populated_campaign(harness) -> Campaign:
    """#parks with residents whose platform names and ids look real."""
    await harness.start_parks()
    await harness.say("/goal benches 40 benches", user=FACILITATOR)
    await harness.say("/goal benches 12", user=FACILITATOR)
    for user, text in (
        ("483920175", "More benches near the playground #parks"),
        ("jean.tremblay", "Plant shade trees along the path #parks"),
        ("marie-claude", "Water fountain by the gate #parks"),
    ):
        await harness.say(text, user=user, chat="-1001987654321")
    [campaign] = harness.rows(Campaign)
    return campaign


def export(harness, campaign: Campaign, out: Path, votes=None) -> Path:
    with Session(harness.townhall.database.engine) as session:
        if votes is None:
            return write_package(session, campaign, out, SECRET)
        return write_package(session, campaign, out, SECRET, votes=lambda session, campaign: votes)


START = datetime(2030, 10, 28, 12, tzinfo=UTC)
"""A Monday after the real present, so that the scheduler never fires the test's jobs on its own."""
PLANTED = ("483920175", "jean.tremblay", "Jean.Tremblay", "marie-claude", "Marie-Claude", "1001987654321")
"""Platform ids, usernames, display names and a chat id that must appear in no exported file."""
PRIVATE_WORDS = (
    "Ask Jean's cousin",
    "the crane is late",
    "514-555-0199",
    "Sweep the steps",
    "my wheelbarrow",
    "the saw and its blade",
)
"""A progress note, a check-in note, a hidden idea, a forgotten member's commitment and offer, and the words
of a gift (matches publish hours and counts only)."""


async def lived_in_campaign(harness: Harness, clock: Clock) -> Campaign:
    """#parks after a few weeks of life: residents with real-looking names and ids, a round, themes, a
    prototype with versions and feedback, commitments, pods and check-ins, a hidden idea and a member
    who asked to be forgotten."""
    await harness.start_parks()
    await harness.say("/goal benches 40 benches", user=FACILITATOR)
    await harness.say("/goal benches 12", user=FACILITATOR)
    await harness.say(
        "/round #parks 3d What would make you spend an afternoon in the park?", user=FACILITATOR
    )
    await asyncio.gather(
        *(
            harness.say(f"/idea #parks {text}", user=f"resident{n}")
            for n, text in enumerate(demo_statements()[:30])
        )
    )
    for user, text in (
        ("483920175", "More benches near the playground #parks"),
        ("jean.tremblay", "Plant shade trees along the path #parks"),
        ("marie-claude", "Water fountain by the gate #parks"),
        ("forgetful", "A reading corner under the oaks #parks"),
        ("resident0", "My phone is 514-555-0199, call me about the benches #parks"),
    ):
        await harness.say(text, user=user, chat="-1001987654321")
    hidden = next(idea for idea in harness.rows(Idea) if "514-555-0199" in idea.text)
    await harness.say(f"/hide i{hidden.id} a phone number", user=FACILITATOR)
    await harness.say("/themes #parks", user="marie-claude")
    theme = max(harness.rows(Theme), key=lambda theme: theme.idea_count)
    await harness.say(f"/prototype t{theme.id} Shaded benches by the pond", user=FACILITATOR)
    await harness.say("/team p1", user="jean.tremblay")
    await harness.say("/version p1 Two benches under the willow", user="jean.tremblay")
    await harness.say("/feedback p1 4 Lovely, but a little low", user="marie-claude")
    await harness.say("/version p1 Raised the seats by ten centimetres", user="jean.tremblay")
    await harness.say("/feedback p1 5 Just right now", user="483920175")
    for user, action in (
        ("483920175", f"Paint the old benches by in 3 weeks theme {theme.id}"),
        ("jean.tremblay", "Build the willow benches by in 2 weeks prototype 1"),
        ("marie-claude", "Ask the city for a fountain by in 4 weeks"),
        ("forgetful", "Sweep the steps by in 1 week"),
    ):
        await harness.say(f"/commit {action} #parks", user=user)
    await harness.say("/progress c2 40% Ask Jean's cousin for the saw", user="jean.tremblay")
    await harness.say("/need #parks We need someone with a ladder to hang the lamps", user="marie-claude")
    await harness.say("/offer #parks I can lend a ladder and two hours on Saturdays", user="jean.tremblay")
    await harness.press("Connect with", user="jean.tremblay")
    await harness.press("Accept", user="marie-claude")
    await harness.say("/given m1 2h", user="jean.tremblay")
    await harness.press("Confirm", user="marie-claude")
    await harness.say("/given m1 the saw and its blade", user="marie-claude")
    await harness.press("Confirm", user="jean.tremblay")
    await harness.say("/offer #parks I can lend my wheelbarrow", user="forgetful")
    await harness.say("/budget p1 500 1000 CAD", user="jean.tremblay")
    await harness.say("/pledge p1 200 CAD if benches reaches 20", user="483920175")
    await harness.say("/org #parks Parks Club | community", user="483920175")
    await harness.say("/org #parks confirm @483920175", user=FACILITATOR)
    await harness.say("/pledge p1 10 hours as Parks Club", user="483920175")
    await harness.say("/commit Water the new trees as Parks Club by friday #parks", user="483920175")
    await harness.say("/pool #parks 500 CAD", user=FACILITATOR)
    await harness.say("/forget", user="forgetful", private=True)
    await harness.press("Delete me and my ideas", user="forgetful", private=True)
    await harness.say("/pods 3 #parks", user=FACILITATOR)
    await harness.run_until(clock, START + timedelta(days=4))
    await harness.say("/checkin on track", user="483920175", private=True)
    await harness.say("/checkin blocked: the crane is late", user="jean.tremblay", private=True)
    await harness.run_until(clock, START + timedelta(days=11))
    await harness.say("/checkin need help", user="jean.tremblay", private=True)
    await harness.run_due_jobs()
    [campaign] = harness.rows(Campaign)
    return campaign


@pytest.mark.embeddings
async def test_the_package_validates_carries_every_table_and_names_no_one(database_url, tmp_path, embedder):  # noqa: ANN001
    clock = Clock(START)
    async with Harness.running(database_url, tmp_path / "data", clock=clock, embedder=embedder) as harness:
        campaign = await lived_in_campaign(harness, clock)
        assert len(harness.rows(CheckIn)) >= 4, "the pods got their check-ins"
        pseudonyms = [member.pseudonym for member in harness.rows(Member)]
        package = export(harness, campaign, tmp_path / "open")
    report = frictionless.validate(str(package))
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])
    files = list((tmp_path / "open").iterdir())
    everything = "\n".join(path.read_text(encoding="utf-8") for path in files)
    for secret_detail in (*PLANTED, *PRIVATE_WORDS, *pseudonyms, "fran", "Fran", "forgetful", "Forgetful"):
        assert secret_detail not in everything, secret_detail
    assert "Plant shade trees along the path #parks" in everything

    def table(name: str) -> list[dict[str, str]]:
        with (tmp_path / "open" / f"{name}.csv").open(encoding="utf-8") as handle:
            return list(csv.DictReader(handle))

    ideas = {row["text"]: row for row in table("ideas")}
    planted = ideas["Plant shade trees along the path #parks"]
    assert planted["round_id"] == "1" and planted["author"].startswith("p-")
    themes = {row["theme_id"]: row for row in table("themes")}
    assert themes and all(row["label"] and row["keywords"] for row in themes.values())
    assert {row["theme_id"] for row in ideas.values() if row["theme_id"]} <= set(themes)
    assert [row["title"] for row in table("prototypes")] == ["Shaded benches by the pond"]
    versions = table("prototype_versions")
    assert [row["number"] for row in versions] == ["1", "2"]
    assert len({row["author"] for row in versions}) == 1 and versions[0]["author"] == planted["author"]
    assert [(row["rating"], row["text"]) for row in table("feedback")] == [
        ("4", "Lovely, but a little low"),
        ("5", "Just right now"),
    ]
    commitments = {row["action"]: row for row in table("commitments")}
    assert set(commitments) == {
        "Paint the old benches",
        "Build the willow benches",
        "Ask the city for a fountain",
        "Water the new trees",
    }
    assert commitments["Build the willow benches"]["progress_percent"] == "40"
    assert commitments["Build the willow benches"]["prototype_id"] == "1"
    weeks = table("checkins_weekly")
    assert [row["week_of"] for row in weeks] == ["2030-10-28", "2030-11-04"]
    assert (weeks[0]["on_track"], weeks[0]["blocked"], weeks[1]["need_help"]) == ("1", "1", "1")
    assert all(int(row["answered"]) <= int(row["sent"]) for row in weeks)
    assert [row["text"] for row in table("offers")] == ["I can lend a ladder and two hours on Saturdays"]
    assert [row["status"] for row in table("needs")] == ["open"]
    [match] = table("matches")
    assert (match["status"], match["hours_given"], match["things_given"]) == ("connected", "2.0", "1")
    [organisation] = table("organisations")
    assert (organisation["name"], organisation["sector"]) == ("Parks Club", "community")
    assert table("organisation_commitments") == [
        {
            "commitment_id": commitments["Water the new trees"]["commitment_id"],
            "organisation_id": organisation["organisation_id"],
        }
    ]
    [pool] = table("pools")
    assert (pool["amount"], pool["round_id"]) == ("500.0", "1") and pool["allocated_at"]
    assert [(row["prototype_id"], row["pledgers"]) for row in table("pool_allocations")] == [("1", "1")]
    pledge, by_club = table("pledges")
    assert (by_club["organisation_id"], by_club["unit"]) == (organisation["organisation_id"], "hours")
    assert (pledge["amount"], pledge["unit"], pledge["goal_value"], pledge["status"]) == (
        "200.0",
        "CAD",
        "20.0",
        "promised",
    )
    assert pledge["pledger"].startswith("p-") and [row["minimum"] for row in table("budgets")] == ["500.0"]
    readme = (tmp_path / "open" / "README.md").read_text(encoding="utf-8")
    for declared in TABLES:
        assert f"## {declared.name}.csv" in readme
        assert all(f"| {column.name} |" in readme for column in declared.columns)


async def test_pseudonyms_are_stable_within_a_campaign_and_differ_across_campaigns(harness, tmp_path):
    campaign = await populated_campaign(harness)
    export(harness, campaign, tmp_path / "one")
    export(harness, campaign, tmp_path / "two")
    assert (tmp_path / "one" / "ideas.csv").read_text() == (tmp_path / "two" / "ideas.csv").read_text()
    same_member = 1
    assert Pseudonyms(SECRET, campaign.id)(same_member) != Pseudonyms(SECRET, campaign.id + 1)(same_member)
    assert Pseudonyms(SECRET, campaign.id)(same_member) != Pseudonyms("another secret", campaign.id)(
        same_member
    )


async def test_polis_files_read_back_with_a_polis_reader_give_the_same_comments_and_votes(harness, tmp_path):
    campaign = await populated_campaign(harness)
    stored = harness.rows(Idea)
    votes = [
        PolisVote(stored[0].id, stored[1].member_id, 1, stored[0].created_at),
        PolisVote(stored[0].id, stored[2].member_id, -1, stored[0].created_at),
        PolisVote(stored[1].id, stored[0].member_id, 0, stored[1].created_at),
    ]
    export(harness, campaign, tmp_path / "open", votes)
    with (tmp_path / "open" / "comments.csv").open() as handle:
        statements = [Statement(**row) for row in csv.DictReader(handle)]
    with (tmp_path / "open" / "votes.csv").open() as handle:
        read_votes = [Vote(**row) for row in csv.DictReader(handle)]
    assert [(s.statement_id, s.txt) for s in statements] == [(idea.id, idea.text) for idea in stored]
    assert (statements[0].agree_count, statements[0].disagree_count) == (1, 1)
    assert sorted((v.statement_id, int(v.vote)) for v in read_votes) == sorted(
        (v.idea_id, v.vote) for v in votes
    )
    authors = {s.statement_id: s.participant_id for s in statements}
    assert {v.participant_id for v in read_votes} <= set(authors.values())


async def test_an_empty_campaign_exports_a_valid_empty_package(harness, tmp_path):
    await harness.start_parks()
    [campaign] = harness.rows(Campaign)
    package = export(harness, campaign, tmp_path / "empty")
    assert frictionless.validate(str(package)).valid
    assert (tmp_path / "empty" / "comments.csv").read_text().startswith("timestamp,datetime,comment-id")
    for declared in TABLES[1:]:  # every table but the campaign's own row: a header and nothing else
        lines = (tmp_path / "empty" / f"{declared.name}.csv").read_text().splitlines()
        assert lines == [",".join(column.name for column in declared.columns)]


async def test_export_in_chat_sends_the_archive_to_facilitators_only(harness):
    await harness.start_parks()
    assert "Only facilitators" in await harness.reply_text("/export", user="alice")
    [sent] = await harness.say("/export", user=FACILITATOR)
    assert sent.message.file_path.endswith(".zip") and Path(sent.message.file_path).exists()


FORMULAS = ("=1+cmd|' /C calc'!A0", '=HYPERLINK("http://evil.example","Click")', "@SUM(1+1)", "+1+1", "-2+3")


async def test_formulas_written_by_residents_reach_spreadsheets_as_text(harness, tmp_path):
    await harness.start_parks()
    for number, formula in enumerate(FORMULAS):
        await harness.say(f"/idea {formula}", user=f"resident{number}")
    await harness.say("/prototype i1 Bench plan", user=FACILITATOR)
    await harness.say("/team p1", user="resident0")
    await harness.say(f"/version p1 {FORMULAS[1]}", user="resident0")
    await harness.say(f"/feedback p1 4 {FORMULAS[2]}", user="resident1")
    await harness.say(f"/commit {FORMULAS[3]} by tomorrow", user="resident2")
    [campaign] = harness.rows(Campaign)
    package = export(harness, campaign, tmp_path / "open")
    report = frictionless.validate(str(package))
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])

    cells: dict[str, list[str]] = {}
    for path in (tmp_path / "open").glob("*.csv"):
        with path.open(encoding="utf-8", newline="") as handle:
            cells[path.name] = [cell for row in csv.reader(handle) for cell in row]
    for name in ("ideas.csv", "comments.csv", "prototype_versions.csv", "feedback.csv", "commitments.csv"):
        assert [cell for cell in cells[name] if cell.startswith(("=", "+", "-", "@", "\t", "\r"))] == [], name
    assert {f"'{formula}" for formula in FORMULAS} <= set(cells["ideas.csv"])
    assert f"'{FORMULAS[1]}" in cells["prototype_versions.csv"]
    assert f"'{FORMULAS[2]}" in cells["feedback.csv"]
    assert f"'{FORMULAS[3]}" in cells["commitments.csv"]
    dictionary = (tmp_path / "open" / "README.md").read_text(encoding="utf-8")
    assert "apostrophe (`'`) in front" in dictionary and "no JSON form" in dictionary
