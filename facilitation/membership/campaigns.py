"""Campaigns: creating one, listing them, the open invitation, joining and leaving."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy import func, update
from sqlmodel import Session, col, select

from facilitation.kernel.context import Context, Effects
from facilitation.kernel.events import Address, Button
from facilitation.kernel.hooks import CAMPAIGN_SETTING, CHAT_MOVED, FOLLOWED_CHATS, INVITATION_PARTS
from facilitation.kernel.i18n import N_
from facilitation.kernel.router import (
    HASHTAG_OPTION,
    CommandSet,
    Option,
    OptionKind,
    Refusal,
    Role,
    UsageError,
    UserError,
)
from facilitation.kernel.text import find_hashtags, is_valid_hashtag, normalise_hashtag
from storage.models import (
    HASHTAG_MAX_LENGTH,
    TITLE_MAX_LENGTH,
    Campaign,
    CampaignFacilitator,
    ChatBinding,
    Idea,
    Member,
    Membership,
    Round,
)

commands = CommandSet()

OPEN = "open"
CLOSED = "closed"
"""A campaign a facilitator closed: it takes no more ideas or votes; its ideas and data stay."""


def active_campaign_ids(session: Session, member: Member) -> list[int]:
    """The campaigns the member takes part in now, the earliest joined first."""
    statement = (
        select(Membership.campaign_id)
        .where(Membership.member_id == member.id, col(Membership.left_at).is_(None))
        .order_by(col(Membership.joined_at))
    )
    return list(session.exec(statement))


def open_campaign(ctx: Context, hashtag: str) -> Campaign | None:
    return ctx.session.exec(
        select(Campaign).where(Campaign.hashtag == normalise_hashtag(hashtag), Campaign.status == OPEN)
    ).first()


def campaign_addresses(session: Session, campaign_id: int) -> list[Address]:
    """Every chat the campaign is bound to: where its rounds, digests and prototypes are announced."""
    bindings = session.exec(
        select(ChatBinding).where(ChatBinding.campaign_id == campaign_id).order_by(col(ChatBinding.id))
    )
    return [Address(binding.platform, binding.chat_id, binding.thread_id) for binding in bindings]


def announce(
    effects: Effects,
    campaign: Campaign,
    text: str,
    buttons: tuple[Button, ...] = (),
    also_to: Address | None = None,
) -> None:
    """Post `text` in every chat bound to the campaign; when answering someone in another chat, there too,
    and in `also_to` (the chat a round was opened from) when it is none of these."""
    addresses = campaign_addresses(effects.session, campaign.id)
    for address in addresses:
        effects.send(address, text, buttons)

    def elsewhere(target: Address) -> bool:
        return not any(a.platform == target.platform and a.chat_id == target.chat_id for a in addresses)

    here = effects.incoming.address if isinstance(effects, Context) else None
    if here is not None and elsewhere(here):
        effects.reply(text, buttons)
    if also_to is not None and elsewhere(also_to) and (here is None or also_to.chat_id != here.chat_id):
        effects.send(also_to, text, buttons)


def open_round(session: Session, campaign_id: int | None, now: datetime) -> Round | None:
    """The campaign's round open at `now`, if any: the round new ideas belong to."""
    return session.exec(
        select(Round).where(
            Round.campaign_id == campaign_id, Round.status == OPEN, col(Round.closes_at) > now
        )
    ).first()


def open_campaigns(ctx: Context) -> list[Campaign]:
    return list(ctx.session.exec(select(Campaign).where(Campaign.status == OPEN).order_by(col(Campaign.id))))


def chat_campaigns(ctx: Context) -> list[Campaign]:
    """Open campaigns bound to the chat the update came from."""
    address = ctx.incoming.address
    statement = (
        select(Campaign)
        .join(ChatBinding, col(ChatBinding.campaign_id) == col(Campaign.id))
        .where(ChatBinding.platform == address.platform, ChatBinding.chat_id == address.chat_id)
        .where(Campaign.status == OPEN)
        .order_by(col(Campaign.id))
    )
    return list(ctx.session.exec(statement))


