"""The Discord adapter with the real discord.py against a fake Discord on 127.0.0.1 (bot/testing/fake_discord.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from sqlmodel import Session, select

from adapters.discord.adapter import TownhallClient
from bot.app import Townhall, discord_adapter
from bot.testing import fake_discord
from bot.testing.fake_discord import (
    ALICE,
    APPLICATION_ID,
    CHANNEL_ID,
    FRAN,
    Call,
    FakeDiscord,
    command,
    message_create,
    press,
)
from bot.testing.harness import FACILITATOR_COMMANDS, make_settings, state
from facilitation.features import FEATURES
from facilitation.kernel.events import Address, Outgoing
from facilitation.kernel.router import OptionKind, Router
from storage.models import CampaignFacilitator, GoalRecorder, Idea, Identity

COMMANDS = Router(FEATURES).commands


@pytest.fixture(autouse=True)
def quick_ready(monkeypatch: pytest.MonkeyPatch) -> None:
    """The fake sends every server's data at once; no need to wait for more."""
    monkeypatch.setattr(TownhallClient, "guild_ready_timeout", 0.1)


@asynccontextmanager
async def discord_townhall(database_url: str, data_dir: Path, fake: FakeDiscord) -> AsyncIterator[Townhall]:
    """Townhall with only the Discord adapter, connected to `fake`; fran facilitates."""
    settings = make_settings(
        database_url,
        data_dir,
        discord_bot_token="fake-token",
        discord_api_base_url=fake.api_base_url,
        discord_gateway_url=fake.gateway_url,
        facilitator_ids=[f"discord:{FRAN}"],
    )
    townhall = Townhall(settings, [discord_adapter(settings)])
    await townhall.start()
    try:
        yield townhall
    finally:
        await townhall.stop()


async def ask(fake: FakeDiscord, payload: dict) -> Call:
    """Dispatch an interaction; its first answer through the interaction's webhook."""
    await fake.dispatch("INTERACTION_CREATE", payload)
    return await fake.wait_for(
        lambda call: call.path.startswith(f"/webhooks/{APPLICATION_ID}/{payload['token']}")
    )


def acknowledgement(fake: FakeDiscord, payload: dict) -> Call:
    """The interaction callback that acknowledged `payload`; it must come before any answer."""
    calls = [call for call in fake.calls if payload["token"] in call.path]
    assert calls[0].path == f"/interactions/{payload['id']}/{payload['token']}/callback"
    return calls[0]


def rows(townhall: Townhall, model: type) -> list:
    with Session(townhall.database.engine) as session:
        return list(session.exec(select(model)))


async def start_parks(fake: FakeDiscord) -> None:
    await ask(
        fake, command("campaign", FRAN, "fran", hashtag="parks", title="Better parks", challenge="How?")
    )
    await ask(fake, command("invite", FRAN, "fran"))


async def test_hashtag_message_becomes_an_idea(database_url: str, tmp_path: Path) -> None:
    async with FakeDiscord() as fake, discord_townhall(database_url, tmp_path, fake) as townhall:
        await start_parks(fake)
        await fake.dispatch("MESSAGE_CREATE", message_create("Plant shade trees #parks"))
        confirmation = await fake.wait_for(
            lambda call: call.path == f"/channels/{CHANNEL_ID}/messages" and "recorded" in call.content
        )
        assert "Idea i1 recorded in #parks" in confirmation.content
        assert [idea.text for idea in rows(townhall, Idea)] == ["Plant shade trees #parks"]
        ideas = command("ideas")
        answer = await ask(fake, ideas)
        assert acknowledgement(fake, ideas).body == {"type": 5}  # deferred, "thinking…"
        assert answer.method == "PATCH" and "Plant shade trees" in answer.content


