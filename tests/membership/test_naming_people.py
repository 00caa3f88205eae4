"""Roles go to the account a facilitator names by platform id, never to whoever took that display name."""

from __future__ import annotations

from bot.testing.harness import FACILITATOR, Harness
from facilitation.kernel.events import PlatformUser
from storage.models import CampaignFacilitator, GoalRecorder, Identity


def accounts_of(harness: Harness, rows: list) -> list[str]:
    """The platform ids of the members in `rows` (facilitators, goal recorders), the campaign's creator
    left out."""
    ids = {identity.member_id: identity.platform_user_id for identity in harness.rows(Identity)}
    return sorted(ids[row.member_id] for row in rows if ids[row.member_id] != FACILITATOR)


async def test_an_at_name_that_is_only_someones_display_name_names_no_one(harness):
    await harness.start_parks()
    await harness.say("hello", user="mallory", display_name="zoe_z")  # chose the real Zoe's handle as a name
    answer = await harness.reply_text("/facilitator @zoe_z #parks", user=FACILITATOR)
    assert "need to write to me once first" in answer
    assert accounts_of(harness, harness.rows(CampaignFacilitator)) == []

    await harness.say("hello", user="zoe_z")
    assert "now facilitates #parks" in await harness.reply_text(
        "/facilitator @zoe_z #parks", user=FACILITATOR
    )
    assert accounts_of(harness, harness.rows(CampaignFacilitator)) == ["zoe_z"]


async def test_a_plain_name_is_refused_with_how_to_name_someone(harness):
    await harness.start_parks()
    await harness.say("hello", user="carol")
    for name in ("Carol", "carol"):
        answer = await harness.reply_text(f"/facilitator {name} #parks", user=FACILITATOR)
        assert f"can't tell who {name} is from a name" in answer
        assert "Mention them" in answer and "answer one of their messages" in answer
    assert accounts_of(harness, harness.rows(CampaignFacilitator)) == []


async def test_a_chosen_account_that_never_wrote_is_refused_though_another_has_its_name(harness):
    await harness.start_parks()
    await harness.say("hello", user="mallory", display_name="Zoe")
    zoe = PlatformUser("zoe", "Zoe")  # picked from the member list; she has not written to the bot yet
    answer = await harness.reply_text("/facilitator Zoe #parks", user=FACILITATOR, mentions=(zoe,))
    assert "I don't know Zoe yet: they need to write to me once first." in answer
    assert accounts_of(harness, harness.rows(CampaignFacilitator)) == []

    await harness.say("hello", user="zoe")
    await harness.say("/facilitator Zoe #parks", user=FACILITATOR, mentions=(zoe,))
    assert accounts_of(harness, harness.rows(CampaignFacilitator)) == ["zoe"]


async def test_answering_someones_message_names_its_author(harness):
    await harness.start_parks()
    await harness.say("I'd love to help run this", user="carol")
    named = await harness.reply_text("/facilitator #parks", user=FACILITATOR, reply_to="carol")
    assert "now facilitates #parks" in named
    assert accounts_of(harness, harness.rows(CampaignFacilitator)) == ["carol"]
    asked = await harness.reply_text("/facilitator #parks", user=FACILITATOR)
    assert "Whom do you mean?" in asked


async def test_goal_allow_names_people_the_same_way(harness):
    await harness.start_parks()
    await harness.say("/goal trees 100 trees", user=FACILITATOR)
    await harness.say("hello", user="mallory", display_name="Alice")
    assert "can't tell who Alice is" in await harness.reply_text("/goal trees allow Alice", user=FACILITATOR)
    assert "write to me once first" in await harness.reply_text("/goal trees allow @alice", user=FACILITATOR)
    assert harness.rows(GoalRecorder) == []

    await harness.say("hello", user="alice")
    assert "may now record" in await harness.reply_text("/goal trees allow @alice", user=FACILITATOR)
    assert accounts_of(harness, harness.rows(GoalRecorder)) == ["alice"]
    assert "Recorded 5 trees" in await harness.reply_text("/goal trees 5", user="alice")
    assert "Only facilitators, and members they allow" in await harness.reply_text(
        "/goal trees 5", user="mallory"
    )
