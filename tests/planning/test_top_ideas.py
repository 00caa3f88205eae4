"""/top ranks ideas by supports and agrees, and an idea counts the backing of the ideas merged into it."""

from __future__ import annotations

from storage.models import Idea


async def test_an_idea_agreed_by_many_is_on_top_without_a_single_support(harness):
    await harness.start_parks()
    await harness.say("/idea Ice grips for the stairs", user="alice")
    await harness.say("/idea A phone tree for storms", user="bob")
    for voter in ("carol", "dave", "erin", "fred", "gina", "hugo", "ines"):
        await harness.say("/vote i1 agree", user=voter)
    top = await harness.reply_text("/top", user="alice")
    assert "i1 · Ice grips for the stairs (agree 7)" in top
    assert "i2" not in top.split("Most supported themes")[0]


async def test_a_merged_idea_counts_with_the_idea_it_joined(harness):
    await harness.start_parks()
    await harness.say("/idea More benches near the playground", user="alice")
    await harness.say("/idea Benches by the playground please", user="bob")
    with harness.townhall.database.session() as session:  # what "Merge mine into i1" stores
        merged = session.get_one(Idea, 2)
        merged.status, merged.merged_into_id = "merged", 1
    top = await harness.reply_text("/top", user="carol")
    assert "i1 · More benches near the playground (support 1)" in top