async def test_a_replayed_message_after_a_resume_records_one_idea(database_url: str, tmp_path: Path) -> None:
    async with FakeDiscord() as fake, discord_townhall(database_url, tmp_path, fake) as townhall:
        await start_parks(fake)
        message = message_create("More benches by the pond #parks")
        await fake.dispatch("MESSAGE_CREATE", message)
        await fake.wait_for(lambda call: "recorded in #parks" in call.content)
        await fake.drop_connection()  # the gateway closes mid-stream; discord.py resumes and it replays
        later = message_create("Shade sails over the sandpit #parks")
        await fake.dispatch("MESSAGE_CREATE", later)  # handled after the replayed one
        await fake.wait_for(lambda call: "Shade sails" in call.content or "i2 recorded" in call.content)
        assert fake.resumes == 1 and len(fake.identifies) == 1
        ideas = rows(townhall, Idea)
        assert [(idea.text, idea.source_message_id) for idea in ideas] == [
            ("More benches by the pond #parks", message["id"]),
            ("Shade sails over the sandpit #parks", later["id"]),
        ]
        confirmations = [call for call in fake.messages() if "recorded" in call.content]
        assert len(confirmations) == 2, "the replayed message is neither stored nor answered again"


async def test_ideas_posted_while_the_bot_was_down_in_a_channel_where_it_had_handled_nothing_are_read(
    database_url: str, tmp_path: Path
) -> None:
    """A campaign announced in a channel by slash commands only (no message handled there yet): what
    residents post there while Townhall is down is read at the next start, and not what came before."""
    async with FakeDiscord() as fake:
        before = message_create("Posted before the campaign was announced #parks")
        fake.history[CHANNEL_ID] = [before]
        async with discord_townhall(database_url, tmp_path, fake):
            await start_parks(fake)
        while_down = message_create("Shade sails over the sandpit #parks")
        fake.history[CHANNEL_ID].append(while_down)
        async with discord_townhall(database_url, tmp_path, fake) as townhall:
            await fake.wait_for(lambda call: "recorded in #parks" in call.content)
            assert [idea.text for idea in rows(townhall, Idea)] == ["Shade sails over the sandpit #parks"]


async def test_mass_mentions_in_an_idea_do_not_ping(database_url: str, tmp_path: Path) -> None:
    async with FakeDiscord() as fake, discord_townhall(database_url, tmp_path, fake):
        await start_parks(fake)
        await fake.dispatch(
            "MESSAGE_CREATE", message_create("@everyone @here <@&1200000000000000001> *shade* #parks")
        )
        await fake.wait_for(lambda call: "recorded in #parks" in call.content)
        listing = await ask(fake, command("ideas"))
        assert "@everyone @here <@&1200000000000000001> \\*shade\\*" in listing.content
        assert listing.body["allowed_mentions"] == {"parse": []}
        for call in fake.messages():
            assert call.body["allowed_mentions"]["parse"] == [], call


async def test_every_facilitator_command_tried_by_a_resident_is_refused_and_changes_nothing(
    database_url: str, tmp_path: Path
) -> None:
    async with FakeDiscord() as fake, discord_townhall(database_url, tmp_path, fake) as townhall:
        await start_parks(fake)
        await fake.dispatch("MESSAGE_CREATE", message_create("Plant shade trees #parks"))
        await fake.wait_for(lambda call: "recorded in #parks" in call.content)
        before = state(townhall)
        answer = await ask(fake, command("campaign", hashtag="#mine", title="Mine", challenge="Take over"))
        assert "Only facilitators can do that" in answer.content
        for name in FACILITATOR_COMMANDS:
            for every_field in (False, True):
                answer = await ask(fake, filled_in(name, every_field))
                assert "Only facilitators" in answer.content, (name, every_field)
        assert state(townhall) == before