def member_campaigns(ctx: Context) -> list[Campaign]:
    ids = active_campaign_ids(ctx.session, ctx.member)
    campaigns = [ctx.session.get(Campaign, campaign_id) for campaign_id in ids]
    return [campaign for campaign in campaigns if campaign is not None and campaign.status == OPEN]


def campaign_candidates(ctx: Context) -> list[Campaign]:
    """Campaigns an update without a hashtag may mean, most specific first: this chat's, the sender's, all."""
    for candidates in (chat_campaigns(ctx), member_campaigns(ctx), open_campaigns(ctx)):
        if candidates:
            return candidates
    return []


def resolve_campaign(
    ctx: Context, args: str, candidates: Callable[[Context], list[Campaign]] | None = None
) -> tuple[Campaign, str]:
    """The campaign a command means, and the arguments left once a leading or trailing #hashtag is taken.

    With no hashtag, the only one of `candidates` (by default `campaign_candidates`: the chat's campaign,
    else the sender's, else the only open one); otherwise the answer lists the campaigns to choose from.
    """
    campaign, rest = resolve_optional_campaign(ctx, args, candidates)
    if campaign is None:
        raise UserError(ctx._("There is no campaign yet. A facilitator can start one with /campaign."))
    return campaign, rest


def unknown_campaign(ctx: Context, tag: str) -> UserError:
    """The answer to a #hashtag that names no open campaign: it says so (or that it was closed) and lists
    the open ones."""
    if any(campaign.hashtag == normalise_hashtag(tag) for campaign in closed_campaigns(ctx)):
        return UserError(
            ctx._(
                "#{hashtag} is closed: it takes no more ideas. Its ideas stay.",
                hashtag=normalise_hashtag(tag),
            )
        )
    known = " ".join(f"#{campaign.hashtag}" for campaign in open_campaigns(ctx))
    if not known:
        return UserError(ctx._("There is no open campaign {hashtag}. /campaigns lists them.", hashtag=tag))
    return UserError(
        ctx._("There is no open campaign {hashtag}. Open campaigns: {hashtags}", hashtag=tag, hashtags=known)
    )


def resolve_optional_campaign(
    ctx: Context, args: str, candidates: Callable[[Context], list[Campaign]] | None = None
) -> tuple[Campaign | None, str]:
    """As `resolve_campaign`, but None when there is no campaign at all, for commands that also serve
    everyone outside campaigns (pods)."""
    _ = ctx._
    words = args.split()
    tagged = [word for word in (words[:1] + words[-1:]) if word.startswith("#")]
    if tagged:
        tag = tagged[0]
        campaign = open_campaign(ctx, tag)
        if campaign is None:
            raise unknown_campaign(ctx, tag)
        rest = args.strip()
        rest = rest[len(tag) :] if rest.startswith(tag) else rest[: -len(tag)]
        return campaign, rest.strip()
    found = (candidates or campaign_candidates)(ctx)
    if len(found) > 1:
        tags = " ".join(f"#{campaign.hashtag}" for campaign in found)
        raise UserError(_("Which campaign do you mean? Add its hashtag: {hashtags}", hashtags=tags))
    return (found[0] if found else None), args.strip()


@commands.on(CHAT_MOVED)
def follow_moved_chat(ctx: Context, old_chat_id: str) -> None:
    """The platform replaced a chat by the update's chat: its campaign bindings move along."""
    platform, new_chat_id = ctx.incoming.platform, ctx.incoming.address.chat_id
    ctx.session.exec(  # type: ignore[call-overload]
        update(ChatBinding)
        .where(col(ChatBinding.platform) == platform, col(ChatBinding.chat_id) == old_chat_id)
        .values(chat_id=new_chat_id)
    )


