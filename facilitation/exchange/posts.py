"""Offers and needs: /offer and /need (a prototype's team posts needs for it), their listings, /withdraw
of them, and offers' expiry with a reminder before it."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime, timedelta

from sqlalchemy import func
from sqlmodel import Session, col, select

from facilitation.exchange.matching import (
    close_posts_section,
    gettext_for,
    post_ref,
    send_directly,
)
from facilitation.exchange.organisations import acting_as
from facilitation.kernel.context import Context, Effects
from facilitation.kernel.hooks import WITHDRAWN_REF
from facilitation.kernel.i18n import N_
from facilitation.kernel.refs import NEED, OFFER, PROTOTYPE, parse_ref, prototype_ref
from facilitation.kernel.router import HASHTAG_OPTION, CommandSet, Option, Refusal, UsageError, UserError
from facilitation.kernel.scheduling import JobSpec
from facilitation.kernel.text import IDEA_MAX_LENGTH, clean_user_text, shorten
from facilitation.membership.campaigns import join, resolve_campaign
from facilitation.membership.preferences import show_day
from facilitation.planning.prototype_lookup import find_prototype
from storage.exchange import NEED as NEED_KIND
from storage.exchange import OFFER as OFFER_KIND
from storage.exchange import POST_EXPIRED, POST_OPEN, POST_WITHDRAWN
from storage.models import Campaign, ExchangePost, Member, Prototype, PrototypeMember

commands = CommandSet()

OFFER_DAYS = 90
"""How long an offer stays open unless its author chooses (`/offer … | 30 days`)."""
OFFER_MAX_DAYS = 365
OFFER_REMINDER_BEFORE = timedelta(days=7)
"""The author is reminded this long before their offer expires, and may keep it open longer."""
OPEN_POSTS_PER_MEMBER = 20
"""Open offers, and open needs, one member may have in a campaign at once."""
LATE_RETRY = timedelta(seconds=10)
"""How often a post made while the model loads looks again whether it is ready, to show its close ones."""

LIFETIME_PATTERN = re.compile(r"\s*\|\s*(\d{1,4})\s*(?:days?|jours?|d|j)?\s*$", re.IGNORECASE)


def post_text(ctx: Context, text: str, example: str) -> str:
    _ = ctx._
    cleaned = clean_user_text(text)
    if not cleaned:
        raise UsageError(_("Say what, after the command: {example}", example=example))
    if len(cleaned) > IDEA_MAX_LENGTH:
        raise UserError(
            _(
                "That is {length} characters long; the limit is {limit}. Nothing was saved.",
                length=len(cleaned),
                limit=IDEA_MAX_LENGTH,
            )
        )
    return cleaned


def _refuse_past_the_limit(ctx: Context, campaign: Campaign, kind: str) -> None:
    open_posts = ctx.session.exec(
        select(func.count()).where(
            ExchangePost.campaign_id == campaign.id,
            ExchangePost.member_id == ctx.member.id,
            ExchangePost.kind == kind,
            ExchangePost.status == POST_OPEN,
        )
    ).one()
    if open_posts >= OPEN_POSTS_PER_MEMBER:
        raise UserError(
            ctx._(
                "You have {count} open in #{hashtag}, the most one person may have: withdraw one with "
                "/withdraw first. Nothing was saved.",
                count=open_posts,
                hashtag=campaign.hashtag,
            )
        )


def record_post(
    ctx: Context, campaign: Campaign, kind: str, text: str, prototype: Prototype | None, days: int | None
) -> None:
    """Store an offer or a need verbatim and confirm it, with the close needs or offers to connect with;
    `… as <organisation>` posts it in the name of an organisation the sender speaks for."""
    _ = ctx._
    text, organisation = acting_as(ctx, campaign, text)
    if not text.strip():
        raise UsageError(
            _("Say what, after the command: {example}", example="/offer Folding tables as Parks Club")
        )
    _refuse_past_the_limit(ctx, campaign, kind)
    join(ctx, campaign)
    post = ExchangePost(
        campaign_id=campaign.id,
        member_id=ctx.member.id,
        kind=kind,
        prototype_id=prototype.id if prototype is not None else None,
        organisation_id=organisation.id if organisation is not None else None,
        text=text,
        expires_at=ctx.now() + timedelta(days=days) if days is not None else None,
        created_at=ctx.now(),
    )
    ctx.session.add(post)
    ctx.session.flush()
    if kind == OFFER_KIND:
        confirmation = _(
            "Offer {ref} recorded in #{hashtag}, open until {day}. Thank you!",
            ref=post_ref(post),
            hashtag=campaign.hashtag,
            day=expiry_day(ctx.member, post),
        )
        for job in offer_jobs(post):
            ctx.schedule(job)
    elif prototype is not None:
        confirmation = _(
            "Need {ref} of {prototype} recorded in #{hashtag}.",
            ref=post_ref(post),
            prototype=prototype_ref(prototype),
            hashtag=campaign.hashtag,
        )
    else:
        confirmation = _("Need {ref} recorded in #{hashtag}.", ref=post_ref(post), hashtag=campaign.hashtag)
    if organisation is not None:
        confirmation += "\n" + _("In the name of {name}.", name=organisation.name)
    section, buttons = close_posts_section(ctx, post, _)
    ctx.reply(confirmation + section, buttons=buttons)
    index = ctx.index
    if index is None or index.embedder.failed:
        post.close_looked_at = ctx.now()  # there is nothing to look with
    elif not index.ready:
        ctx.schedule(late_close_job(post.id, ctx.now()))


def late_close_job(post_id: int, now: datetime) -> JobSpec:
    return JobSpec(f"exchange-late:{post_id}", "exchange_late_close", now + LATE_RETRY, {"post_id": post_id})


@commands.job("exchange_late_close")
def answer_later(effects: Effects, payload: dict) -> None:
    """A post made while the model loaded: once it is ready, its author privately gets the close ones,
    once (a post whose close ones were looked for is left alone)."""
    post = effects.session.get(ExchangePost, payload["post_id"])
    index = effects.index
    if post is None or post.close_looked_at is not None:
        return
    if post.status != POST_OPEN or index is None or index.embedder.failed:
        post.close_looked_at = effects.now()
        return
    if not index.ready:
        effects.schedule(late_close_job(post.id, effects.now()))
        return
    author = effects.session.get_one(Member, post.member_id)
    gettext = gettext_for(author)
    section, buttons = close_posts_section(effects, post, gettext)
    if buttons:
        about = (
            gettext("About your offer {ref}:", ref=post_ref(post))
            if post.kind == OFFER_KIND
            else gettext("About your need {ref}:", ref=post_ref(post))
        )
        send_directly(effects, author, about + section, buttons)


def expiry_day(member: Member, post: ExchangePost) -> str:
    assert post.expires_at is not None
    return show_day(member.language, post.expires_at.date(), with_year=True)


def _lifetime(ctx: Context, args: str) -> tuple[str, int]:
    """The offer's words and the days it stays open (`… | 30 days`, else `OFFER_DAYS`)."""
    chosen = LIFETIME_PATTERN.search(args)
    if chosen is None:
        return args, OFFER_DAYS
    days = int(chosen.group(1))
    if not 1 <= days <= OFFER_MAX_DAYS:
        raise UserError(
            ctx._("An offer stays open from 1 to {limit} days. Nothing was saved.", limit=OFFER_MAX_DAYS)
        )
    return args[: chosen.start()], days