def filled_in(name: str, every_field: bool) -> dict:
    """A resident's interaction for the slash command `name`: its required fields, or all of them, filled
    as Discord would send them (a person as a user option, with the user resolved)."""
    payload = command(name)
    values = {OptionKind.INTEGER: (4, 1), OptionKind.HASHTAG: (3, "parks"), OptionKind.USER: (6, ALICE)}
    for option in COMMANDS[name].fields():
        if option.required or every_field:
            kind, value = values.get(option.kind, (3, "i1 because"))
            payload["data"]["options"].append({"name": option.name, "type": kind, "value": value})
            if option.kind is OptionKind.USER:
                payload["data"]["resolved"] = {"users": {ALICE: fake_discord.user(ALICE, "alice")}}
    return payload


ZOE = "1500000000000000010"
MALLORY = "1500000000000000011"


def choosing(payload: dict, option: str, user_id: str, name: str) -> dict:
    """`payload` with `user_id` picked in its user field `option`, resolved as Discord sends it."""
    payload["data"]["options"].append({"name": option, "type": 6, "value": user_id})
    payload["data"]["resolved"] = {"users": {user_id: fake_discord.user(user_id, name)}}
    return payload


async def test_a_role_goes_to_the_member_picked_never_to_another_with_the_same_name(
    database_url: str, tmp_path: Path
) -> None:
    async with FakeDiscord() as fake, discord_townhall(database_url, tmp_path, fake) as townhall:
        await start_parks(fake)
        mallory = message_create("/ideas", MALLORY, "zoe")
        mallory["author"]["username"] = "mallory"  # her display name is Zoe's, her username her own
        await fake.dispatch("MESSAGE_CREATE", mallory)
        await fake.wait_for(lambda call: "No ideas" in call.content or "#parks" in call.content)
        pick_zoe = choosing(command("facilitator", FRAN, "fran"), "person", ZOE, "zoe")
        refused = await ask(fake, pick_zoe)
        assert "I don't know Zoe yet: they need to write to me once first." in refused.content

        await fake.dispatch("MESSAGE_CREATE", message_create("Plant shade trees #parks", ZOE, "zoe"))
        await fake.wait_for(lambda call: "recorded in #parks" in call.content)
        named = await ask(fake, choosing(command("facilitator", FRAN, "fran"), "person", ZOE, "zoe"))
        assert "now facilitates #parks" in named.content
        await ask(fake, command("goal", FRAN, "fran", arguments="shade 40 trees"))
        allowed = await ask(fake, command("goal", FRAN, "fran", arguments=f"shade allow <@{ZOE}>"))
        assert "may now record values of shade" in allowed.content  # a mention in a text field is an id too
        typed = await ask(fake, command("goal", FRAN, "fran", arguments="shade allow @zoe"))
        assert "may now record values of shade" in typed.content  # as is her unique username
        accounts = {identity.member_id: identity.platform_user_id for identity in rows(townhall, Identity)}
        assert {accounts[row.member_id] for row in rows(townhall, CampaignFacilitator)} == {FRAN, ZOE}
        assert [accounts[row.member_id] for row in rows(townhall, GoalRecorder)] == [ZOE]


async def test_replying_to_a_members_message_names_them(database_url: str, tmp_path: Path) -> None:
    async with FakeDiscord() as fake, discord_townhall(database_url, tmp_path, fake) as townhall:
        await start_parks(fake)
        hers = message_create("Plant shade trees #parks", ZOE, "zoe")
        await fake.dispatch("MESSAGE_CREATE", hers)
        await fake.wait_for(lambda call: "recorded in #parks" in call.content)
        reply = message_create(
            "/facilitator #parks",
            FRAN,
            "fran",
            type=19,
            message_reference={"message_id": hers["id"], "channel_id": CHANNEL_ID},
            referenced_message=hers,
        )
        await fake.dispatch("MESSAGE_CREATE", reply)
        await fake.wait_for(lambda call: "now facilitates #parks" in call.content)
        accounts = {identity.member_id: identity.platform_user_id for identity in rows(townhall, Identity)}
        assert {accounts[row.member_id] for row in rows(townhall, CampaignFacilitator)} == {FRAN, ZOE}


