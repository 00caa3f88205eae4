"""Close offers and needs, found by the idea index's vectors and model, and connected by double opt-in:
the author who presses Connect asks the other side privately, and only once both accept does each receive
the other's way to reach them."""

from __future__ import annotations

import logging
from collections.abc import Callable

import numpy as np
from sqlmodel import col, select

from facilitation.intelligence.embeddings import vector_bytes, vector_from_bytes
from facilitation.intelligence.similarity import SIMILAR_SHOWN, CampaignVectors
from facilitation.kernel.context import Context, Effects
from facilitation.kernel.events import Button
from facilitation.kernel.i18n import quote, translator
from facilitation.kernel.refs import MATCH, NEED, OFFER, ref
from facilitation.kernel.router import CommandSet, Refusal, UserError
from facilitation.kernel.text import shorten
from facilitation.membership.campaigns import campaign_candidates
from facilitation.membership.members import direct_address
from storage.exchange import MATCH_CONNECTED, MATCH_DECLINED
from storage.exchange import NEED as NEED_KIND
from storage.exchange import OFFER as OFFER_KIND
from storage.models import Campaign, ExchangeMatch, ExchangePost, Identity, Member, Organisation

log = logging.getLogger(__name__)

commands = CommandSet()

MATCH_THRESHOLD = 0.30
"""Cosine similarity from which an offer and a need are shown as close (all-MiniLM-L6-v2).

Lower than ideas' 0.70: an offer and the need it answers are written from two sides ("I can lend a ladder
and two hours on Saturdays", "We need someone with a ladder to hang the lamps": 0.43). Chosen with
`python benchmarks/calibrate_exchange.py`: on twelve offers each answering one of twelve needs, the true
pairs score 0.34 to 0.70; at 0.30 all twelve are shown and 6 of the 132 unrelated pairs (4.5%) too, at
0.40 two true pairs are missed. A Connect button only asks: a false match costs a polite "no"."""

PREVIEW_WIDTH = 200


def report_campaign_ids(effects: Effects, campaign: Campaign | None) -> list[int]:
    """The campaign a report is about; with none (a chat /report without a hashtag), the reader's."""
    if campaign is not None:
        return [campaign.id] if campaign.id is not None else []
    return (
        [found.id for found in campaign_candidates(effects) if found.id is not None]
        if isinstance(effects, Context)
        else []
    )


def post_ref(post: ExchangePost) -> str:
    return ref(OFFER if post.kind == OFFER_KIND else NEED, post.id)


def match_ref(match: ExchangeMatch) -> str:
    return ref(MATCH, match.id)


def is_open(ctx: Effects, post: ExchangePost) -> bool:
    return post.status == "open" and (post.expires_at is None or post.expires_at > ctx.now())


def post_vector(effects: Effects, post: ExchangePost) -> np.ndarray | None:
    """The post's vector for the running model, encoded and stored now if it has none for it; None while
    the model loads."""
    index = effects.index
    if index is None or not index.ready:
        return None
    if post.vector is not None and post.vector_model == index.embedder.name:
        return vector_from_bytes(post.vector)
    try:
        vector = index.embedder.encode([post.text])[0]
    except Exception:
        log.exception("could not encode an offer or a need; it is stored without close matches")
        return None
    post.vector, post.vector_model = vector_bytes(vector), index.embedder.name
    return vector


def close_posts(ctx: Effects, post: ExchangePost) -> list[ExchangePost]:
    """Others' open posts of the other kind in the post's campaign, closest first (needs for an offer);
    the post is marked as having been looked for, unless the model is not ready."""
    vector = post_vector(ctx, post)
    if vector is None:
        return []
    post.close_looked_at = ctx.now()
    other_kind = NEED_KIND if post.kind == OFFER_KIND else OFFER_KIND
    candidates = [
        candidate
        for candidate in ctx.session.exec(
            select(ExchangePost)
            .where(ExchangePost.campaign_id == post.campaign_id, ExchangePost.kind == other_kind)
            .order_by(col(ExchangePost.id))
        )
        if is_open(ctx, candidate)
    ]
    vectors = [(candidate, post_vector(ctx, candidate)) for candidate in candidates]
    vectors = [(candidate, v) for candidate, v in vectors if v is not None]
    if not vectors:
        return []
    index = CampaignVectors(
        np.array([candidate.id for candidate, _v in vectors], dtype=np.int64),
        np.array([candidate.member_id for candidate, _v in vectors], dtype=np.int64),
        np.stack([v for _candidate, v in vectors]),
    )
    _own, matches = index.search(vector, post.member_id, SIMILAR_SHOWN, MATCH_THRESHOLD)
    by_id = {candidate.id: candidate for candidate, _v in vectors}
    return [by_id[match.idea_id] for match in matches]


