"""Goal measurements: typing mistakes are refused or confirmed, and a wrong value can be taken back."""

from __future__ import annotations

from bot.testing.harness import FACILITATOR
from storage.models import GoalMeasurement


async def start_with_a_goal(harness) -> None:
    await harness.start_parks()
    await harness.say("/goal blocks 40 blocks", user=FACILITATOR)


async def test_non_numbers_negatives_and_exponents_are_refused(harness):
    await start_with_a_goal(harness)
    for wrong in ("1e9", "inf", "nan", "lots"):
        assert "is not a number I can record" in await harness.reply_text(
            f"/goal blocks {wrong}", user=FACILITATOR
        )
    assert "cannot go below zero" in await harness.reply_text("/goal blocks -5", user=FACILITATOR)
    assert harness.rows(GoalMeasurement) == []


async def test_a_value_far_outside_the_target_waits_for_a_confirmation(harness):
    await start_with_a_goal(harness)
    asked = await harness.reply_text("/goal blocks 1000000000", user=FACILITATOR)
    assert "1000000000 is more than 100 times the target of blocks" in asked and "e+" not in asked
    assert harness.rows(GoalMeasurement) == []
    await harness.press("Record 1000000000 anyway", user=FACILITATOR)
    assert [m.value for m in harness.rows(GoalMeasurement)] == [1e9]


async def test_a_facilitator_removes_a_mistaken_value_which_leaves_the_counts_but_not_the_history(harness):
    await start_with_a_goal(harness)
    await harness.say("/goal blocks 12", user=FACILITATOR)
    await harness.say("/goal blocks 21", user=FACILITATOR)
    assert "Only facilitators" in await harness.reply_text("/goal blocks remove", user="alice")
    removed = await harness.reply_text("/goal blocks remove", user=FACILITATOR)
    assert "Removed the latest value of blocks: 21 blocks" in removed
    assert "blocks: 12 of 40 blocks (30%)" in await harness.reply_text("/goals", user="alice")
    assert [(m.value, m.removed_at is not None) for m in harness.rows(GoalMeasurement)] == [
        (12, False),
        (21, True),
    ]


async def test_a_goal_named_in_only_one_of_two_campaigns_needs_no_hashtag(harness):
    await start_with_a_goal(harness)
    await harness.say("/campaign #snow Snow help | Who clears the snow?", user=FACILITATOR)
    assert "Recorded 5 blocks for blocks" in await harness.reply_text("/goal blocks 5", user=FACILITATOR)