@commands.command(
    "offer",
    N_("Offer what you can give: skills, time, tools or space"),
    N_("/offer [#hashtag] <what you can give> [| <days> days]"),
    options=(
        HASHTAG_OPTION,
        Option("what", N_("What you can give, in your own words"), required=True),
        Option("days", N_("How many days the offer stays open (90 by default)"), separator=" | "),
    ),
)
def offer_command(ctx: Context, args: str) -> None:
    campaign, rest = resolve_campaign(ctx, args)
    words, days = _lifetime(ctx, rest)
    text = post_text(ctx, words, "/offer I can lend a ladder and two hours on Saturdays")
    record_post(ctx, campaign, OFFER_KIND, text, None, days)


@commands.command(
    "need",
    N_("Say what is needed; a prototype's team can name its prototype first"),
    N_("/need [#hashtag] [<prototype>] <what is needed>"),
    options=(HASHTAG_OPTION, Option("what", N_("What is needed, e.g. p3 a ladder"), required=True)),
)
def need_command(ctx: Context, args: str) -> None:
    words = args.split(maxsplit=1)
    if words and parse_ref(words[0], PROTOTYPE) is not None and words[0][:1].casefold() == PROTOTYPE:
        prototype = find_prototype(ctx, words[0])
        campaign = ctx.session.get_one(Campaign, prototype.campaign_id)
        in_team = ctx.session.get(PrototypeMember, (prototype.id, ctx.member.id)) is not None
        if not (in_team or ctx.is_facilitator(campaign)):
            raise Refusal(
                ctx._(
                    "Only the team of {prototype} can post its needs: join it with /team {prototype}. "
                    "Nothing was saved.",
                    prototype=prototype_ref(prototype),
                )
            )
        text = post_text(ctx, words[1] if len(words) > 1 else "", "/need p3 a ladder")
        record_post(ctx, campaign, NEED_KIND, text, prototype, None)
        return
    campaign, rest = resolve_campaign(ctx, args)
    text = post_text(ctx, rest, "/need Someone with a ladder to hang the lamps")
    record_post(ctx, campaign, NEED_KIND, text, None, None)


