"""Ideas: recording them from /idea or from hashtag messages, and listing them."""

from __future__ import annotations

import re

from sqlalchemy import func
from sqlmodel import col, select

from facilitation.campaigns import campaign_candidates, join, open_campaign, resolve_campaign
from facilitation.context import Context
from facilitation.fair_use import IDEAS_PER_MINUTE, WINDOW
from facilitation.i18n import N_
from facilitation.router import HASHTAG_OPTION, CommandSet, Option, OptionKind, UsageError, UserError
from facilitation.text import IDEA_MAX_LENGTH, clean_user_text, find_hashtags, shorten
from storage.models import Campaign, Idea, Member

commands = CommandSet()

IDEAS_PAGE_SIZE = 10
IDEA_PREVIEW_WIDTH = 200


def idea_ref(idea: Idea) -> str:
    """The short id residents type and read: i42."""
    return f"i{idea.id}"


IDEA_REF_PATTERN = re.compile(r"i?(\d{1,12})", re.IGNORECASE)


def idea_by_ref(ctx: Context, ref: str) -> Idea:
    """The idea a resident names as i42 (or 42), or a clear answer that there is none."""
    match = IDEA_REF_PATTERN.fullmatch(ref.strip())
    idea = ctx.session.get(Idea, int(match.group(1))) if match else None
    if idea is None:
        raise UserError(ctx._("There is no idea {ref}. Idea ids look like i12.", ref=ref.strip() or "?"))
    return idea


def validated_idea_text(ctx: Context, text: str) -> str:
    _ = ctx._
    cleaned = clean_user_text(text)
    if not cleaned:
        raise UsageError(
            _("Your idea is empty. Write it after /idea, e.g. /idea More benches near the playground.")
        )
    if len(cleaned) > IDEA_MAX_LENGTH:
        raise UserError(
            _(
                "Your idea is {length} characters long; the limit is {limit}. Nothing was saved: "
                "please shorten it and send it again.",
                length=len(cleaned),
                limit=IDEA_MAX_LENGTH,
            )
        )
    return cleaned


def record_idea(ctx: Context, campaign: Campaign, text: str, message_id: str | None) -> None:
    """Store an idea verbatim for the sender (joining them to the campaign) and confirm it with its id.

    A platform message already recorded for this campaign (a re-delivered update) is confirmed again,
    not stored twice.
    """
    _ = ctx._
    address = ctx.incoming.address
    if message_id is not None:
        existing = ctx.session.exec(
            select(Idea).where(
                Idea.campaign_id == campaign.id,
                Idea.source_platform == address.platform,
                Idea.source_chat_id == address.chat_id,
                Idea.source_message_id == message_id,
            )
        ).first()
        if existing is not None:
            ctx.reply(
                _(
                    "Idea {ref} is already recorded in #{hashtag}.",
                    ref=idea_ref(existing),
                    hashtag=campaign.hashtag,
                )
            )
            return
    recent = ctx.session.exec(
        select(func.count()).where(Idea.member_id == ctx.member.id, Idea.created_at > ctx.now() - WINDOW)
    ).one()
    if recent >= IDEAS_PER_MINUTE and not ctx.is_configured_facilitator():
        raise UserError(
            _(
                "That is {limit} ideas in a minute: please wait a little before the next one.",
                limit=IDEAS_PER_MINUTE,
            )
        )
    joined = join(ctx, campaign)
    idea = Idea(
        campaign_id=campaign.id,
        member_id=ctx.member.id,
        text=text,
        source_platform=address.platform,
        source_chat_id=address.chat_id,
        source_message_id=message_id,
        created_at=ctx.now(),
    )
    ctx.session.add(idea)
    ctx.session.flush()
    confirmation = _(
        "Idea {ref} recorded in #{hashtag}. Thank you!", ref=idea_ref(idea), hashtag=campaign.hashtag
    )
    if joined:
        confirmation += "\n" + _("You are now a member of #{hashtag}.", hashtag=campaign.hashtag)
    ctx.reply(confirmation)


