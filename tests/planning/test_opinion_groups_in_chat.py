"""/groups and /mygroup through the real core: ten residents vote on a dozen ideas, in English and French.

The groups are computed in the background some seconds after the votes: each test's clock starts a day
ahead, so the live scheduler never runs the job itself, and `regrouped` moves the clock and runs it.
"""

from __future__ import annotations

import csv
import json
import re
from datetime import UTC, datetime, timedelta

import frictionless
import pytest
from sqlmodel import Session

from bot.testing.harness import FACILITATOR, Clock, Harness, townhall
from facilitation.civic.opendata.package import write_package
from facilitation.planning.regrouping import RECOMPUTE_MAX_WAIT
from storage.models import Campaign, OpinionGroupState, utcnow

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


@pytest.fixture
async def harness(database_url, tmp_path):  # noqa: ANN001
    """The real core with a clock of its own, a day ahead of the live scheduler's."""
    async with Harness.running(database_url, tmp_path, clock=Clock(utcnow() + timedelta(days=1))) as running:
        yield running


async def regrouped(harness) -> list[str]:  # noqa: ANN001
    """Let the background recomputation of the groups come due and run; the jobs that ran."""
    harness.townhall.core.config.clock.advance(RECOMPUTE_MAX_WAIT)
    return await harness.run_due_jobs()


async def ten_residents_vote(harness, regroup: bool = True) -> None:  # noqa: ANN001
    if not harness.rows(Campaign):
        await harness.start_parks()
    for text in IDEAS:
        await harness.say(f"/idea {text}", user="alice")
    for number, resident in enumerate(RESIDENTS, start=1):
        choices = list(CAMP_ONE if number <= 5 else CAMP_TWO)
        if number == 5:
            choices[1] = "disagree"
        for idea, choice in enumerate(choices, start=1):
            await harness.say(f"/vote i{idea} {choice}", user=resident)
    if regroup:
        await regrouped(harness)


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
    await harness.say("/lang fr", user="zoe")
    card = await harness.say("/vote", user="zoe")
    assert card[0].message.private and card[0].text.split(":")[0].strip() in {f"i{n}" for n in range(1, 9)}
    assert [b.label for b in card[0].message.buttons][-3:] == ["D'accord", "Pas d'accord", "Je passe"]
    await harness.say("/vote i1 disagree", user="resident5")
    assert "Des votes sont arrivés depuis que ces groupes ont été trouvés : ils se mettent à jour…" in (
        await harness.reply_text("/groups", user="resident5")
    )


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


async def test_groups_are_computed_in_the_background_some_seconds_after_the_votes(harness):
    clock = harness.townhall.core.config.clock
    first_vote = clock()
    await ten_residents_vote(harness, regroup=False)
    # nothing computed on the votes' path: one job for the whole burst, due within a minute of the first
    assert (
        "The opinion groups of #parks are being computed from the latest votes"
        in await harness.reply_text("/groups")
    )
    [job] = [job for job in harness.townhall.scheduler.jobs() if job.kind == "opinion-groups"]
    assert job.job_id == "opinion-groups:1" and job.run_at <= first_vote + RECOMPUTE_MAX_WAIT
    assert await regrouped(harness) == ["opinion-groups:1"]
    answer = await harness.reply_text("/groups")
    assert "Group A · 5 people" in answer and "updating" not in answer
    [stored] = harness.rows(OpinionGroupState)
    assert (stored.algorithm, stored.seed, stored.computed_at) == ("polis-1", 20140618, clock())
    assert len(stored.labels) == 10 and stored.votes_at is not None

    await harness.say("/vote i1 disagree", user="resident1")  # the stored groups stay, said to be updating
    later = await harness.reply_text("/groups")
    assert "Group A · 5 people" in later
    assert "Votes came in since these groups were found: they are updating…" in later
    await regrouped(harness)
    assert "updating" not in await harness.reply_text("/groups")


async def test_a_groups_job_lost_in_a_crash_is_scheduled_again_at_start(database_url, tmp_path):
    clock = Clock(utcnow() + timedelta(days=1))
    async with Harness.running(database_url, tmp_path, clock=clock) as harness:
        await ten_residents_vote(harness, regroup=False)
        harness.townhall.scheduler.remove("opinion-groups:1")  # lost between the commit and the scheduler
    async with Harness.running(database_url, tmp_path, clock=clock) as harness:
        assert "opinion-groups:1" in [job.job_id for job in harness.townhall.scheduler.jobs()]
        await harness.run_due_jobs()
        assert "Group A · 5 people" in await harness.reply_text("/groups")
    async with Harness.running(database_url, tmp_path, clock=clock) as harness:
        assert "opinion-groups:1" not in [job.job_id for job in harness.townhall.scheduler.jobs()]


async def test_groups_sends_a_picture_of_the_map_coloured_by_group(harness):
    await ten_residents_vote(harness)
    sent = await harness.say("/groups")
    [picture] = [message for message in sent if message.message.image_path]
    assert picture.text == "Opinion groups of #parks"
    with open(picture.message.image_path, "rb") as image:
        assert image.read(8) == b"\x89PNG\r\n\x1a\n"
    again = await harness.say("/groups")  # the same groups: the same picture, not drawn again
    assert [m.message.image_path for m in again if m.message.image_path] == [picture.message.image_path]