async def test_buttons_work_after_a_restart_and_stale_ones_answer_privately(
    database_url: str, tmp_path: Path
) -> None:
    async with FakeDiscord() as fake:
        async with discord_townhall(database_url, tmp_path, fake):
            await ask(
                fake,
                command("campaign", FRAN, "fran", hashtag="parks", title="Better parks", challenge="How?"),
            )
            invitation = await ask(fake, command("invite", FRAN, "fran"))
            [join_token] = invitation.custom_ids()
        async with discord_townhall(database_url, tmp_path, fake):
            pressed = press(join_token)
            welcome = await ask(fake, pressed)
            assert acknowledgement(fake, pressed).body == {"type": 6}  # deferred, message unchanged
            assert "Welcome to #parks" in welcome.content
            stale = await ask(fake, press("gone-token-0"))
            assert "This button has expired" in stale.content
            assert stale.flags & fake_discord.EPHEMERAL


async def test_a_long_answer_is_split_to_fit_discord(database_url: str, tmp_path: Path) -> None:
    challenge = " ".join(["How can every street get shade and benches?"] * 55)  # about 2,500 characters
    async with FakeDiscord() as fake, discord_townhall(database_url, tmp_path, fake):
        await ask(
            fake,
            command("campaign", FRAN, "fran", hashtag="parks", title="Better parks", challenge=challenge),
        )
        invite = command("invite", FRAN, "fran")
        first = await ask(fake, invite)
        second = await fake.wait_for(
            lambda call: call.path == f"/webhooks/{APPLICATION_ID}/{invite['token']}"
        )
        assert first.method == "PATCH" and second.custom_ids()  # the Join button comes with the last piece
        assert all(len(call.content) <= 2000 for call in (first, second))
        assert len(first.content) + len(second.content) > 2500


async def test_closed_direct_messages_lead_to_one_mention_in_the_channel(
    database_url: str, tmp_path: Path
) -> None:
    async with (
        FakeDiscord(forbid_direct_messages=True) as fake,
        discord_townhall(database_url, tmp_path, fake),
    ):
        for tag in ("parks", "streets"):
            await ask(
                fake, command("campaign", FRAN, "fran", hashtag=tag, title=tag.title(), challenge="How?")
            )
        # Two campaigns and none bound here: the answer is a private question, sent as a direct message.
        await fake.dispatch("MESSAGE_CREATE", message_create("/idea More benches"))
        refused = await fake.wait_for(
            lambda call: call.path == f"/channels/{fake_discord.DM_CHANNEL_ID}/messages"
        )
        assert "Which campaign" in refused.content
        notice = await fake.wait_for(lambda call: call.path == f"/channels/{CHANNEL_ID}/messages")
        assert notice.content.startswith(f"<@{fake_discord.ALICE}> I could not send you a private message")
        assert notice.body["allowed_mentions"]["users"] == [int(fake_discord.ALICE)]
        assert notice.body["allowed_mentions"]["parse"] == []
        assert len([call for call in fake.messages() if "private message" in call.content]) == 1


async def test_without_the_message_content_intent_the_channel_is_told_once(
    database_url: str, tmp_path: Path
) -> None:
    async with FakeDiscord(grant_message_content=False) as fake:
        async with discord_townhall(database_url, tmp_path, fake):
            assert not fake.identifies[-1]["intents"] & fake_discord.MESSAGE_CONTENT_INTENT
            await start_parks(fake)
            await fake.dispatch("MESSAGE_CREATE", message_create(""))  # Discord hides the text
            notice = await fake.wait_for(lambda call: "I can only see commands" in call.content)
            assert notice.path == f"/channels/{CHANNEL_ID}/messages"
            await fake.dispatch("MESSAGE_CREATE", message_create(""))
            answer = await ask(fake, command("idea", idea="Plant shade trees"))  # slash commands still work
            assert "Idea i1 recorded" in answer.content
        async with discord_townhall(database_url, tmp_path, fake):
            await fake.dispatch("MESSAGE_CREATE", message_create(""))
            await ask(fake, command("ideas"))
        assert len([call for call in fake.messages() if "I can only see commands" in call.content]) == 1


