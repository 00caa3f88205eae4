"""Commitments, preferences, pods and check-ins, driven through the real core with an injected clock.

The clock starts in 2030, after the real present, so that APScheduler never fires these jobs on its own:
each test runs what falls due with `Harness.run_due_jobs` as it moves the clock.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from adapters.recording.adapter import Sent
from bot.testing.harness import FACILITATOR, Clock, Harness
from facilitation.accountability.commitments.commands import OPEN_COMMITMENTS_MAX
from facilitation.accountability.commitments.due_dates import parse_due
from storage.models import CheckIn, Commitment, Identity, PodMember, SentPrompt

MONTREAL = ZoneInfo("America/Montreal")
START = datetime(2030, 10, 28, 12, tzinfo=UTC)  # a Monday; Montreal leaves daylight-saving time on 3 November
AFTERNOON = START + timedelta(hours=6)  # 13:00 or 14:00 in Montreal: outside everyone's quiet hours


def to(harness: Harness, user: str) -> list[Sent]:
    return [sent for sent in harness.adapter.sent if sent.address.user_id == user]


async def press_for(harness: Harness, user: str, label: str) -> list[Sent]:
    """Press the latest button labelled `label` that the bot sent to `user`."""
    for sent in reversed(to(harness, user)):
        for button in sent.message.buttons:
            if label in button.label:
                incoming = harness.adapter.incoming(user=user, button_token=button.token, private=True)
                return await harness._push(incoming)
    raise AssertionError(f"{user} got no button {label!r}")


async def commit_all(harness: Harness, users: list[str], zone: str = "America/Montreal") -> None:
    for user in users:
        await harness.say(f"/timezone {zone}", user=user)
        await harness.say(f"/commit Clear the snow on Rue {user.title()} by in 3 weeks", user=user)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2030-12-15", date(2030, 12, 15)),
        ("15/12/2030", date(2030, 12, 15)),
        ("friday", date(2030, 11, 1)),
        ("vendredi", date(2030, 11, 1)),
        ("vendredi prochain", date(2030, 11, 1)),
        ("monday", date(2030, 11, 4)),  # a weekday is the next one after today
        ("tomorrow", date(2030, 10, 29)),
        ("demain", date(2030, 10, 29)),
        ("in 2 weeks", date(2030, 11, 11)),
        ("dans 2 semaines", date(2030, 11, 11)),
        ("dans une semaine", date(2030, 11, 4)),
        ("in 3 days", date(2030, 10, 31)),
        ("15 décembre", date(2030, 12, 15)),
        ("December 15", date(2030, 12, 15)),
        ("1 janvier", date(2031, 1, 1)),
        ("someday", None),
        ("2030-02-30", None),
    ],
)
def test_due_dates_in_english_and_french(text, expected):
    assert parse_due(text, date(2030, 10, 28)) == expected


async def test_commit_progress_done_mine_and_the_reminder_and_follow_up(database_url, tmp_path):
    clock = Clock(START)
    async with Harness.running(database_url, tmp_path, clock=clock) as harness:
        await harness.say("/timezone America/Montreal")
        answer = await harness.reply_text("/commit Organise a snow-clearing crew for Rue Clark by friday")
        assert (
            "Commitment c1 recorded: Organise a snow-clearing crew for Rue Clark — by Friday 1 November."
            in answer
        )
        assert "I will remind you on Thursday 31 October." in answer
        mine = await harness.say("/mine")
        assert mine[0].address.user_id == "alice" and mine[0].message.private
        assert "c1 · Organise a snow-clearing crew for Rue Clark — by Friday 1 November · 0%" in mine[0].text
        assert "Progress on c1 noted: 40%." in await harness.reply_text("/progress c1 40% two neighbours in")
        assert "You have no commitment c1" in await harness.reply_text("/done c1", user="bob")

        clock.moment = datetime(2030, 10, 31, 14, tzinfo=UTC)  # Thursday 10:00 in Montreal
        assert await harness.run_due_jobs() == ["commitment-reminder:1"]
        assert "A friendly reminder: your commitment c1" in to(harness, "alice")[-1].text
        clock.advance(days=3)  # Sunday: the follow-up after Friday's due day, no news since
        assert await harness.run_due_jobs() == ["commitment-follow-up:1"]
        assert "was due Friday 1 November. No pressure" in to(harness, "alice")[-1].text
        assert "Done: c1" in await harness.reply_text("/done c1")
        assert "Recently done:" in await harness.reply_text("/mine")


async def test_commit_in_french_and_bad_dates_get_clear_answers(database_url, tmp_path):
    async with Harness.running(database_url, tmp_path, clock=Clock(START)) as harness:
        await harness.say("/lang fr")
        answer = await harness.reply_text("/commit Réparer le banc du parc d'ici dans 2 semaines")
        assert "Engagement c1 enregistré : Réparer le banc du parc — d'ici le lundi 11 novembre." in answer
        assert "Je n'ai pas pu lire la date" in await harness.reply_text(
            "/commit Réparer le banc d'ici la saint-glinglin"
        )
        assert "Dites d'ici quand" in await harness.reply_text("/commit Réparer le banc")
        assert "est déjà passé" in await harness.reply_text("/commit Réparer le banc d'ici 2030-01-01")
        assert len(harness.rows(SentPrompt)) == 0


async def test_invalid_time_zones_quiet_hours_and_pauses_are_explained(database_url, tmp_path):
    async with Harness.running(database_url, tmp_path, clock=Clock(START)) as harness:
        assert "Mars/Base is not a time zone I know" in await harness.reply_text("/timezone Mars/Base")
        assert "EST is not a time zone I know" in await harness.reply_text("/timezone EST")
        assert "is not a range of hours" in await harness.reply_text("/quiet 25:00-08:00")
        assert "at most" not in await harness.reply_text("/quiet 22h-7h")
        assert "between a minute and 16 hours" in await harness.reply_text("/quiet 08:00-07:00")
        assert "Your quiet hours are 22:00-07:00" in await harness.reply_text("/quiet")
        assert "from 0 to 90" in await harness.reply_text("/pause forever")
        assert "Paused for 7 days" in await harness.reply_text("/pause 7")


async def test_pods_tell_each_member_their_peers_commitments_and_check_ins_reach_peers(
    database_url, tmp_path
):
    clock = Clock(START)
    async with Harness.running(database_url, tmp_path, clock=clock) as harness:
        await commit_all(harness, ["alice", "bob", "carol", "dave"])
        assert "Only facilitators" in await harness.reply_text("/pods 2", user="alice")
        assert "2 to 4 members" in await harness.reply_text("/pods 9", user=FACILITATOR)
        assert "2 pods formed (rotation 1)" in await harness.reply_text("/pods 2", user=FACILITATOR)
        pods = {link.member_id: link.pod_id for link in harness.rows(PodMember)}
        for user in ("alice", "bob", "carol", "dave"):
            intro = to(harness, user)[-1].text
            assert "Your accountability pod:" in intro and "What your peers committed to:" in intro
            assert (
                "Clear the snow on Rue" in intro
                and "Your first check-in comes on Wednesday 30 October" in intro
            )

        clock.moment = datetime(2030, 10, 30, 14, tzinfo=UTC)  # Wednesday 10:00 in Montreal
        ran = await harness.run_due_jobs()
        assert sorted(ran) == sorted(f"checkin:{pod}:{member}" for member, pod in pods.items())
        checkin = to(harness, "alice")[-1]
        assert "Check-in time" in checkin.text
        assert [button.label for button in checkin.message.buttons] == ["On track", "Need help", "Blocked"]

        await press_for(harness, "alice", "Need help")
        await harness.say("/checkin need help: the plough is broken", user="alice")
        await harness.run_due_jobs()
        alice_pod = pods[1]
        peer = next(
            user
            for user, member in zip(("alice", "bob", "carol", "dave"), (1, 2, 3, 4), strict=True)
            if member != 1 and pods[member] == alice_pod
        )
        nudge = next(sent for sent in to(harness, peer) if "Peer review" in sent.text)
        assert "checked in — Need help" in nudge.text and "“the plough is broken”" in nudge.text
        others = [user for user in ("bob", "carol", "dave") if user != peer]
        assert not any("Peer review" in sent.text for user in others for sent in to(harness, user))
        await press_for(harness, peer, "Cheer")
        await press_for(harness, peer, "Cheer")
        assert sum("cheers you on" in sent.text for sent in to(harness, "alice")) == 1
        report = await harness.reply_text("/report", user="bob")
        assert "4 commitments:" in report and "1 of 4 (25%)" in report and "ranks" in report
        assert "alice" not in report.casefold() and all(
            member.pseudonym not in report
            for member in harness.rows(__import__("storage.models").models.Member)
        )


async def test_check_ins_stay_at_the_local_hour_across_daylight_saving_and_after_quiet_hours(
    database_url, tmp_path
):
    clock = Clock(AFTERNOON)
    async with Harness.running(database_url, tmp_path, clock=clock) as harness:
        await commit_all(harness, ["alice", "bob"])
        await harness.say("/quiet 22:00-11:30", user="bob")  # bob sleeps late: after his quiet hours
        await harness.say("/pods 2", user=FACILITATOR)
        for _week in range(3):
            await harness.run_until(clock, clock() + timedelta(days=7))
            for user in ("alice", "bob"):
                await press_for(harness, user, "On track")
        moments: dict[str, list[datetime]] = {"alice": [], "bob": []}
        for checkin in sorted(harness.rows(CheckIn), key=lambda row: row.sent_at):
            moments["alice" if checkin.member_id == 1 else "bob"].append(checkin.sent_at)
        local = {user: [moment.astimezone(MONTREAL) for moment in found] for user, found in moments.items()}
        assert [moment.strftime("%H:%M") for moment in local["alice"]] == ["10:00"] * 3
        assert [moment.strftime("%H:%M") for moment in local["bob"]] == ["11:30"] * 3
        assert [moment.hour for moment in moments["alice"]] == [
            14,
            15,
            15,
        ]  # UTC moves by an hour, local does not
        assert len({moment.weekday() for moment in local["alice"]}) == 1  # the same weekday every week


async def test_check_ins_due_during_downtime_are_each_sent_once_after_restart(database_url, tmp_path):
    clock = Clock(START)
    async with Harness.running(database_url, tmp_path, clock=clock) as harness:
        await commit_all(harness, ["alice", "bob", "carol"])
        await harness.say("/quiet off", user="alice")
        await harness.say("/quiet off", user="bob")
        await harness.say("/quiet off", user="carol")
        await harness.say("/pods 3", user=FACILITATOR)
        jobs_before = sorted(job.job_id for job in harness.townhall.scheduler.jobs())
    clock.advance(days=17)  # two weeks of check-ins fall due while Townhall is down
    async with Harness.running(database_url, tmp_path, clock=clock) as harness:
        assert sorted(job.job_id for job in harness.townhall.scheduler.jobs()) == jobs_before
        await harness.run_due_jobs()
        await harness.run_due_jobs()
        for user in ("alice", "bob", "carol"):
            assert sum("Check-in time" in sent.text for sent in to(harness, user)) == 1
        assert len(harness.rows(CheckIn)) == 3
        nexts = {link.next_checkin_at for link in harness.rows(PodMember)}
        assert all(moment > clock() for moment in nexts)
    async with Harness.running(database_url, tmp_path, clock=clock) as harness:
        assert await harness.run_due_jobs() == []  # a second restart replays nothing
        assert len(harness.rows(CheckIn)) == 3


async def test_a_member_who_never_answers_gets_one_reminder_then_fewer_check_ins_and_the_pod_is_told(
    database_url, tmp_path
):
    clock = Clock(AFTERNOON)
    async with Harness.running(database_url, tmp_path, clock=clock) as harness:
        await commit_all(harness, ["alice", "bob"])
        await harness.say("/pods 2", user=FACILITATOR)
        prompts: list[tuple[datetime, str]] = []
        seen = 0
        for _day in range(90):
            clock.advance(days=1)
            await harness.run_due_jobs()
            for sent in to(harness, "alice")[seen:]:
                prompts.append((clock(), sent.text))
            seen = len(to(harness, "alice"))
            if any("Check-in time" in sent.text for sent in to(harness, "bob")[-1:]):
                await press_for(harness, "bob", "On track")  # bob answers every time
        checkins = [moment for moment, text in prompts if "Check-in time" in text]
        reminders = [moment for moment, text in prompts if "gentle reminder" in text]
        assert len(reminders) == 1
        gaps = [(later - earlier).days for earlier, later in zip(checkins, checkins[1:], strict=False)]
        assert gaps[:4] == [7, 7, 14, 28] and all(gap <= 28 for gap in gaps)
        every_prompt = sorted(checkins + reminders)
        assert all(
            later - earlier >= timedelta(days=2)
            for earlier, later in zip(every_prompt, every_prompt[1:], strict=False)
        )
        told = [sent.text for sent in to(harness, "bob") if "quiet for a few check-ins" in sent.text]
        assert len(told) == 1


def user_ids(harness: Harness) -> dict[str, int]:
    return {identity.platform_user_id: identity.member_id for identity in harness.rows(Identity)}


def prompted_at(harness: Harness, key: str) -> str:
    """When the prompt recorded under `key` went to the outbox, as a Montreal weekday and time."""
    prompt = next(row for row in harness.rows(SentPrompt) if row.key == key)
    return prompt.created_at.astimezone(MONTREAL).strftime("%a %H:%M")


def lose_jobs(harness: Harness, kind: str) -> None:
    """Drop the stored jobs of `kind`, as if the process had died between its commit and its scheduler (or
    another process, not leading, had decided them): the next leader's reconcile must bring them back."""
    for job in harness.townhall.scheduler.jobs():
        if job.kind == kind:
            harness.townhall.scheduler.remove(job.job_id)