@commands.on(FOLLOWED_CHATS)
def chats_with_a_campaign(session: Session, platform: str) -> dict[str, datetime]:
    """The platform's chats where a campaign was announced, each since its first announcement there."""
    rows = session.exec(
        select(ChatBinding.chat_id, func.min(ChatBinding.created_at))
        .where(ChatBinding.platform == platform)
        .group_by(col(ChatBinding.chat_id))
    ).all()
    return {chat_id: since for chat_id, since in rows}


def join(ctx: Context, campaign: Campaign) -> bool:
    """Make the sender a member of `campaign`; False if they already were."""
    membership = ctx.session.exec(
        select(Membership).where(Membership.campaign_id == campaign.id, Membership.member_id == ctx.member.id)
    ).first()
    if membership is None:
        ctx.session.add(Membership(campaign_id=campaign.id, member_id=ctx.member.id, joined_at=ctx.now()))
        ctx.session.flush()
        return True
    if membership.left_at is not None:
        membership.left_at = None
        membership.joined_at = ctx.now()
        return True
    return False


@commands.command(
    "campaign",
    N_("Start a campaign with an open invitation"),
    N_("/campaign #hashtag Title | challenge statement"),
    role=Role.FACILITATOR,
    options=(
        Option(
            "hashtag",
            N_("The campaign's hashtag, such as #parks"),
            OptionKind.HASHTAG,
            required=True,
            max_length=HASHTAG_MAX_LENGTH,
        ),
        Option("title", N_("A short title"), required=True),
        Option(
            "challenge",
            N_("The shared challenge, as a question or a statement"),
            required=True,
            separator=" | ",
        ),
    ),
)
def create_campaign(ctx: Context, args: str) -> None:
    _ = ctx._
    verb, _space, rest = args.strip().partition(" ")
    if verb.casefold() == "close":
        close_campaign(ctx, rest)
        return
    head, separator, challenge = args.partition("|")
    words = head.split()
    if not separator and len(words) == 3 and open_campaign(ctx, words[0]) is not None:
        change_setting(ctx, words[0], words[1].casefold(), words[2])
        return
    if not words or not separator or not challenge.strip() or len(words) < 2:
        raise UsageError(_("A campaign needs a #hashtag, a title and, after a |, the challenge."))
    tag, title, challenge = words[0], " ".join(words[1:]), challenge.strip()
    if not is_valid_hashtag(tag):
        raise UsageError(
            _(
                "{hashtag} is not a hashtag: start with # and use 2 to {limit} letters, digits or _.",
                hashtag=tag,
                limit=HASHTAG_MAX_LENGTH,
            )
        )
    if len(title) > TITLE_MAX_LENGTH:
        raise UserError(_("The title is too long: {limit} characters at most.", limit=TITLE_MAX_LENGTH))
    if open_campaign(ctx, tag) is not None:
        raise UserError(
            _(
                "#{hashtag} is already used by an open campaign. Choose another hashtag.",
                hashtag=normalise_hashtag(tag),
            )
        )
    campaign = Campaign(
        hashtag=normalise_hashtag(tag),
        title=title,
        challenge=challenge,
        creator_member_id=ctx.member.id,
        language="fr" if ctx.member.language == "fr" else "en",
        created_at=ctx.now(),
    )
    ctx.session.add(campaign)
    ctx.session.flush()
    ctx.session.add(CampaignFacilitator(campaign_id=campaign.id, member_id=ctx.member.id))
    ctx.reply(
        _(
            "Campaign #{hashtag} created: {title}.\nPost its open invitation in a chat with /invite #{hashtag}, "
            "and join it yourself with /join #{hashtag}.",
            hashtag=campaign.hashtag,
            title=title,
        )
    )


