"""Closing the loop: a contributor hears privately what became of their idea, at most once a day."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
from sqlmodel import col, select

from adapters.recording.adapter import Sent
from bot.testing.harness import FACILITATOR, Clock, Harness
from facilitation.intelligence import clustering as themes
from facilitation.intelligence.theme_labels import PHRASE, Label
from facilitation.intelligence.themes import store_themes
from facilitation.kernel.context import Effects
from storage.models import Campaign, ContributorNotice, Identity

NOON = datetime(2030, 3, 4, 12, tzinfo=UTC)
"""A Monday at noon: outside the default quiet hours (21:00-08:00) of members in UTC."""


def private_to(harness: Harness, user: str) -> list[Sent]:
    return [sent for sent in harness.adapter.sent if sent.address.user_id == user and sent.message.private]


def news_for(harness: Harness, user: str) -> list[str]:
    return [sent.text for sent in private_to(harness, user) if "news" in sent.text.casefold()]


def member_id(harness: Harness, user: str) -> int:
    return next(row.member_id for row in harness.rows(Identity) if row.platform_user_id == user)


async def run_notices(harness: Harness, user: str) -> None:
    """The delivery job, as the scheduler runs it when it falls due."""
    await harness.townhall.core.run_job("notices", {"member_id": member_id(harness, user)})
    await harness.townhall.delivery.deliver_due()


async def test_contributors_hear_once_a_day_with_a_digest_and_never_after_mute(database_url, tmp_path):
    clock = Clock(NOON)
    async with Harness.running(database_url, tmp_path, clock=clock) as harness:
        await harness.start_parks()
        await harness.say("/idea Solar lamps along the path", user="alice")
        await harness.say("/prototype i1 Night lights pilot", user=FACILITATOR)
        await harness.run_due_jobs()
        first = await harness.wait_for_text("News about your idea")
        assert "Your idea i1 led to the prototype p1: Night lights pilot" in first
        assert news_for(harness, "alice") == [first]

        await harness.say("/version p1 Added two solar lamps", user=FACILITATOR)
        await harness.say("/version p1 Brighter bulbs", user=FACILITATOR)
        await run_notices(harness, "alice")  # the same day: the news waits
        assert news_for(harness, "alice") == [first]

        clock.advance(timedelta(hours=23))
        await run_notices(harness, "alice")
        assert news_for(harness, "alice") == [first]

        clock.advance(timedelta(hours=1))
        await run_notices(harness, "alice")
        digest = news_for(harness, "alice")[-1]
        assert "2 pieces of news about your ideas" in digest
        assert (
            "published version v1: Added two solar lamps" in digest and "version v2: Brighter bulbs" in digest
        )
        await run_notices(harness, "alice")  # nothing new: nothing sent
        assert len(news_for(harness, "alice")) == 2

        await harness.say("/lang fr", user="alice")
        await harness.say("/version p1 A bench under the lamp", user=FACILITATOR)
        clock.advance(timedelta(days=1))
        await run_notices(harness, "alice")
        in_french = private_to(harness, "alice")[-1].text
        assert "Des nouvelles de votre idée" in in_french and "A bench under the lamp" in in_french

        await harness.say("/lang en", user="alice")
        assert "Muted" in await harness.reply_text("/mute", user="alice")
        await harness.say("/version p1 A second bench", user=FACILITATOR)
        clock.advance(timedelta(days=2))
        await run_notices(harness, "alice")
        assert not any("second bench" in sent.text for sent in private_to(harness, "alice"))
        assert all(notice.sent_at is not None for notice in harness.rows(ContributorNotice))

        await harness.say("/unmute", user="alice")
        await harness.say("/version p1 Lamps on a timer", user=FACILITATOR)
        await harness.run_due_jobs()
        assert "Lamps on a timer" in await harness.wait_for_text("Lamps on a timer")


async def test_the_fifth_supporter_is_news_for_the_author(harness):
    await harness.start_parks()
    await harness.say("/quiet off", user="alice")  # the test may run at any hour: news may reach her then
    await harness.say("/idea Solar lamps along the path", user="alice")
    for supporter in ("bob", "carol", "dave", "erin"):
        await harness.say("/vote i1", user=supporter)
        await harness.press("Support i1", user=supporter)
    assert news_for(harness, "alice") == []
    await harness.say("/vote i1", user="frank")
    await harness.press("Support i1", user="frank")
    assert "Your idea i1 is supported by 5 people." in await harness.wait_for_text("supported by 5")


async def test_news_never_comes_in_quiet_hours_and_the_daily_limit_still_holds(database_url, tmp_path):
    tokyo_morning = datetime(2030, 3, 4, 1, tzinfo=UTC)  # 10:00 in Tokyo (no daylight-saving time there)
    clock = Clock(tokyo_morning)
    async with Harness.running(database_url, tmp_path, clock=clock) as harness:
        await harness.start_parks()
        await harness.say("/timezone Asia/Tokyo", user="alice")  # default quiet hours: 21:00-08:00 there
        await harness.say("/idea Solar lamps along the path", user="alice")
        await harness.say("/prototype i1 Night lights pilot", user=FACILITATOR)
        await harness.run_due_jobs()
        assert "led to the prototype p1" in news_for(harness, "alice")[0]

        clock.moment = tokyo_morning + timedelta(hours=36)  # 22:00 in Tokyo, a day and a half later
        await harness.say("/version p1 Added two solar lamps", user=FACILITATOR)
        await run_notices(harness, "alice")
        tokyo_eight = tokyo_morning + timedelta(
            days=1, hours=22
        )  # 08:00 in Tokyo, the end of her quiet hours
        await harness.run_until(clock, tokyo_eight - timedelta(minutes=1))
        assert len(news_for(harness, "alice")) == 1
        await harness.run_until(clock, tokyo_eight + timedelta(minutes=30))
        assert "version v1: Added two solar lamps" in news_for(harness, "alice")[-1]

        await harness.say("/version p1 Brighter bulbs", user=FACILITATOR)  # 08:30: a day after the last news
        await harness.run_until(clock, tokyo_eight + timedelta(days=1) - timedelta(minutes=1))
        assert len(news_for(harness, "alice")) == 2
        await harness.run_until(clock, tokyo_eight + timedelta(days=1, minutes=30))
        assert "version v2: Brighter bulbs" in news_for(harness, "alice")[-1]

        clock.advance(hours=13)  # 21:30 in Tokyo: quiet again
        await harness.say("/version p1 A bench under the lamp", user=FACILITATOR)
        await harness.say("/mute", user="alice")  # while the news waits for the morning
        await harness.run_until(clock, clock.moment + timedelta(days=2))
        assert len(news_for(harness, "alice")) == 3  # nothing more after /mute


def found(*groups: tuple[int, ...], other: tuple[int, ...] = ()) -> themes.ThemeMap:
    """What the clustering could find among six ideas (rows 0..5): themes made of the rows in `groups`."""
    found_themes = tuple(
        themes.Theme(
            members=rows,
            count=len(rows),
            label=Label(f"Theme {number}", PHRASE, rows[:1]),
            keywords=(f"word{number}",),
            representatives=rows[:1],
            centroid=np.zeros(2),
        )
        for number, rows in enumerate(groups)
    )
    return themes.ThemeMap(found_themes, other, len(other))


async def test_news_when_an_idea_is_first_placed_or_moves_not_for_the_same_place_or_other(harness):
    await harness.start_parks()
    for number in range(6):
        await harness.say(f"/idea Idea number {number} for the park", user=f"resident{number}")
    ids = np.arange(1, 7)
    themed = (
        select(ContributorNotice)
        .where(ContributorNotice.kind == "themed")
        .order_by(col(ContributorNotice.id))
    )

    def computed(result: themes.ThemeMap) -> list[tuple[str, str]]:
        """Store `result` as a theme computation would; the (idea, theme) news it added."""
        with harness.townhall.database.session() as session:
            before = len(session.exec(themed).all())
            campaign = session.get_one(Campaign, 1)
            store_themes(Effects(session=session, config=harness.townhall.core.config), campaign, ids, result)
            session.flush()
            added = session.exec(themed).all()[before:]
            return [(notice.details["idea"], notice.details["theme"]) for notice in added]

    assert computed(found((0, 1, 2), (3, 4), other=(5,))) == [
        ("i1", "t1"),
        ("i2", "t1"),
        ("i3", "t1"),
        ("i4", "t2"),
        ("i5", "t2"),
    ]
    assert computed(found((0, 1, 2), (3, 4), other=(5,))) == []  # the same placement again
    assert computed(found((0, 1, 2, 4), (3, 5))) == [("i5", "t1"), ("i6", "t2")]  # moved, and first placed
    assert computed(found((0, 1, 2, 4), (3,), other=(5,))) == []  # to "other"
    assert computed(found((0, 1, 2, 4), (3, 5))) == []  # back where its author already knows it is


async def test_one_line_per_event_naming_every_idea_it_concerns(database_url, tmp_path):
    """A prototype grown from a theme holding two of alice's ideas is one event for her, and so is each
    of its versions: three lines (and the theme's), not one per idea."""
    clock = Clock(NOON)
    async with Harness.running(database_url, tmp_path, clock=clock) as harness:
        await harness.start_parks()
        await harness.say("/idea Solar lamps along the path", user="alice")
        await harness.say("/idea Reflectors on the benches", user="alice")
        await harness.say("/idea A kiosk by the gate", user="bob")
        with harness.townhall.database.session() as session:
            campaign = session.get_one(Campaign, 1)
            effects = Effects(session=session, config=harness.townhall.core.config)
            store_themes(effects, campaign, np.arange(1, 4), found((0, 1, 2)))
            session.commit()
        await harness.say("/prototype t1 Night lights pilot", user=FACILITATOR)
        await harness.say("/version p1 Added two solar lamps", user=FACILITATOR)
        await harness.say("/version p1 Brighter bulbs", user=FACILITATOR)
        await run_notices(harness, "alice")
        [digest] = news_for(harness, "alice")
        bullets = [line for line in digest.splitlines() if line.startswith("• ")]
        assert bullets == [
            "• Your ideas i1 and i2 are part of the theme t1: Theme 0.",
            "• Your ideas i1 and i2 led to the prototype p1: Night lights pilot. Join its team with /team p1.",
            "• The prototype p1 (Night lights pilot), grown from your ideas i1 and i2, published version v1: "
            "Added two solar lamps. Tell them what you think with /feedback p1 <1-5> <your words>.",
            "• The prototype p1 (Night lights pilot), grown from your ideas i1 and i2, published version v2: "
            "Brighter bulbs. Tell them what you think with /feedback p1 <1-5> <your words>.",
        ]
        assert "4 pieces of news about your ideas" in digest

        await harness.say("/lang fr", user="alice")
        await harness.say("/version p1 Un banc sous la lampe", user=FACILITATOR)
        clock.advance(timedelta(days=1))
        await run_notices(harness, "alice")
        in_french = private_to(harness, "alice")[-1].text
        assert "né de vos idées i1 et i2" in in_french, in_french
