"""/ideas gives the ideas it lists vote buttons, and says how to vote on those a message has no room for."""

from __future__ import annotations


async def test_a_listing_with_more_ideas_than_buttons_says_how_to_vote_on_the_rest(harness):
    await harness.start_parks()
    for number in range(10):
        await harness.say(f"/idea Idea number {number} for the pond", user="alice")
    [listing] = await harness.say("/ideas", user="bob")
    votes = [button for button in listing.message.buttons if button.label.startswith("Vote on")]
    assert len(listing.text.splitlines()) >= 11 and len(votes) == 8
    assert "Buttons for the newest 8; vote on the others with /vote <idea id>." in listing.text
