"""The first flow as residents and facilitators live it: campaign, invitation, joining, ideas, listing."""

from __future__ import annotations

from bot.testing.harness import FACILITATOR
from storage.models import Campaign, ChatBinding, Idea, Membership


async def test_facilitator_creates_campaign_and_invites_a_chat(harness):
    created = await harness.reply_text(
        "/campaign #Parks Better parks | How can we make our parks welcoming for everyone?", user=FACILITATOR
    )
    assert "#parks" in created and "Better parks" in created

    invitation = await harness.say("/invite", user=FACILITATOR)
    assert "How can we make our parks welcoming for everyone?" in invitation[-1].text
    assert [button.label for button in invitation[-1].message.buttons] == ["Join #parks"]
    assert [(b.platform, b.chat_id) for b in harness.rows(ChatBinding)] == [("recording", "room")]


async def test_join_button_makes_a_member_and_a_second_press_says_so(harness):
    await harness.start_parks()
    welcome = await harness.press("Join", user="alice")
    assert "Welcome to #parks" in welcome[0].text
    again = await harness.press("Join", user="alice")
    assert "already a member" in again[0].text
    assert len(harness.rows(Membership)) == 1


async def test_ideas_from_command_and_hashtag_are_listed_newest_first(harness):
    await harness.start_parks()
    await harness.say("/join #parks", user="alice")
    first = await harness.reply_text("/idea More benches near the playground", user="alice")
    second = await harness.reply_text("Plant shade trees along the path #parks", user="bob")
    assert "Idea i1 recorded in #parks" in first
    assert "Idea i2 recorded in #parks" in second and "now a member of #parks" in second

    listing = await harness.reply_text("/ideas")
    assert listing.index("Plant shade trees") < listing.index("More benches")
    assert "i1" in listing and "i2" in listing
    assert [idea.text for idea in harness.rows(Idea)] == [
        "More benches near the playground",
        "Plant shade trees along the path #parks",
    ]


async def test_ideas_are_paged_with_a_button_for_older_ones(harness):
    await harness.start_parks()
    for number in range(1, 13):
        await harness.say(f"/idea Idea number {number} for the park", user=f"resident{number}")
    first_page = await harness.say("/ideas")
    assert "page 1 of 2" in first_page[0].text and "Idea number 12" in first_page[0].text
    second_page = await harness.press("Older ideas")
    assert "page 2 of 2" in second_page[0].text
    assert "Idea number 1 for" in second_page[0].text and "Idea number 12" not in second_page[0].text
    assert [button.label for button in second_page[0].message.buttons] == ["Vote on i2", "Vote on i1"]
    assert "only 2 pages" in await harness.reply_text("/ideas 3")


async def test_idea_for_a_member_of_several_campaigns_asks_which_then_records_on_press(harness):
    await harness.start_parks()
    await harness.say("/campaign #schools School success | How can every child thrive?", user=FACILITATOR)
    await harness.say("/join #parks", user="alice", private=True)
    await harness.say("/join #schools", user="alice", private=True)

    question = await harness.say("/idea Homework club in the library", user="alice", private=True)
    assert "Which campaign" in question[0].text
    assert {button.label for button in question[0].message.buttons} == {"#parks", "#schools"}
    assert harness.rows(Idea) == []

    recorded = await harness.press("#schools", user="alice", private=True)
    assert "recorded in #schools" in recorded[0].text
    [idea] = harness.rows(Idea)
    assert idea.text == "Homework club in the library"


async def test_redelivered_update_records_its_idea_once(harness):
    await harness.start_parks()
    await harness.say("Fix the fountain #parks", message_id="777")
    again = await harness.reply_text("Fix the fountain #parks", message_id="777")
    assert "already recorded" in again
    assert len(harness.rows(Idea)) == 1


async def test_leave_then_join_again(harness):
    await harness.start_parks()
    await harness.say("/join #parks")
    left = await harness.reply_text("/leave")
    assert "You left #parks" in left
    assert "not a member" in await harness.reply_text("/leave #parks")
    assert "Welcome to #parks" in await harness.reply_text("/join #parks")


async def test_campaigns_lists_open_campaigns_with_counts(harness):
    assert "no campaign yet" in await harness.reply_text("/campaigns")
    await harness.start_parks()
    await harness.say("/idea Water fountains", user="alice")
    listing = await harness.reply_text("/campaigns")
    assert "#parks — Better parks (1 member, 1 idea)" in listing


async def test_named_facilitator_can_invite_and_residents_cannot(harness):
    await harness.start_parks()
    await harness.say("hello", user="carol")  # Carol writes once, so the bot knows her
    refused = await harness.reply_text("/invite #parks", user="carol", chat="other")
    assert "Only facilitators" in refused
    assert len(harness.rows(ChatBinding)) == 1

    named = await harness.reply_text("/facilitator @carol #parks", user=FACILITATOR)
    assert "now facilitates #parks" in named
    invitation = await harness.say("/invite #parks", user="carol", chat="other")
    assert invitation[0].message.buttons
    assert len(harness.rows(ChatBinding)) == 2


async def test_created_campaign_is_facilitated_by_its_creator_only(harness):
    await harness.start_parks()
    assert "Only facilitators" in await harness.reply_text("/facilitator @bob #parks", user="alice")
    assert len(harness.rows(Campaign)) == 1