LATE_EVENING = datetime(2030, 10, 29, 3, tzinfo=UTC)
"""Monday 23:00 in Montreal: inside the default quiet hours."""


async def test_pod_introductions_wait_for_quiet_hours_and_the_end_of_a_pause(database_url, tmp_path):
    clock = Clock(LATE_EVENING)
    async with Harness.running(database_url, tmp_path, clock=clock) as harness:
        await commit_all(harness, ["alice", "bob"])
        await harness.say("/pause 3", user="bob")
        assert "1 pod formed" in await harness.reply_text("/pods 2", user=FACILITATOR)
        assert not any("Your accountability pod" in sent.text for sent in harness.adapter.sent)
        lose_jobs(harness, "pod-introduction")
    async with Harness.running(database_url, tmp_path, clock=clock) as harness:  # kept across a restart
        ids = user_ids(harness)
        await harness.run_until(clock, clock() + timedelta(days=4))
        assert prompted_at(harness, f"pod:1:{ids['alice']}") == "Tue 08:00"  # when her quiet hours end
        assert prompted_at(harness, f"pod:1:{ids['bob']}") == "Fri 08:00"  # after his pause, then his night
        for user in ("alice", "bob"):
            assert sum("Your accountability pod" in sent.text for sent in to(harness, user)) == 1