@commands.command(
    "idea",
    N_("Share an idea with the campaign"),
    N_("/idea [#hashtag] <your idea>"),
    options=(HASHTAG_OPTION, Option("idea", N_("Your idea, in your own words"), required=True)),
)
def idea_command(ctx: Context, args: str) -> None:
    _ = ctx._
    tags = find_hashtags(args)
    tagged = [campaign for tag in tags if (campaign := open_campaign(ctx, tag)) is not None]
    text = validated_idea_text(ctx, args)
    if tagged:
        for campaign in tagged:
            record_idea(ctx, campaign, text, ctx.incoming.message_id)
        return
    candidates = campaign_candidates(ctx)
    if not candidates:
        raise UserError(_("There is no campaign yet. A facilitator can start one with /campaign."))
    if len(candidates) == 1:
        record_idea(ctx, candidates[0], text, ctx.incoming.message_id)
        return
    buttons = tuple(
        ctx.button(
            f"#{campaign.hashtag}",
            "idea_for",
            campaign_id=campaign.id,
            text=text,
            message_id=ctx.incoming.message_id,
        )
        for campaign in candidates
    )
    ctx.reply(_("Which campaign is this idea for?"), buttons=buttons, private=True)


@commands.action("idea_for")
def idea_campaign_chosen(ctx: Context, payload: dict) -> None:
    campaign = ctx.session.get(Campaign, payload["campaign_id"])
    if campaign is None or campaign.status != "open":
        raise UserError(ctx._("This campaign is closed."))
    record_idea(ctx, campaign, payload["text"], payload.get("message_id"))


def record_hashtag_message(ctx: Context) -> bool:
    """A message naming open campaigns' hashtags becomes an idea in each; False if it names none."""
    campaigns = [
        campaign for tag in find_hashtags(ctx.incoming.text) if (campaign := open_campaign(ctx, tag))
    ]
    if not campaigns:
        return False
    text = validated_idea_text(ctx, ctx.incoming.text)
    for campaign in campaigns:
        record_idea(ctx, campaign, text, ctx.incoming.message_id)
    return True


@commands.command(
    "ideas",
    N_("Show the latest ideas, page by page"),
    N_("/ideas [#hashtag] [page]"),
    options=(HASHTAG_OPTION, Option("page", N_("Page number; 1 is the newest ideas"), OptionKind.INTEGER)),
)
def list_ideas(ctx: Context, args: str) -> None:
    campaign, rest = resolve_campaign(ctx, args)
    page = 1
    if rest:
        if not rest.isdigit() or int(rest) < 1:
            raise UsageError(ctx._("The page must be a number, such as /ideas 2."))
        page = int(rest)
    show_ideas_page(ctx, campaign, page)


@commands.action("ideas_page")
def ideas_page_pressed(ctx: Context, payload: dict) -> None:
    campaign = ctx.session.get(Campaign, payload["campaign_id"])
    if campaign is None:
        raise UserError(ctx._("This campaign is closed."))
    show_ideas_page(ctx, campaign, int(payload["page"]))


def show_ideas_page(ctx: Context, campaign: Campaign, page: int) -> None:
    _ = ctx._
    listed = (Idea.campaign_id == campaign.id, Idea.status != "hidden")
    total = ctx.session.exec(select(func.count()).where(*listed)).one()
    if total == 0:
        ctx.reply(_("No ideas yet in #{hashtag}. Be the first: /idea <your idea>.", hashtag=campaign.hashtag))
        return
    pages = (total + IDEAS_PAGE_SIZE - 1) // IDEAS_PAGE_SIZE
    if page > pages:
        raise UserError(_("There are only {pages} pages of ideas.", pages=pages))
    rows = ctx.session.exec(
        select(Idea, Member.pseudonym)
        .join(Member, col(Member.id) == col(Idea.member_id), isouter=True)
        .where(*listed)
        .order_by(col(Idea.created_at).desc(), col(Idea.id).desc())
        .offset((page - 1) * IDEAS_PAGE_SIZE)
        .limit(IDEAS_PAGE_SIZE)
    ).all()
    lines = [
        _(
            "Ideas in #{hashtag} (page {page} of {pages}, newest first):",
            hashtag=campaign.hashtag,
            page=page,
            pages=pages,
        )
    ]
    for idea, pseudonym in rows:
        author = pseudonym or _("a former member")
        lines.append(f"{idea_ref(idea)} · {author}: {shorten(idea.text, IDEA_PREVIEW_WIDTH)}")
    buttons = ()
    if page < pages:
        buttons = (ctx.button(_("Older ideas"), "ideas_page", campaign_id=campaign.id, page=page + 1),)
    ctx.reply("\n".join(lines), buttons=buttons)