def author_name(effects: Effects, post: ExchangePost, _: Callable[..., str]) -> str:
    """Who a post is shown by: its organisation's name, else its author's pseudonym."""
    if post.organisation_id is not None:
        organisation = effects.session.get(Organisation, post.organisation_id)
        if organisation is not None:
            return organisation.name
    author = effects.session.get(Member, post.member_id)
    return author.pseudonym if author is not None else _("a former member")


def close_posts_section(
    ctx: Effects, post: ExchangePost, _: Callable[..., str]
) -> tuple[str, tuple[Button, ...]]:
    """The lines listing close needs (or offers) with a Connect button each, in the reader's language
    (`_`), or nothing."""
    close = close_posts(ctx, post)
    if not close:
        return "", ()
    heading = (
        _("Close needs in this campaign:") if post.kind == OFFER_KIND else _("Close offers in this campaign:")
    )
    lines = ["", heading]
    buttons = []
    for other in close:
        lines.append(
            f"{post_ref(other)} · {author_name(ctx, other, _)}: {shorten(other.text, PREVIEW_WIDTH)}"
        )
        offer, need = (post, other) if post.kind == OFFER_KIND else (other, post)
        buttons.append(
            ctx.button(
                _("Connect with {ref}", ref=post_ref(other)),
                "exchange_connect",
                offer_id=offer.id,
                need_id=need.id,
            )
        )
    lines.append(_("Connect asks its author privately; you each get the other's contact only if both agree."))
    return "\n".join(lines), tuple(buttons)


@commands.action("exchange_connect")
def connect_pressed(ctx: Context, payload: dict) -> None:
    """One side asks to connect: the other side is asked privately, nothing is shared yet."""
    _ = ctx._
    offer = ctx.pressed_row(ExchangePost, payload["offer_id"])
    need = ctx.pressed_row(ExchangePost, payload["need_id"])
    if offer.member_id == need.member_id:
        raise UserError(_("{ref} is your own: there is no one to connect with.", ref=post_ref(offer)))
    if ctx.member.id not in (offer.member_id, need.member_id):
        raise Refusal(
            _(
                "Only the authors of {offer} and {need} can connect them. Nothing was changed.",
                offer=post_ref(offer),
                need=post_ref(need),
            )
        )
    mine, theirs = (offer, need) if offer.member_id == ctx.member.id else (need, offer)
    if not is_open(ctx, theirs):
        raise UserError(_("{ref} is no longer open: nothing was asked.", ref=post_ref(theirs)))
    match = ctx.session.exec(
        select(ExchangeMatch).where(ExchangeMatch.offer_id == offer.id, ExchangeMatch.need_id == need.id)
    ).first()
    if match is None:
        match = ExchangeMatch(offer_id=offer.id, need_id=need.id, created_at=ctx.now())
        ctx.session.add(match)
    elif match.status == MATCH_CONNECTED:
        ctx.reply(_("You are already connected through {ref}.", ref=match_ref(match)), private=True)
        return
    match.status = "asked"
    _accept(match, mine)
    ctx.session.flush()
    if _accepted(match, theirs):
        _connect(ctx, match)
        return
    _ask(ctx, match, mine, theirs)
    ctx.reply(
        _(
            "I asked the author of {ref} privately. If they agree, you will each receive the other's contact.",
            ref=post_ref(theirs),
        ),
        private=True,
    )


def _accept(match: ExchangeMatch, post: ExchangePost) -> None:
    if post.kind == OFFER_KIND:
        match.offer_accepted = True
    else:
        match.need_accepted = True


def _accepted(match: ExchangeMatch, post: ExchangePost) -> bool:
    return match.offer_accepted if post.kind == OFFER_KIND else match.need_accepted


def _ask(ctx: Context, match: ExchangeMatch, mine: ExchangePost, theirs: ExchangePost) -> None:
    """The private question to the other side, in their language, with Accept and Decline."""
    other = ctx.session.get_one(Member, theirs.member_id)
    gettext = gettext_for(other)
    text = gettext(
        "{name} would like to connect their {mine} {quote} with your {theirs} {their_quote}. "
        "If you accept, you will each receive the other's contact.",
        name=ctx.member.pseudonym,
        mine=post_ref(mine),
        quote=quote(gettext, shorten(mine.text, PREVIEW_WIDTH)),
        theirs=post_ref(theirs),
        their_quote=quote(gettext, shorten(theirs.text, PREVIEW_WIDTH)),
    )
    buttons = (
        ctx.button(gettext("Accept"), "exchange_accept", match_id=match.id),
        ctx.button(gettext("Decline"), "exchange_decline", match_id=match.id),
    )
    send_directly(ctx, other, text, buttons)


