"""Brainstorm rounds through the recording adapter, with a clock the test sets: open, remind, close, restart."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import Session, select

from bot.testing.harness import FACILITATOR, Clock, Harness
from facilitation.kernel.i18n import format_moment
from storage.models import Idea, Identity, Member, Round, utcnow
from tests.kernel.test_scheduler import job_rows

QUESTION = "What would make the park safer at night?"


def set_timezone(harness: Harness, user_id: str, timezone: str) -> None:
    """Members choose a time zone elsewhere; here it is written directly."""
    with Session(harness.townhall.database.engine) as session:
        identity = session.exec(select(Identity).where(Identity.platform_user_id == user_id)).one()
        session.get_one(Member, identity.member_id).timezone = timezone
        session.commit()


def texts(harness: Harness) -> list[str]:
    return [sent.text for sent in harness.adapter.sent]


async def test_a_round_lives_through_a_restart_before_its_close_then_closes_by_hand(database_url, tmp_path):
    clock = Clock()
    async with Harness.running(database_url, tmp_path, clock=clock) as harness:
        await harness.start_parks()
        opened = await harness.say(f"/round 2h {QUESTION}", user=FACILITATOR)
        assert [sent.address.chat_id for sent in opened] == ["room"]
        assert "Brainstorm round r1 is open in #parks" in opened[0].text and QUESTION in opened[0].text
        assert "Closes" in opened[0].text and "Coordinated Universal Time" in opened[0].text

        await harness.say("/lang fr", user="bob")
        set_timezone(harness, "bob", "America/Montreal")
        mine = await harness.press("When does it close", user="bob")
        assert mine[0].message.private and mine[0].address.user_id == "bob"
        closes = clock() + timedelta(hours=2)
        montreal = closes.astimezone(ZoneInfo("America/Montreal")).strftime("%H:%M")
        assert mine[0].text == f"Se termine {format_moment(closes, 'America/Montreal', 'fr')}."
        assert montreal in mine[0].text and "Est" in mine[0].text

        assert "recorded in round r1" in await harness.reply_text("/idea More lights near the gate")
        assert sorted(job_rows(harness)) == ["round-close:1", "round-remind:1"]

    clock.advance(timedelta(minutes=30))
    async with Harness.running(database_url, tmp_path, clock=clock) as harness:
        assert sorted(job_rows(harness)) == ["round-close:1", "round-remind:1"]
        assert "recorded in round r1" in await harness.reply_text(
            "/idea A night patrol by neighbours", user="carol"
        )
        closed = await harness.reply_text("/close", user=FACILITATOR)
        assert "Round r1 of #parks is closed. 2 ideas were shared." in closed
        assert "i1 · More lights near the gate" in closed and "i2 · A night patrol by neighbours" in closed
        assert "There is no open round in #parks" in await harness.reply_text("/close", user=FACILITATOR)
        after = await harness.reply_text("/idea Benches by the pond", user="dave")
        assert "Idea i3 recorded in #parks" in after
        assert [idea.round_id for idea in harness.rows(Idea)] == [1, 1, None]
        assert "Closed." in await harness.reply_text("/rounds")

        await harness.townhall.core.run_job("round-close", {"round_id": 1})  # the job, late: no second close
        await harness.townhall.delivery.deliver_due()
        assert sum("is closed." in text for text in texts(harness)) == 1


async def test_the_reminder_goes_out_near_the_end_and_a_close_due_while_stopped_runs_once_at_start(
    database_url, tmp_path
):
    clock = Clock()
    async with Harness.running(database_url, tmp_path, clock=clock) as harness:
        await harness.start_parks()
        # The clock stands 30 minutes minus 2 seconds behind: the round's close falls due 2 s from now,
        # and its reminder (at 80 % of the window) is already due.
        clock.moment = utcnow() - timedelta(minutes=30) + timedelta(seconds=2)
        await harness.say(f"/round 30m {QUESTION}", user=FACILITATOR)
        await harness.say("/idea More lights near the gate")
        reminder = await harness.wait_for_text("closes in about")
        assert "Round r1 of #parks closes in about 6 minutes" in reminder and QUESTION in reminder
    await asyncio.sleep(2.5)  # the close falls due while Townhall is stopped
    clock.advance(timedelta(minutes=31))

    async with Harness.running(database_url, tmp_path, clock=clock) as harness:
        closed = await harness.wait_for_text("is closed.")
        assert "Round r1 of #parks is closed. 1 idea was shared." in closed
        assert "i1 · More lights near the gate" in closed
        assert not any("closes in about" in text for text in texts(harness))
        assert job_rows(harness) == []
    closed_at = [row.closed_at for row in harness.rows(Round)]

    async with Harness.running(database_url, tmp_path, clock=clock) as harness:
        await asyncio.sleep(0.5)
        assert not any("is closed." in text for text in texts(harness))
        assert [row.closed_at for row in harness.rows(Round)] == closed_at
        assert [row.status for row in harness.rows(Round)] == ["closed"]


async def test_bad_round_requests_get_a_clear_answer_and_change_nothing(harness):
    await harness.start_parks()
    answers = {
        "/round 0m Anything?": "at least 5 minutes",
        "/round 3y Anything?": "90 days at most",
        "/round 1095d Anything?": "90 days at most",
        "/round soon Anything?": "soon is not a duration",
        "/round 2h": "needs a question",
        "/close": "no open round",
    }
    for command, answer in answers.items():
        assert answer in await harness.reply_text(command, user=FACILITATOR), command
    assert "Only facilitators" in await harness.reply_text("/round 1h Anything?", user="alice")
    assert harness.rows(Round) == []

    await harness.say("/round 1h First question?", user=FACILITATOR)
    assert "Round r1 is still open" in await harness.reply_text("/round 1h Second?", user=FACILITATOR)
    assert [row.prompt for row in harness.rows(Round)] == ["First question?"]
    assert not harness.rows(Round)[0].closed_at


async def test_a_new_round_first_closes_one_whose_time_passed_before_its_job_ran(database_url, tmp_path):
    clock = Clock()
    async with Harness.running(database_url, tmp_path, clock=clock) as harness:
        await harness.start_parks()
        await harness.say("/round 1h First question?", user=FACILITATOR)
        clock.advance(timedelta(hours=2))  # by the clock the round is over; its job is still an hour away
        assert "Idea i1 recorded in #parks" in await harness.reply_text("/idea Late idea")
        answer = await harness.reply_text("/round 1h Second question?", user=FACILITATOR)
        assert "Round r1 of #parks is closed." in answer and "Brainstorm round r2 is open" in answer
        assert [(row.id, row.status) for row in harness.rows(Round)] == [(1, "closed"), (2, "open")]


async def test_a_round_opened_where_no_campaign_is_bound_closes_with_its_digest_in_that_chat(
    database_url, tmp_path
):
    clock = Clock()
    async with Harness.running(database_url, tmp_path, clock=clock) as harness:
        await harness.say(
            "/campaign #parks Better parks | Welcoming parks?", user=FACILITATOR, chat="console"
        )
        await harness.say(f"/round 45m {QUESTION}", user=FACILITATOR, chat="console")
        await harness.say("/idea More lights near the gate", user="bob", chat="console")
        clock.advance(timedelta(minutes=40))  # past 80 % of the window: the reminder
        await harness.run_due_jobs()
        clock.advance(timedelta(minutes=10))  # past its end: the close
        await harness.run_due_jobs()
        in_console = [sent.text for sent in harness.adapter.sent if sent.address.chat_id == "console"]
        assert any("closes in about" in text for text in in_console), "the reminder reaches the chat"
        digest = [text for text in in_console if "Round r1 of #parks is closed" in text]
        assert len(digest) == 1 and "i1 · More lights near the gate" in digest[0]


async def test_a_round_s_reminder_and_digest_speak_the_language_of_whoever_opened_it(database_url, tmp_path):
    clock = Clock(datetime(2031, 1, 6, 9, 0, tzinfo=UTC))
    async with Harness.running(database_url, tmp_path, clock=clock) as harness:
        await harness.say("/lang fr", user="amelie", chat="sante")
        await harness.say(
            "/campaign #bienvieillir Bien vieillir | Comment bouger davantage ?", user=FACILITATOR
        )
        await harness.say("/facilitator @amelie #bienvieillir", user=FACILITATOR)
        await harness.say("/invite #bienvieillir", user="amelie", chat="sante")
        await harness.say("/round 1d Qu'est-ce qui vous ferait marcher ?", user="amelie", chat="sante")
        await harness.say("/idea Un club de marche", user="benoit", chat="sante")
        before = len(harness.adapter.sent)
        await harness.run_until(clock, clock() + timedelta(days=2))
        posted = [sent.text for sent in harness.adapter.sent[before:] if sent.address.chat_id == "sante"]
    reminder, digest = posted
    assert reminder.startswith("La manche r1 de #bienvieillir se termine dans")
    assert digest.startswith("La manche r1 de #bienvieillir est close. 1 idée a été partagée.")
    assert digest.endswith("i1 · Un club de marche")  # French throughout; no counts where there are none
