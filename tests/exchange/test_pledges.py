"""Pledges to prototypes through the real core: conditional on a shared goal until it is measured, then
fulfilled by the pledger and acknowledged by the team, or lapsed at their date; totals against a budget."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from bot.testing.harness import FACILITATOR, Clock, Harness, state
from storage.models import ExchangePost, Pledge


async def lamps_prototype(harness: Harness) -> None:
    """#parks with a goal, an idea grown into prototype p1, and bob in its team."""
    await harness.start_parks()
    await harness.say("/goal lamps-installed 20 lamps", user=FACILITATOR)
    await harness.say("/idea More lamps along the path", user="bob")
    await harness.say("/prototype i1 Lamps on the path", user=FACILITATOR)
    await harness.say("/team p1", user="bob")


def to(sent, user: str) -> list[str]:  # noqa: ANN001
    return [item.text for item in sent if item.address.user_id == user]


def report_page(sent) -> str:  # noqa: ANN001
    """The citizen report's page attached to /report's answer, as a resident opens it."""
    [path] = [item.message.file_path for item in sent if item.message.file_path]
    return Path(path).read_text(encoding="utf-8")


async def test_the_console_tour_of_a_pledge_waiting_on_the_lamps(harness):
    """The second Done-when: conditional until the goal is measured, then the pledger is told; /prototype
    shows the totals against the budget."""
    await lamps_prototype(harness)
    assert "Budget of p1: 500 minimum, 1000 optimum CAD." in await harness.reply_text(
        "/budget p1 500 1000 CAD", user="bob"
    )
    pledged = await harness.reply_text("/pledge p1 200 CAD if lamps-installed reaches 10", user="alice")
    assert "Pledge g1 recorded: 200 CAD to p1, if lamps-installed reaches 10" in pledged
    shown = await harness.reply_text("/prototype p1")
    assert "Budget: 500 minimum, 1000 optimum CAD; 40% of the minimum pledged." in shown, shown
    assert "Pledges: 200 CAD pledged: 200 conditional, 0 fulfilled" in shown
    early = await harness.say("/goal lamps-installed 9", user=FACILITATOR)
    assert not to(early, "alice")
    reached = await harness.say("/goal lamps-installed 10", user=FACILITATOR)
    [told] = to(reached, "alice")
    assert "lamps-installed reached 10: your pledge g1 of 200 CAD to p1 now holds" in told
    shown = await harness.reply_text("/prototype p1")
    assert "200 CAD pledged: 0 conditional, 0 fulfilled" in shown
    given = await harness.press("I have given it", user="alice")
    assert "g1 is fulfilled" in given[-1].text or any("g1 is fulfilled" in item.text for item in given)
    assert any("Acknowledge it once received" in text for text in to(given, "bob"))
    await harness.press("Received", user="bob")
    [pledge] = harness.rows(Pledge)
    assert pledge.status == "fulfilled" and pledge.acknowledged_at is not None
    assert "200 CAD pledged: 0 conditional, 200 fulfilled" in await harness.reply_text("/prototype p1")
    report = await harness.say("/report #parks")
    assert "Pledges to prototypes: 200 CAD pledged" in report[0].text
    against_budget = (
        "p1 · Lamps on the path: Budget: 500 minimum, 1000 optimum CAD; 40% of the minimum pledged. "
        "Pledges: 200 CAD pledged: 0 conditional, 200 fulfilled"
    )
    assert against_budget in report[0].text
    page = report_page(report)
    assert "<h2>Giving, pledges and organisations</h2>" in page and f"<p>{against_budget}</p>" in page


async def test_bad_pledges_are_refused_and_change_nothing(harness):
    await lamps_prototype(harness)
    await harness.say("/campaign #roads Safer roads | How can we make our roads safe?", user=FACILITATOR)
    await harness.say("/goal #roads crossings 5 crossings", user=FACILITATOR)
    await harness.say("/join #parks", user="alice")
    before = state(harness.townhall)
    answers = {
        "/pledge p1 -5 CAD": "above 0",
        "/pledge p1 99999999999 CAD": "above 0",
        "/pledge p1 20 XYZ": "XYZ is no currency I know",
        "/pledge p1 20 CAD if benches reaches 3": "There is no goal benches in #parks",
        "/pledge p1 20 CAD if crossings reaches 3": "crossings is a goal of another campaign",
        "/pledge p1 20 CAD by 2020-01-01": "is not in the future",
        "/pledge p9 20 CAD": "There is no prototype p9",
        "/pledge p1 20 CAD when it rains": "Write a condition as",
        "/budget p1 500 1000 CAD": "Only the team of p1",
    }
    for command, expected in answers.items():
        answer = await harness.reply_text(command, user="alice")
        assert expected in answer, (command, answer)
    assert state(harness.townhall) == before


async def test_someone_else_cannot_settle_a_pledge(harness):
    await lamps_prototype(harness)
    await harness.say("/pledge p1 3 hours", user="alice")
    assert "Only the pledger of g1" in await harness.reply_text("/pledge g1 given", user="carol")
    assert "not given yet" in await harness.reply_text("/pledge g1 received", user="bob")
    assert "g1 is fulfilled" in await harness.reply_text("/pledge g1 given", user="alice")
    assert "Only the team of p1" in await harness.reply_text("/pledge g1 received", user="carol")


async def test_a_pledge_lapses_at_its_date_and_its_pledger_is_told(database_url, tmp_path):
    clock = Clock()
    async with Harness.running(database_url, tmp_path, clock=clock) as harness:
        await lamps_prototype(harness)
        await harness.say("/pledge p1 50 EUR if lamps-installed reaches 15 in 2 weeks", user="alice")
        await harness.run_until(clock, clock.moment + timedelta(days=16))
        await harness.wait_for_text("lapsed: its date passed")
        [pledge] = harness.rows(Pledge)
        assert pledge.status == "lapsed"
        assert "Pledges:" not in await harness.reply_text("/prototype p1")


async def test_forget_removes_offers_needs_and_pledges_even_when_ideas_stay(harness):
    await lamps_prototype(harness)
    await harness.say("/offer I can lend my wheelbarrow", user="alice")
    await harness.say("/need Someone to water the new trees", user="alice")
    await harness.say("/pledge p1 20 CAD", user="alice")
    await harness.say("/offer I can fix bicycles", user="carol")
    me = await harness.reply_text("/me", user="alice", private=True)
    assert "1 offer" in me and "1 need" in me and "1 pledge" in me
    await harness.say("/forget", user="alice", private=True)
    await harness.press("keep my ideas anonymously", user="alice", private=True)
    assert [post.text for post in harness.rows(ExchangePost)] == ["I can fix bicycles"]
    assert harness.rows(Pledge) == []
    assert "wheelbarrow" not in await harness.reply_text("/offers #parks")