async def test_vote_deals_first_the_ideas_that_divide_the_groups(harness):
    await ten_residents_vote(harness)
    # Everyone has seen every idea; i9 and i10 are agreed by all, i1 to i8 split the groups: Polis's
    # routing weighs how far an idea pulls on the map, so a newcomer is dealt a dividing idea first.
    card = await harness.say("/vote", user="zoe")
    assert card[0].message.private and card[0].text.split(":")[0].strip() in {f"i{n}" for n in range(1, 9)}
    assert [b.label for b in card[0].message.buttons][-3:] == ["Agree", "Disagree", "Pass"]


@pytest.mark.embeddings
async def test_round_and_themes_digests_say_how_each_group_leans_on_each_theme(
    database_url, tmp_path, embedder
):
    clock = Clock(datetime(2030, 3, 4, 12, tzinfo=UTC))  # a Monday noon: outside quiet hours
    async with Harness.running(database_url, tmp_path, embedder=embedder, clock=clock) as harness:
        await harness.start_parks()
        await harness.say("/round 2h How should we get around town?", user=FACILITATOR)
        await harness.say("/idea Wider pavements for walking")
        before = await harness.reply_text("/themes")
        assert "Opinion groups:" not in before  # no groups yet: nothing said about them
        await ten_residents_vote(harness)
        themes = await harness.reply_text("/themes")
        assert re.search(r"^  Opinion groups: A \d+% agree, B \d+% agree$", themes, re.MULTILINE), themes
        closed = await harness.reply_text("/close", user=FACILITATOR)
        leanings = re.findall(r"^  Opinion groups: A (\d+)% agree, B (\d+)% agree$", closed, re.MULTILINE)
        assert leanings, closed
        await harness.say("/lang fr", user="resident1")
        french = await harness.reply_text("/themes", user="resident1")
        assert re.search(r"Groupes d'opinion : A d'accord à \d+ %, B d'accord à \d+ %", french), french


def test_in_the_console_ten_residents_vote_then_groups_mygroup_and_vote_answer_in_english_and_french(
    environment, tmp_path
):
    votes = ["/campaign #parks Better parks | How can we make our parks welcoming?"]
    votes += [f"/idea {text}" for text in IDEAS]
    for number, resident in enumerate(RESIDENTS, start=1):
        choices = list(CAMP_ONE if number <= 5 else CAMP_TWO)
        if number == 5:
            choices[1] = "disagree"
        votes.append(f"/as {resident}")
        votes += [f"/vote i{idea} {choice}" for idea, choice in enumerate(choices, start=1)]
    assert townhall("run", stdin="\n".join(votes) + "\n", env=environment, cwd=tmp_path).returncode == 0
    # The console run ended before the groups' background job came due: the facilitator's command
    # computes them now, as the job would have.
    assert townhall("groups", "#parks", env=environment, cwd=tmp_path).returncode == 0
    script = ["/as resident5", "/groups", "/mygroup", "/as zoe", "/vote"]
    script += ["/lang fr", "/vote", "/as resident5", "/lang fr", "/groups", "/mygroup"]
    run = townhall("run", stdin="\n".join(script) + "\n", env=environment, cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    assert "Opinion groups in #parks (10 voters grouped):" in run.stdout
    assert "Group A · 5 people" in run.stdout and "What nearly everyone agrees on:" in run.stdout
    assert "In #parks you are nearest to group" in run.stdout and "(you: Disagree; group" in run.stdout
    assert re.search(
        r"you › /vote\ntownhall › i[1-8]: .+\n.*\n.*\[1\] Support i\d+\n.*\[2\] Agree", run.stdout
    )
    assert "Groupes d'opinion dans #parks (10 votants regroupés) :" in run.stdout
    assert "Dans #parks, vous êtes le plus proche du groupe" in run.stdout
    assert re.search(
        r"you › /vote\ntownhall › i[1-8] : .+\n.*d'accord \d+.*\n.*\[5\] Soutenir i\d+\n.*\[6\] D'accord",
        run.stdout,
    )
    assert "Opinion groups of #parks" in run.stdout and "Groupes d'opinion de #parks" in run.stdout


async def test_a_forgotten_member_leaves_the_stored_groups_at_once(harness):
    await ten_residents_vote(harness)
    [before] = harness.rows(OpinionGroupState)
    await harness.say("/forget", user="resident5")
    await harness.press("Delete me and my ideas", user="resident5")
    [after] = harness.rows(OpinionGroupState)
    gone = set(before.coordinates) - set(after.coordinates)
    assert len(gone) == 1 and not gone & set(after.labels)
    assert int(gone.pop()) not in after.state["grouped"]
    assert "opinion-groups:1" in [job.job_id for job in harness.townhall.scheduler.jobs()]
    await regrouped(harness)
    assert "(9 voters grouped)" in await harness.reply_text("/groups")
