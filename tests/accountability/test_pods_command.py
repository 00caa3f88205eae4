"""/pods alone shows the pods; forming them again asks first, since everyone gets new peers and messages."""

from __future__ import annotations

from datetime import timedelta

from bot.testing.harness import FACILITATOR, Clock, Harness
from storage.models import Pod
from tests.accountability.test_accountability import AFTERNOON, commit_all


async def test_bare_pods_shows_them_and_re_forming_waits_for_a_confirmation(database_url, tmp_path):
    async with Harness.running(database_url, tmp_path, clock=Clock(AFTERNOON)) as harness:
        await harness.start_parks()
        assert "No pods yet. /pods form" in await harness.reply_text("/pods", user=FACILITATOR)
        await commit_all(harness, ["alice", "bob", "carol", "dave"])
        assert "2 pods formed" in await harness.reply_text("/pods form 2", user=FACILITATOR)
        introductions = len([sent for sent in harness.adapter.sent if "Your accountability pod" in sent.text])

        shown = await harness.reply_text("/pods", user=FACILITATOR)
        assert shown.startswith("2 pods (rotation 1):")
        assert len(harness.rows(Pod)) == 2

        asked = await harness.reply_text("/pods form 2", user=FACILITATOR)
        assert "Pods are formed already" in asked
        assert len(harness.rows(Pod)) == 2, "nothing is re-formed before the confirmation"
        assert (
            len([sent for sent in harness.adapter.sent if "Your accountability pod" in sent.text])
            == introductions
        )

        assert "Only facilitators" in "".join(
            sent.text for sent in await harness.press("Re-form the pods", user="alice")
        )
        assert "2 pods formed (rotation 2)" in "".join(
            sent.text for sent in await harness.press("Re-form the pods", user=FACILITATOR)
        )


async def test_checkin_before_the_first_one_says_when_it_comes_to_a_member_of_a_pod(database_url, tmp_path):
    async with Harness.running(database_url, tmp_path, clock=Clock(AFTERNOON)) as harness:
        await harness.start_parks()
        await commit_all(harness, ["alice", "bob", "carol", "dave"])
        assert "in a pod" in await harness.reply_text("/checkin on track", user="alice", private=True)
        await harness.say("/pods form 2", user=FACILITATOR)
        early = await harness.reply_text("/checkin on track", user="alice", private=True)
    assert early.startswith("Your first check-in comes on ") and early.endswith(": answer it then.")


async def test_a_pod_member_with_every_commitment_done_is_not_asked_to_check_in(database_url, tmp_path):
    clock = Clock(AFTERNOON)
    async with Harness.running(database_url, tmp_path, clock=clock) as harness:
        await harness.start_parks()
        await commit_all(harness, ["alice", "bob", "carol", "dave"])
        await harness.say("/pods form 2", user=FACILITATOR)
        await harness.say("/done c1", user="alice", private=True)
        before = len(harness.adapter.sent)
        await harness.run_until(clock, AFTERNOON + timedelta(days=30))
        later = harness.adapter.sent[before:]
    asked = {sent.address.chat_id for sent in later if sent.text.startswith("Check-in time")}
    assert asked == {
        "bob",
        "carol",
        "dave",
    }  # so alice never misses one, and her peers never hear she is quiet