async def test_a_cheer_waits_for_the_authors_quiet_hours_and_a_paused_author_gets_none(
    database_url, tmp_path
):
    clock = Clock(AFTERNOON)
    async with Harness.running(database_url, tmp_path, clock=clock) as harness:
        await commit_all(harness, ["alice", "bob"])
        await harness.say("/pods 2", user=FACILITATOR)
        await harness.run_until(clock, datetime(2030, 10, 31, 15, tzinfo=UTC))  # the first check-in, Thursday
        await press_for(harness, "alice", "On track")
        await harness.run_due_jobs()
        clock.moment = datetime(2030, 11, 1, 3, 30, tzinfo=UTC)  # Thursday 23:30 in Montreal
        answer = await press_for(harness, "bob", "Cheer")
        assert "will get it once their quiet hours are over" in answer[0].text
        assert "already cheered" in (await press_for(harness, "bob", "Cheer"))[0].text
        assert not any("cheers you on" in sent.text for sent in to(harness, "alice"))
        lose_jobs(harness, "cheer")
    async with Harness.running(database_url, tmp_path, clock=clock) as harness:  # kept across a restart
        ids = user_ids(harness)
        await harness.run_until(clock, datetime(2030, 11, 1, 14, tzinfo=UTC))  # Friday 10:00
        assert sum("cheers you on" in sent.text for sent in to(harness, "alice")) == 1
        checkin = next(row for row in harness.rows(CheckIn) if row.member_id == ids["alice"])
        assert prompted_at(harness, f"cheer:{checkin.id}:{ids['bob']}") == "Fri 08:00"

        await harness.run_until(clock, datetime(2030, 11, 7, 16, tzinfo=UTC))  # next Thursday's check-in
        await press_for(harness, "alice", "Need help")
        await harness.run_due_jobs()
        await harness.say("/pause 5", user="alice")
        answer = await press_for(harness, "bob", "Cheer")
        assert "taking a break from messages" in answer[0].text
        await harness.run_until(clock, clock() + timedelta(days=6))
        assert sum("cheers you on" in sent.text for sent in to(harness, "alice")) == 1


