"""Who may act on Telegram: people named by account (a @username held now, a mention, a reply), never
by a name anyone may take; and a shared deep link acts only for buttons made as links."""

from __future__ import annotations

from pathlib import Path

from bot.app import Townhall
from bot.testing.fake_telegram import FakeBotAPI, buttons, message_update, private, user
from storage.models import CampaignFacilitator, Identity
from tests.adapters.test_telegram import ALICE, BASILE, FRAN, GROUP, Chat, rows, running


async def test_a_role_goes_to_the_username_mentioned_never_to_someone_who_took_it_as_a_name(
    api: FakeBotAPI, database_url: str, tmp_path: Path
) -> None:
    zoe = user(6200000010, "Zoe", "zoe_z")
    mallory = user(6200000011, "zoe_z")  # no username; her first name is the real Zoe's handle
    async with running(api, database_url, tmp_path) as townhall:
        chat = Chat(api)
        await chat.start_parks()
        await api.push(message_update("hello all", mallory, GROUP))
        (refused,) = await chat.say("/facilitator@townhall_test_bot @zoe_z #parks", sender=FRAN)
        assert "I don't know @zoe_z yet: they need to write to me once first." in refused["text"]

        await api.push(message_update("hello", zoe, GROUP))
        (named,) = await chat.say("/facilitator @zoe_z #parks", sender=FRAN)
        assert "now facilitates #parks" in named["text"]
        answered = message_update("/facilitator #parks", FRAN, GROUP, reply_to=BASILE)
        await api.push(message_update("I can help", BASILE, GROUP))
        assert "now facilitates #parks" in (await chat.push(answered, 1))[0]["text"]
        (plain,) = await chat.say("/facilitator zoe_z #parks", sender=FRAN)
        assert "can't tell who zoe_z is from a name" in plain["text"]
        assert facilitator_accounts(townhall) == {str(FRAN["id"]), str(zoe["id"]), str(BASILE["id"])}


async def test_a_username_names_whoever_holds_it_now(
    api: FakeBotAPI, database_url: str, tmp_path: Path
) -> None:
    before = user(6200000012, "Zoe", "parks_zoe")
    after = user(6200000013, "Zed", "parks_zoe")  # took the handle once Zoe gave it up
    async with running(api, database_url, tmp_path) as townhall:
        chat = Chat(api)
        await chat.start_parks()
        await api.push(message_update("hello", before, GROUP))
        await api.push(message_update("hello", after, GROUP))
        (named,) = await chat.say("/facilitator @Parks_Zoe #parks", sender=FRAN)
        assert "now facilitates #parks" in named["text"]
        assert facilitator_accounts(townhall) == {str(FRAN["id"]), str(after["id"])}


def facilitator_accounts(townhall: Townhall) -> set[str]:
    """The Telegram ids of every campaign facilitator."""
    accounts = {identity.member_id: identity.platform_user_id for identity in rows(townhall, Identity)}
    return {accounts[row.member_id] for row in rows(townhall, CampaignFacilitator)}


async def test_a_deep_link_made_of_a_vote_buttons_token_votes_for_no_one(
    api: FakeBotAPI, database_url: str, tmp_path: Path
) -> None:
    async with running(api, database_url, tmp_path):
        chat = Chat(api)
        await chat.start_parks()
        await chat.say("Benches by the pond #parks")
        (card,) = await chat.say("/vote i1", chat=private(ALICE))
        disagree = next(button["callback_data"] for button in buttons(card) if "Disagree" in button["text"])
        (answer,) = await chat.say(f"/start {disagree}", sender=BASILE, chat=private(BASILE))
        assert "liens d'invitation" in answer["text"]  # in French: Basile's Telegram speaks it
        (listing,) = await chat.say("/vote i1", chat=private(ALICE))
        assert "agree 0 · disagree 0 · pass 0" in listing["text"]
