"""Shared goals, and the campaign released as open data: valid, Polis-readable, and naming no one."""

from __future__ import annotations

import csv
from pathlib import Path

import frictionless
from reddwarf.models import Statement, Vote
from sqlmodel import Session

from facilitation.opendata import PolisVote, Pseudonyms, write_package
from storage.models import Campaign, Goal, GoalMeasurement, Idea
from tests.support import FACILITATOR

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
    await harness.say("/goal trees allow Alice", user=FACILITATOR)
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


async def test_the_package_validates_and_names_no_one(harness, tmp_path):
    campaign = await populated_campaign(harness)
    package = export(harness, campaign, tmp_path / "open")
    report = frictionless.validate(str(package))
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])
    everything = "\n".join(path.read_text(encoding="utf-8") for path in (tmp_path / "open").iterdir())
    for secret_detail in (
        "483920175",
        "jean.tremblay",
        "Jean.Tremblay",
        "marie-claude",
        "Marie-Claude",
        "1001987654321",
        "fran",
        "Fran",
    ):
        assert secret_detail not in everything, secret_detail
    assert "Plant shade trees along the path #parks" in everything


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


async def test_export_in_chat_sends_the_archive_to_facilitators_only(harness):
    await harness.start_parks()
    assert "Only facilitators" in await harness.reply_text("/export", user="alice")
    [sent] = await harness.say("/export", user=FACILITATOR)
    assert sent.message.file_path.endswith(".zip") and Path(sent.message.file_path).exists()
