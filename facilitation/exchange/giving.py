"""What was given through a match: `/given m3 <hours or words>`, confirmed by the other side, and the
campaign's collective giving in /report (hours, things given, needs met), never who gave most."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import func
from sqlmodel import Session, col, select

from facilitation.civic.goals import format_number, parse_number
from facilitation.exchange.matching import gettext_for, match_ref, send_directly
from facilitation.kernel.context import Context
from facilitation.kernel.hooks import REPORT_PARTS
from facilitation.kernel.i18n import N_, quote
from facilitation.kernel.refs import MATCH, parse_ref
from facilitation.kernel.router import CommandSet, Option, Refusal, UsageError, UserError
from facilitation.kernel.text import clean_user_text, shorten
from facilitation.membership.campaigns import campaign_candidates
from storage.exchange import MATCH_CONNECTED
from storage.models import Campaign, ExchangeMatch, ExchangePost, Gift, Member

commands = CommandSet()

MAX_HOURS_GIVEN = 1000
"""Hours recorded in one /given: more is a typing mistake (a year of full-time work is about 1,600)."""
GIFT_WORDS_MAX_LENGTH = 500

HOURS_PATTERN = re.compile(r"^([+-]?\d+(?:[.,]\d+)?)\s*(?:h|hours?|heures?)?$", re.IGNORECASE)


def _match_of(ctx: Context, word: str) -> ExchangeMatch:
    parsed = parse_ref(word, MATCH)
    match = ctx.session.get(ExchangeMatch, parsed[1]) if parsed is not None else None
    if match is None:
        raise UserError(ctx._("There is no match {ref}. Match ids look like m3.", ref=word or "?"))
    return match


def _sides(ctx: Context, match: ExchangeMatch) -> tuple[ExchangePost, ExchangePost]:
    return ctx.session.get_one(ExchangePost, match.offer_id), ctx.session.get_one(ExchangePost, match.need_id)


@commands.command(
    "given",
    N_("Record what was given through a match, in hours or in words; the other side confirms"),
    N_("/given <match> <hours or what was given>"),
    options=(
        Option("match", N_("The match, e.g. m3"), required=True),
        Option("what", N_("Hours (such as 2h) or what was given"), required=True),
    ),
)
def given_command(ctx: Context, args: str) -> None:
    _ = ctx._
    words = args.split(maxsplit=1)
    if len(words) < 2:
        raise UsageError(_("Name the match and what was given, such as /given m3 2h."))
    match = _match_of(ctx, words[0])
    offer, need = _sides(ctx, match)
    if ctx.member.id not in (offer.member_id, need.member_id):
        raise Refusal(
            _("Only the two sides of {ref} can record it. Nothing was changed.", ref=match_ref(match))
        )
    if match.status != MATCH_CONNECTED:
        raise UserError(_("{ref} is not connected yet: both sides must accept first.", ref=match_ref(match)))
    hours, text = _hours_or_words(ctx, words[1])
    gift = Gift(
        match_id=match.id, hours=hours, words=text, recorded_by_member_id=ctx.member.id, created_at=ctx.now()
    )
    ctx.session.add(gift)
    ctx.session.flush()
    other_id = need.member_id if ctx.member.id == offer.member_id else offer.member_id
    other = ctx.session.get_one(Member, other_id)
    gettext = gettext_for(other)
    what = _what(gettext, gift)
    button = ctx.button(gettext("Confirm"), "gift_confirm", gift_id=gift.id)
    send_directly(
        ctx,
        other,
        gettext(
            "{name} recorded, for {ref}: {what}. Confirm it so it counts in the campaign's giving.",
            name=ctx.member.pseudonym,
            ref=match_ref(match),
            what=what,
        ),
        (button,),
    )
    ctx.reply(
        _(
            "Recorded for {ref}: {what}. It counts once the other side confirms.",
            ref=match_ref(match),
            what=_what(_, gift),
        ),
        private=True,
    )


def _hours_or_words(ctx: Context, text: str) -> tuple[float | None, str]:
    _ = ctx._
    cleaned = clean_user_text(text)
    number = HOURS_PATTERN.match(cleaned)
    value = parse_number(number.group(1)) if number is not None else None
    if value is None:
        if len(cleaned) > GIFT_WORDS_MAX_LENGTH:
            raise UserError(
                _("Say it in {limit} characters at most. Nothing was saved.", limit=GIFT_WORDS_MAX_LENGTH)
            )
        return None, cleaned
    if not 0 < value <= MAX_HOURS_GIVEN:
        raise UserError(
            _("Hours given go from more than 0 to {limit}. Nothing was saved.", limit=MAX_HOURS_GIVEN)
        )
    return value, ""


def _what(gettext: Callable[..., str], gift: Gift) -> str:
    if gift.hours is not None:
        return gettext("{hours} hours", hours=format_number(gift.hours))
    return quote(gettext, shorten(gift.words, 200))


@commands.action("gift_confirm")
def gift_confirmed(ctx: Context, payload: dict) -> None:
    """The other side of the match confirms the gift: it counts from now on."""
    _ = ctx._
    gift = ctx.pressed_row(Gift, payload["gift_id"])
    match = ctx.session.get_one(ExchangeMatch, gift.match_id)
    offer, need = _sides(ctx, match)
    if ctx.member.id == gift.recorded_by_member_id or ctx.member.id not in (offer.member_id, need.member_id):
        raise Refusal(
            _(
                "Only the other side of {ref} can confirm this gift. Nothing was changed.",
                ref=match_ref(match),
            )
        )
    if gift.confirmed_at is not None:
        ctx.reply(_("Already confirmed: thank you."), private=True)
        return
    gift.confirmed_at = ctx.now()
    ctx.reply(
        _("Confirmed: {what} counts in the campaign's giving. Thank you both!", what=_what(_, gift)),
        private=True,
    )


@dataclass(frozen=True)
class Giving:
    """A campaign's collective giving: confirmed gifts only, summed, with no giver named."""

    hours: float
    things: int
    """Gifts given in words rather than hours."""
    needs_met: int


