"""A sponsor's matching pool through the real core: split at the round's close by quadratic matching of
each prototype's distinct pledgers, shown with the formula and each share."""

from __future__ import annotations

from bot.testing.harness import FACILITATOR, Harness, state
from storage.models import PoolAllocation


async def two_prototypes(harness: Harness) -> None:
    await harness.start_parks()
    await harness.say("/idea More lamps along the path", user="bob")
    await harness.say("/idea A fountain by the gate", user="bob")
    await harness.say("/prototype i1 Lamps on the path", user=FACILITATOR)
    await harness.say("/prototype i2 Fountain by the gate", user=FACILITATOR)


async def test_a_pool_goes_to_the_prototype_many_support_not_the_one_a_single_pledger_backs(harness):
    await two_prototypes(harness)
    set_ = await harness.reply_text("/pool 1000 CAD", user=FACILITATOR)
    assert "A matching pool of 1000 CAD for #parks" in set_ and "(Σ√cᵢ)² − Σcᵢ" in set_
    for user in ("alice", "carol", "dave", "erin"):
        await harness.say("/pledge p1 25 CAD", user=user)
    await harness.say("/pledge p2 100 CAD", user="bob")
    await harness.say("/pledge p2 50 hours", user="alice")  # another unit: not matched by a CAD pool
    assert "waits for the next round's close" in await harness.reply_text("/report #parks")
    await harness.say("/round 45m What else would help?", user=FACILITATOR)
    closed = await harness.reply_text("/close", user=FACILITATOR)
    assert "The matching pool of 1000 CAD, split by (Σ√cᵢ)² − Σcᵢ" in closed, closed
    assert "p1 · Lamps on the path: 4 pledgers, 100 pledged, match 300: 1000 CAD" in closed
    assert "p2 · Fountain by the gate: 1 pledger, 100 pledged, match 0: 0 CAD" in closed
    assert sorted(row.share for row in harness.rows(PoolAllocation)) == [0, 1000]
    assert "p1 · Lamps on the path: 4 pledgers" in await harness.reply_text("/report #parks")


async def test_a_pool_is_for_facilitators_and_takes_a_sane_amount(harness):
    await two_prototypes(harness)
    await harness.say("/join #parks", user="alice")
    before = state(harness.townhall)
    assert "Only facilitators" in await harness.reply_text("/pool 1000 CAD", user="alice")
    assert "above 0" in await harness.reply_text("/pool -3 CAD", user=FACILITATOR)
    assert "no currency I know" in await harness.reply_text("/pool 10 ABC", user=FACILITATOR)
    assert state(harness.townhall) == before