async def test_peers_hear_of_a_quiet_member_after_their_own_quiet_hours(database_url, tmp_path):
    clock = Clock(AFTERNOON)
    async with Harness.running(database_url, tmp_path, clock=clock) as harness:
        await commit_all(harness, ["alice", "bob"])
        # alice's check-ins come at 10:00 on Thursdays, in bob's quiet hours
        await harness.say("/quiet 09:00-12:00", user="bob")
        await harness.say("/pods 2", user=FACILITATOR)
        third = datetime(2030, 11, 14, 15, 1, tzinfo=UTC)  # just after alice's third check-in, none answered
        await harness.run_until(clock, third)
        assert not any("quiet for a few check-ins" in sent.text for sent in to(harness, "bob"))
        lose_jobs(harness, "quiet-peer")
    async with Harness.running(database_url, tmp_path, clock=clock) as harness:
        await harness.run_until(clock, third + timedelta(days=1))
        ids = user_ids(harness)
        assert prompted_at(harness, f"quiet-peer:1:{ids['alice']}:3:{ids['bob']}") == "Thu 12:00"
        assert sum("quiet for a few check-ins" in sent.text for sent in to(harness, "bob")) == 1


async def test_paused_members_get_no_check_ins_until_the_pause_ends(database_url, tmp_path):
    clock = Clock(AFTERNOON)
    async with Harness.running(database_url, tmp_path, clock=clock) as harness:
        await commit_all(harness, ["alice", "bob"])
        await harness.say("/pods 2", user=FACILITATOR)
        await harness.say("/pause 10", user="alice")
        clock.advance(days=9)
        await harness.run_due_jobs()
        assert not any("Check-in time" in sent.text for sent in to(harness, "alice"))
        clock.advance(days=2)
        await harness.run_due_jobs()
        assert sum("Check-in time" in sent.text for sent in to(harness, "alice")) == 1