def giving_totals(session: Session, campaign_ids: list[int]) -> Giving | None:
    """What was given in these campaigns; None when nothing was ever offered or needed there."""
    posts = session.exec(select(func.count()).where(col(ExchangePost.campaign_id).in_(campaign_ids))).one()
    if not posts:
        return None
    confirmed = (
        select(Gift, ExchangeMatch.need_id)
        .join(ExchangeMatch, col(ExchangeMatch.id) == col(Gift.match_id))
        .join(ExchangePost, col(ExchangePost.id) == col(ExchangeMatch.need_id))
        .where(col(ExchangePost.campaign_id).in_(campaign_ids), col(Gift.confirmed_at).is_not(None))
    )
    gifts = session.exec(confirmed).all()
    return Giving(
        hours=sum(gift.hours or 0 for gift, _need in gifts),
        things=sum(1 for gift, _need in gifts if gift.hours is None),
        needs_met=len({need_id for _gift, need_id in gifts}),
    )


@commands.on(REPORT_PARTS)
def giving_lines(ctx: Context, campaign: Campaign | None) -> list[str]:
    """The campaign's collective giving, confirmed gifts only; nothing when nothing was offered or needed."""
    campaign_ids = [campaign.id] if campaign is not None else [c.id for c in campaign_candidates(ctx)]
    given = giving_totals(ctx.session, campaign_ids)
    if given is None:
        return []
    ngettext = ctx.ngettext
    return [
        ctx._(
            "Collective giving: {hours}, {things}; {needs}.",
            hours=ngettext(
                "{hours} hour given",
                "{hours} hours given",
                round(given.hours),
                hours=format_number(given.hours),
            ),
            things=ngettext("{count} thing given", "{count} things given", given.things),
            needs=ngettext("{count} need met", "{count} needs met", given.needs_met),
        )
    ]