async def test_a_private_answer_to_a_slash_command_is_ephemeral(database_url: str, tmp_path: Path) -> None:
    async with FakeDiscord() as fake, discord_townhall(database_url, tmp_path, fake):
        for tag in ("parks", "streets"):
            await ask(
                fake, command("campaign", FRAN, "fran", hashtag=tag, title=tag.title(), challenge="How?")
            )
        idea = command("idea", idea="More benches")
        await fake.dispatch("INTERACTION_CREATE", idea)
        question = await fake.wait_for(
            lambda call: call.path == f"/webhooks/{APPLICATION_ID}/{idea['token']}"
        )
        assert "Which campaign" in question.content and question.flags & fake_discord.EPHEMERAL
        assert len(question.custom_ids()) == 2
        answers = [call for call in fake.calls if idea["token"] in call.path]
        # The public "thinking…" message is removed before the private answer, never edited into it.
        assert [call.method for call in answers] == ["POST", "DELETE", "POST"]


async def test_an_image_is_sent_as_an_attachment(database_url: str, tmp_path: Path) -> None:
    image = tmp_path / "themes.png"
    image.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 64)
    async with FakeDiscord() as fake, discord_townhall(database_url, tmp_path, fake) as townhall:
        [adapter] = townhall.adapters
        await adapter.send(Address("discord", CHANNEL_ID), Outgoing("Themes so far", image_path=str(image)))
        sent = await fake.wait_for(lambda call: call.path == f"/channels/{CHANNEL_ID}/messages")
        assert sent.content == "Themes so far" and sent.body["files"] == ["themes.png"]


async def test_an_interaction_too_late_to_acknowledge_is_still_recorded(
    database_url: str, tmp_path: Path
) -> None:
    async with (
        FakeDiscord(expire_interactions=True) as fake,
        discord_townhall(database_url, tmp_path, fake) as townhall,
    ):
        await fake.dispatch(
            "INTERACTION_CREATE",
            command("campaign", FRAN, "fran", hashtag="parks", title="Parks", challenge="How?"),
        )
        await fake.wait_for(lambda call: "Campaign #parks created" in call.content)
        await fake.dispatch("INTERACTION_CREATE", command("idea", idea="Plant shade trees"))
        confirmation = await fake.wait_for(lambda call: "Idea i1 recorded" in call.content)
        assert confirmation.path == f"/channels/{CHANNEL_ID}/messages"
        assert [idea.text for idea in rows(townhall, Idea)] == ["Plant shade trees"]


async def test_a_thread_belongs_to_its_channel_and_is_answered_in_the_thread(
    database_url: str, tmp_path: Path
) -> None:
    async with FakeDiscord() as fake, discord_townhall(database_url, tmp_path, fake) as townhall:
        await start_parks(fake)
        await fake.dispatch(
            "MESSAGE_CREATE", message_create("/idea Shade sails", channel_id=fake_discord.THREAD_ID)
        )
        answer = await fake.wait_for(lambda call: "recorded in #parks" in call.content)
        assert answer.path == f"/channels/{fake_discord.THREAD_ID}/messages"
        [idea] = rows(townhall, Idea)
        assert (idea.text, idea.source_chat_id) == ("Shade sails", CHANNEL_ID)


async def test_a_gateway_refusing_the_message_content_intent_is_joined_without_it(
    database_url: str, tmp_path: Path
) -> None:
    async with (
        FakeDiscord(grant_message_content=False, claim_message_content=True) as fake,
        discord_townhall(database_url, tmp_path, fake),
    ):
        assert [
            bool(identify["intents"] & fake_discord.MESSAGE_CONTENT_INTENT) for identify in fake.identifies
        ] == [
            True,
            False,
        ]
        answer = await ask(fake, command("campaigns"))
        assert "There is no campaign yet" in answer.content