def change_setting(ctx: Context, tag: str, name: str, value: str) -> None:
    """`/campaign #hashtag <name> <value>` for an open campaign: a setting that a capability above owns
    (the ideas' language); a name no one owns gets the usage of /campaign."""
    campaign, _rest = resolve_campaign(ctx, tag)
    ctx.require_facilitator(campaign)
    if not ctx.hooks.first(CAMPAIGN_SETTING, ctx, campaign, name, value):
        raise UsageError(ctx._("A campaign needs a #hashtag, a title and, after a |, the challenge."))


def close_campaign(ctx: Context, args: str) -> None:
    """`/campaign close #hashtag`: intake stops, everything stored stays (and is still exported)."""
    _ = ctx._
    if not find_hashtags(args):
        raise UsageError(_("Name the campaign to close: /campaign close #hashtag"))
    campaign, _rest = resolve_campaign(ctx, args)
    ctx.require_facilitator(campaign)
    if open_round(ctx.session, campaign.id, ctx.now()) is not None:
        raise UserError(
            _("A round is still open in #{hashtag}: close it first with /close.", hashtag=campaign.hashtag)
        )
    campaign.status = CLOSED
    ctx.reply(
        _(
            "#{hashtag} is closed: it takes no more ideas or votes. Its ideas and data stay, and "
            "`townhall export` still publishes them.",
            hashtag=campaign.hashtag,
        )
    )


def closed_campaigns(ctx: Context) -> list[Campaign]:
    return list(
        ctx.session.exec(select(Campaign).where(Campaign.status == CLOSED).order_by(col(Campaign.id)))
    )


@commands.command("campaigns", N_("List the open campaigns"), options=())
def list_campaigns(ctx: Context, args: str) -> None:
    _, ngettext = ctx._, ctx.ngettext
    campaigns = open_campaigns(ctx)
    closed = closed_campaigns(ctx)
    if not campaigns and not closed:
        ctx.reply(_("There is no campaign yet. A facilitator can start one with /campaign."))
        return
    lines = [_("Open campaigns:")] if campaigns else []
    for campaign in campaigns:
        members = ctx.session.exec(
            select(func.count()).where(
                Membership.campaign_id == campaign.id, col(Membership.left_at).is_(None)
            )
        ).one()
        ideas = ctx.session.exec(select(func.count()).where(Idea.campaign_id == campaign.id)).one()
        lines.append(
            f"#{campaign.hashtag} — {campaign.title} ("
            + ngettext("{count} member", "{count} members", members)
            + ", "
            + ngettext("{count} idea", "{count} ideas", ideas)
            + ")"
        )
    if campaigns:
        lines.append(_("Join one with /join #hashtag."))
    if closed:
        lines.append(
            _("Closed: {hashtags}", hashtags=" ".join(f"#{campaign.hashtag}" for campaign in closed))
        )
    ctx.reply("\n".join(lines))


def invitation_text(ctx: Context, campaign: Campaign) -> str:
    """The open invitation: the challenge, how to take part, and the parts features above add (goals)."""
    text = ctx._(
        "Open invitation: #{hashtag} — {title}\n\n{challenge}\n\n"
        "Everyone is welcome. Share an idea by writing a message with #{hashtag}, or with /idea. "
        "Press Join to take part.",
        hashtag=campaign.hashtag,
        title=campaign.title,
        challenge=campaign.challenge,
    )
    parts = [part for part in ctx.hooks.call(INVITATION_PARTS, ctx, campaign) if part]
    return "\n\n".join([text, *parts])


def invitable_campaigns(ctx: Context) -> list[Campaign]:
    """What /invite without a hashtag may mean: every open campaign the sender facilitates. Neither the
    chat's campaigns nor the sender's memberships narrow it, or a campaign just created would be left out."""
    return [campaign for campaign in open_campaigns(ctx) if ctx.is_facilitator(campaign)]