def gettext_for(member: Member) -> Callable[..., str]:
    """The member's own gettext, for a message written to them rather than to the sender."""
    return translator(member.language)[0]


def send_directly(effects: Effects, member: Member, text: str, buttons: tuple[Button, ...] = ()) -> None:
    """A private message the member asked for by connecting, sent even if they muted news."""
    identity = effects.session.exec(
        select(Identity).where(Identity.member_id == member.id).order_by(col(Identity.id))
    ).first()
    if identity is not None:
        effects.send(direct_address(identity), text, buttons, private=True, language=member.language)


def _sides(ctx: Context, match: ExchangeMatch) -> tuple[ExchangePost, ExchangePost]:
    return ctx.session.get_one(ExchangePost, match.offer_id), ctx.session.get_one(ExchangePost, match.need_id)


def _my_side(ctx: Context, match: ExchangeMatch) -> ExchangePost:
    offer, need = _sides(ctx, match)
    for post in (offer, need):
        if post.member_id == ctx.member.id:
            return post
    raise Refusal(
        ctx._(
            "Only the authors of {offer} and {need} can answer. Nothing was changed.",
            offer=post_ref(offer),
            need=post_ref(need),
        )
    )


@commands.action("exchange_accept")
def accept_pressed(ctx: Context, payload: dict) -> None:
    match = ctx.pressed_row(ExchangeMatch, payload["match_id"])
    if match.status == MATCH_CONNECTED:
        ctx.reply(ctx._("You are already connected through {ref}.", ref=match_ref(match)), private=True)
        return
    _accept(match, _my_side(ctx, match))
    if match.offer_accepted and match.need_accepted:
        _connect(ctx, match)


@commands.action("exchange_decline")
def decline_pressed(ctx: Context, payload: dict) -> None:
    match = ctx.pressed_row(ExchangeMatch, payload["match_id"])
    mine = _my_side(ctx, match)
    if match.status == MATCH_CONNECTED:
        ctx.reply(ctx._("You are already connected through {ref}.", ref=match_ref(match)), private=True)
        return
    match.status = MATCH_DECLINED
    match.offer_accepted = match.need_accepted = False
    offer, need = _sides(ctx, match)
    theirs = need if mine is offer else offer
    other = ctx.session.get_one(Member, theirs.member_id)
    gettext = gettext_for(other)
    send_directly(
        ctx,
        other,
        gettext("The author of {ref} cannot take up your connection this time.", ref=post_ref(mine)),
    )
    ctx.reply(ctx._("Declined: nothing was shared."), private=True)


def _connect(ctx: Context, match: ExchangeMatch) -> None:
    """Both agreed: each side privately receives the other's contact and the match's id for /given."""
    match.status = MATCH_CONNECTED
    match.connected_at = ctx.now()
    offer, need = _sides(ctx, match)
    for post, other_post in ((offer, need), (need, offer)):
        member = ctx.session.get_one(Member, post.member_id)
        other = ctx.session.get_one(Member, other_post.member_id)
        gettext = gettext_for(member)
        text = gettext(
            "Connected ({match}): {name}, author of {ref}, agreed. Reach them at: {contact}\n"
            "Once something is given, record it with /given {match} <hours or what was given>.",
            match=match_ref(match),
            name=other.pseudonym,
            ref=post_ref(other_post),
            contact=contact_of(ctx, other, gettext),
        )
        send_directly(ctx, member, text)


def contact_of(ctx: Context, member: Member, gettext: Callable[..., str]) -> str:
    """How to reach a member on each of their accounts: a handle, a mention or a link the platform opens."""
    ways = []
    for identity in ctx.session.exec(
        select(Identity).where(Identity.member_id == member.id).order_by(col(Identity.id))
    ):
        if identity.username:
            ways.append(
                gettext("@{handle} on {platform}", handle=identity.username, platform=identity.platform)
            )
        elif identity.platform == "discord":
            ways.append(f"<@{identity.platform_user_id}>")
        elif identity.platform == "telegram":
            ways.append(f"tg://user?id={identity.platform_user_id}")
        else:
            ways.append(
                gettext(
                    "{name} on {platform}",
                    name=identity.display_name or identity.platform_user_id,
                    platform=identity.platform,
                )
            )
    return ", ".join(ways) or gettext("no account left")