@commands.on(WITHDRAWN_REF)
def withdraw_post(ctx: Context, word: str) -> bool:
    """`/withdraw o3` or `/withdraw n4`: its author, or a facilitator, takes it back."""
    _ = ctx._
    parsed = parse_ref(word, OFFER + NEED)
    if parsed is None or word[:1].casefold() not in (OFFER, NEED):
        return False
    kind = OFFER_KIND if parsed[0] == OFFER else NEED_KIND
    post = ctx.session.get(ExchangePost, parsed[1])
    if post is None or post.kind != kind:
        raise UserError(_("There is no {ref}. /offers and /needs list them.", ref=word))
    campaign = ctx.session.get_one(Campaign, post.campaign_id)
    if post.member_id != ctx.member.id and not ctx.is_facilitator(campaign):
        raise Refusal(
            _("Only the author of {ref} or a facilitator can withdraw it. Nothing was changed.", ref=word)
        )
    if post.status != POST_OPEN:
        raise UserError(_("{ref} is not open any more.", ref=post_ref(post)))
    post.status = POST_WITHDRAWN
    ctx.reply(_("{ref} is withdrawn: it is no longer shown or matched.", ref=post_ref(post)))
    return True


def offer_jobs(post: ExchangePost) -> list[JobSpec]:
    """The reminder before an open offer expires (unless sent), and its expiry."""
    if post.expires_at is None or post.status != POST_OPEN:
        return []
    jobs = [JobSpec(f"offer-expire:{post.id}", "offer_expire", post.expires_at, {"post_id": post.id})]
    if post.reminded_at is None and post.expires_at - OFFER_REMINDER_BEFORE > post.created_at:
        jobs.append(
            JobSpec(
                f"offer-remind:{post.id}",
                "offer_remind",
                post.expires_at - OFFER_REMINDER_BEFORE,
                {"post_id": post.id},
            )
        )
    return jobs


@commands.reconciler
def posts_waiting_for_close_ones(session: Session, now: datetime) -> Iterable[JobSpec]:
    """Posts whose close ones were never looked for (the model was loading, then the process stopped)."""
    waiting = session.exec(
        select(ExchangePost.id).where(
            ExchangePost.status == POST_OPEN, col(ExchangePost.close_looked_at).is_(None)
        )
    )
    return [late_close_job(post_id, now) for post_id in waiting if post_id is not None]


@commands.reconciler
def open_offer_jobs(session: Session, now: datetime) -> Iterable[JobSpec]:
    offers = session.exec(
        select(ExchangePost).where(
            ExchangePost.kind == OFFER_KIND,
            ExchangePost.status == POST_OPEN,
            col(ExchangePost.expires_at).is_not(None),
        )
    )
    return [job for post in offers for job in offer_jobs(post)]


def _open_offer(effects: Effects, payload: dict) -> ExchangePost | None:
    post = effects.session.get(ExchangePost, payload["post_id"])
    return post if post is not None and post.status == POST_OPEN and post.expires_at is not None else None


@commands.job("offer_remind")
def remind_offer(effects: Effects, payload: dict) -> None:
    post = _open_offer(effects, payload)
    if post is None or post.reminded_at is not None or post.expires_at <= effects.now():
        return  # reminded already, or closing now (after a stop): the expiry says so, once
    post.reminded_at = effects.now()
    author = effects.session.get_one(Member, post.member_id)
    gettext = gettext_for(author)
    text = gettext(
        "Your offer {ref} “{quote}” closes on {day}. Keep it open {days} more days, or let it go.",
        ref=post_ref(post),
        quote=shorten(post.text, 200),
        day=expiry_day(author, post),
        days=OFFER_DAYS,
    )
    button = effects.button(gettext("Keep it open"), "offer_renew", post_id=post.id)
    send_directly(effects, author, text, (button,))


@commands.action("offer_renew")
def renew_pressed(ctx: Context, payload: dict) -> None:
    post = ctx.pressed_row(ExchangePost, payload["post_id"])
    if post.member_id != ctx.member.id:
        raise Refusal(ctx._("Only the author of {ref} can keep it open.", ref=post_ref(post)))
    if post.status != POST_OPEN:
        raise UserError(ctx._("{ref} is not open any more.", ref=post_ref(post)))
    post.expires_at = max(post.expires_at or ctx.now(), ctx.now()) + timedelta(days=OFFER_DAYS)
    post.reminded_at = None
    for job in offer_jobs(post):
        ctx.schedule(job)
    ctx.reply(
        ctx._("{ref} stays open until {day}.", ref=post_ref(post), day=expiry_day(ctx.member, post)),
        private=True,
    )


@commands.job("offer_expire")
def expire_offer(effects: Effects, payload: dict) -> None:
    post = _open_offer(effects, payload)
    if post is None or post.expires_at is None or post.expires_at > effects.now():
        return
    post.status = POST_EXPIRED
    author = effects.session.get_one(Member, post.member_id)
    gettext = gettext_for(author)
    send_directly(
        effects,
        author,
        gettext(
            "Your offer {ref} has closed after its time. Share it again with /offer whenever you like.",
            ref=post_ref(post),
        ),
    )