@commands.command(
    "invite",
    N_("Post a campaign's open invitation here and bind this chat to it"),
    N_("/invite [#hashtag]"),
    role=Role.FACILITATOR,
    options=(HASHTAG_OPTION,),
)
def invite(ctx: Context, args: str) -> None:
    campaign, _rest = resolve_campaign(ctx, args, invitable_campaigns)
    ctx.require_facilitator(campaign)
    others = [
        other for other in chat_campaigns(ctx) if other.id != campaign.id and not ctx.is_facilitator(other)
    ]
    if others:  # a chat is its campaigns' place: another campaign comes in only with their facilitators
        raise Refusal(
            ctx._(
                "This chat belongs to {hashtags}: only its facilitators can invite another campaign here. "
                "Nothing was changed.",
                hashtags=" ".join(f"#{other.hashtag}" for other in others),
            )
        )
    address = ctx.incoming.address
    bound = ctx.session.exec(
        select(ChatBinding).where(
            ChatBinding.platform == address.platform,
            ChatBinding.chat_id == address.chat_id,
            ChatBinding.campaign_id == campaign.id,
        )
    ).first()
    if bound is None:
        ctx.session.add(
            ChatBinding(
                campaign_id=campaign.id,
                platform=address.platform,
                chat_id=address.chat_id,
                thread_id=address.thread_id,
            )
        )
    join_button = ctx.button(
        ctx._("Join #{hashtag}", hashtag=campaign.hashtag), "join", link=True, campaign_id=campaign.id
    )
    ctx.reply(invitation_text(ctx, campaign), buttons=(join_button,))


def _welcome(ctx: Context, campaign: Campaign, joined: bool) -> None:
    _ = ctx._
    if not joined:
        ctx.reply(_("You are already a member of #{hashtag}.", hashtag=campaign.hashtag))
        return
    ctx.reply(
        _(
            "Welcome to #{hashtag}, {name}! Share ideas with /idea or any message with #{hashtag}; "
            "/ideas shows what neighbours proposed.",
            hashtag=campaign.hashtag,
            name=ctx.member.pseudonym,
        )
    )


@commands.command("join", N_("Join a campaign"), N_("/join [#hashtag]"), options=(HASHTAG_OPTION,))
def join_command(ctx: Context, args: str) -> None:
    words = args.split()
    if words and not words[0].startswith("#"):
        raise UsageError(ctx._("Name the campaign by its hashtag."))
    campaign, _rest = resolve_campaign(ctx, args)
    _welcome(ctx, campaign, join(ctx, campaign))


@commands.action("join")
def join_button_pressed(ctx: Context, payload: dict) -> None:
    campaign = ctx.session.get(Campaign, payload["campaign_id"])
    if campaign is None or campaign.status != OPEN:
        raise UserError(ctx._("This campaign is closed."))
    _welcome(ctx, campaign, join(ctx, campaign))


@commands.command("leave", N_("Leave a campaign"), N_("/leave [#hashtag]"), options=(HASHTAG_OPTION,))
def leave(ctx: Context, args: str) -> None:
    _ = ctx._
    tags = find_hashtags(args)
    if tags:
        campaign, _rest = resolve_campaign(ctx, args)
        campaigns = [campaign]
    else:
        campaigns = member_campaigns(ctx)
    memberships = [
        ctx.session.exec(
            select(Membership).where(
                Membership.campaign_id == campaign.id,
                Membership.member_id == ctx.member.id,
                col(Membership.left_at).is_(None),
            )
        ).first()
        for campaign in campaigns
    ]
    active = [(campaign, m) for campaign, m in zip(campaigns, memberships, strict=True) if m is not None]
    if not active:
        raise UserError(_("You are not a member of that campaign."))
    if len(active) > 1:
        tags_text = " ".join(f"#{campaign.hashtag}" for campaign, _m in active)
        raise UserError(
            _("Which campaign do you want to leave? Add its hashtag: {hashtags}", hashtags=tags_text)
        )
    campaign, membership = active[0]
    membership.left_at = ctx.now()
    ctx.reply(
        _(
            "You left #{hashtag}. Your ideas stay, under your pseudonym. Come back any time with /join #{hashtag}.",
            hashtag=campaign.hashtag,
        )
    )