async def test_me_shows_the_accountability_data_and_forget_deletes_it(database_url, tmp_path):
    async with Harness.running(database_url, tmp_path, clock=Clock(START)) as harness:
        await commit_all(harness, ["alice", "bob"])
        await harness.say("/pods 2", user=FACILITATOR)
        me = await harness.reply_text("/me", user="alice")
        assert "c1 · Clear the snow on Rue Alice" in me and "Quiet hours: 21:00-08:00" in me
        await harness.say("/forget", user="alice")
        await press_for_any(harness, "alice")
        assert all(row.member_id != 1 for row in harness.rows(PodMember))
        assert [commitment.member_id for commitment in harness.rows(Commitment)] == [2]


async def press_for_any(harness: Harness, user: str) -> None:
    """Confirm /forget with its first button (the choice that deletes the profile)."""
    for sent in reversed(harness.adapter.sent):
        if sent.message.buttons:
            await harness._push(
                harness.adapter.incoming(user=user, button_token=sent.message.buttons[0].token)
            )
            return
    raise AssertionError("no button")


async def test_a_muted_member_gets_no_check_in_and_it_counts_as_no_miss(database_url, tmp_path):
    clock = Clock(AFTERNOON)
    async with Harness.running(database_url, tmp_path, clock=clock) as harness:
        await commit_all(harness, ["alice", "bob"])
        await harness.say("/pods 2", user=FACILITATOR)
        await harness.say("/mute", user="alice")
        await harness.run_until(clock, clock() + timedelta(days=10))
        assert not any("Check-in time" in sent.text for sent in to(harness, "alice"))
        assert any("Check-in time" in sent.text for sent in to(harness, "bob"))
        assert [link.missed for link in harness.rows(PodMember) if link.member_id == 1] == [0]


async def test_one_member_holds_at_most_twenty_open_commitments_and_is_told_how_to_go_on(harness):
    """Each commitment brings reminders and check-ins: past the cap the member is told the limit and
    nothing is stored or scheduled; closing one makes room for the next."""
    for number in range(1, OPEN_COMMITMENTS_MAX + 1):
        assert f"Commitment c{number} recorded" in await harness.reply_text(
            f"/commit Task {number} by in 3 weeks"
        )
    jobs = len(harness.townhall.scheduler.jobs())
    refused = await harness.say("/commit One task too many by in 3 weeks")
    assert [sent.text for sent in refused] == [
        "You already have 20 open commitments, the most one person can hold at once. Close one with"
        " /done <id> when it is done (/mine lists them), then commit to the next. Nothing was saved."
    ]
    assert len(harness.rows(Commitment)) == OPEN_COMMITMENTS_MAX
    assert len(harness.townhall.scheduler.jobs()) == jobs
    await harness.say("/done c1")
    assert "recorded" in await harness.reply_text("/commit The next task by in 3 weeks")
    assert "recorded" in await harness.reply_text("/commit My own task by in 3 weeks", user="bob")
