"""/groups and /mygroup through the real core: ten residents vote on a dozen ideas, in English and French."""

from __future__ import annotations

import csv
import json

import frictionless
from sqlmodel import Session

from bot.testing.harness import FACILITATOR
from facilitation.civic.opendata.package import write_package
from storage.models import Campaign, OpinionGroupState

IDEAS = [
    "Close the main street to cars on Sundays",
    "More bike lanes downtown",
    "A car-free zone around schools",
    "Cheaper bus passes for students",
    "Keep free parking by the market",
    "Widen the ring road",
    "More parking at the station",
    "Longer green lights for cars",
    "Plant trees along every school route",
    "More benches in the parks",
    "Move the bus depot",
    "Repaint the town hall",
]
# Camp one agrees with ideas 1-4 and disagrees with 5-8, camp two the reverse; everyone agrees with 9
# and 10, and passes on 11 and 12. Resident 5 strays from camp one on idea 2 (a difference to notice).
CAMP_ONE = ["agree"] * 4 + ["disagree"] * 4 + ["agree", "agree", "pass", "pass"]
CAMP_TWO = ["disagree"] * 4 + ["agree"] * 4 + ["agree", "agree", "pass", "pass"]
RESIDENTS = [f"resident{n}" for n in range(1, 11)]


async def ten_residents_vote(harness) -> None:  # noqa: ANN001
    await harness.start_parks()
    for text in IDEAS:
        await harness.say(f"/idea {text}", user="alice")
    for number, resident in enumerate(RESIDENTS, start=1):
        choices = list(CAMP_ONE if number <= 5 else CAMP_TWO)
        if number == 5:
            choices[1] = "disagree"
        for idea, choice in enumerate(choices, start=1):
            await harness.say(f"/vote i{idea} {choice}", user=resident)


async def test_groups_says_how_many_more_votes_are_needed(harness):
    await harness.start_parks()
    await harness.say("/idea More benches in the parks")
    await harness.say("/vote i1 agree", user="bob")
    answer = await harness.reply_text("/groups")
    assert (
        "Not enough votes yet in #parks to find opinion groups: 3 more voters and 1 more idea with votes needed."
        in answer
    )


async def test_groups_shows_each_group_its_ideas_and_the_common_ground(harness):
    await ten_residents_vote(harness)
    answer = await harness.reply_text("/groups")
    assert "Opinion groups in #parks (10 voters grouped):" in answer
    assert "Group A · 5 people" in answer and "Group B · 5 people" in answer
    assert "i1 · Close the main street to cars on Sundays (agree 100%, disagree 0%)" in answer
    assert "i5 · Keep free parking by the market (agree 100%, disagree 0%)" in answer
    common = answer.split("What nearly everyone agrees on:")[1].split("Most divisive:")[0]
    assert "i9 · Plant trees along every school route" in common and "i10 · More benches" in common
    assert "i1 ·" not in common and "i5 ·" not in common
    divisive = answer.split("Most divisive:")[1]
    assert "(A 100% agree, B 0% agree)" in divisive or "(A 0% agree, B 100% agree)" in divisive
    assert "Repaint" not in answer  # everyone passed: it sets no group apart and unites no one
    assert len(harness.rows(OpinionGroupState)) == 1
    assert answer == await harness.reply_text("/groups")  # asked again, the same groups


async def test_mygroup_tells_a_resident_privately_where_they_differ(harness):
    await ten_residents_vote(harness)
    sent = await harness.say("/mygroup", user="resident5")
    assert all(message.message.private for message in sent)
    text = "\n".join(message.text for message in sent)
    assert "In #parks you are nearest to group" in text and "(5 people)." in text
    assert "i2 · More bike lanes downtown (you: Disagree; group" in text and "80% agree)" in text
    assert "A bridge: i9 · Plant trees along every school route" in text or "A bridge: i10 · " in text
    newcomer = await harness.reply_text("/mygroup", user="zoe")
    assert "You have not voted on ideas of #parks yet." in newcomer


async def test_groups_and_mygroup_speak_french(harness):
    await ten_residents_vote(harness)
    await harness.say("/lang fr", user="resident5")
    groups = await harness.reply_text("/groups", user="resident5")
    assert "Groupes d'opinion dans #parks (10 votants regroupés) :" in groups
    assert "Groupe A · 5 personnes" in groups and "(d'accord 100 %, pas d'accord 0 %)" in groups
    assert "Ce sur quoi presque tout le monde s'accorde :" in groups and "Ce qui divise le plus :" in groups
    mine = await harness.reply_text("/mygroup", user="resident5")
    assert "Dans #parks, vous êtes le plus proche du groupe" in mine
    assert "(vous : Pas d'accord ; groupe" in mine and "80 % d'accord)" in mine
    assert "Un pont : i" in mine


async def test_hidden_and_withdrawn_ideas_leave_the_groups(harness):
    await ten_residents_vote(harness)
    await harness.say("/hide i1 Off topic", user=FACILITATOR)
    await harness.say("/withdraw i5", user="alice")
    answer = await harness.reply_text("/groups")
    assert "Group A · 5 people" in answer
    assert "i1 ·" not in answer and "i5 ·" not in answer
    assert "i2 · More bike lanes downtown" in answer or "i3 · A car-free zone" in answer


async def test_open_data_gives_each_participant_their_opinion_group(harness, tmp_path):
    await ten_residents_vote(harness)
    [campaign] = harness.rows(Campaign)
    with Session(harness.townhall.database.engine) as session:
        package = write_package(session, campaign, tmp_path / "open", "secret")
    assert frictionless.validate(str(package)).valid
    with (tmp_path / "open" / "participants-votes.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    voters = [row for row in rows if row["n-votes"] != "0"]
    assert len(voters) == 10 and sorted(row["group-id"] for row in voters) == ["0"] * 5 + ["1"] * 5
    by_first_vote = {row["1"]: {r["group-id"] for r in voters if r["1"] == row["1"]} for row in voters}
    assert all(len(groups) == 1 for groups in by_first_vote.values())  # each camp is one group
    author = next(row for row in rows if row["n-votes"] == "0")
    assert author["group-id"] == ""  # alice wrote but did not vote: not grouped
    with (tmp_path / "open" / "summary.csv").open() as handle:
        assert ["groups", "2"] in list(csv.reader(handle))
    described = json.loads((tmp_path / "open" / "datapackage.json").read_text())
    fields = next(r for r in described["resources"] if r["name"] == "polis-participants-votes")["schema"][
        "fields"
    ]
    assert "opinion group" in next(f for f in fields if f["name"] == "group-id")["description"]
    assert "`group-id` is the opinion group" in (tmp_path / "open" / "README.md").read_text()
