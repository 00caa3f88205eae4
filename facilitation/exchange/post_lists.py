"""/offers and /needs: a campaign's open offers or needs, grouped by theme with the clustering ideas are
grouped by (`facilitation.intelligence.clustering`), newest first within each group."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
from sqlmodel import col, select

from facilitation.exchange.matching import author_name, is_open, post_ref, post_vector
from facilitation.exchange.posts import expiry_day
from facilitation.intelligence.clustering import find_themes
from facilitation.kernel.context import Context
from facilitation.kernel.i18n import N_
from facilitation.kernel.refs import prototype_ref
from facilitation.kernel.router import HASHTAG_OPTION, CommandSet
from facilitation.kernel.text import shorten
from facilitation.membership.campaigns import resolve_campaign
from storage.exchange import NEED, OFFER
from storage.models import Campaign, ExchangePost, Prototype

commands = CommandSet()

LISTED = 30
"""Offers or needs shown by /offers and /needs: the newest ones, grouped."""
GROUPED_FROM = 4
"""Fewer open posts than this are listed as one group: there is nothing to sort them into."""


def theme_groups(
    ctx: Context, posts: Sequence[ExchangePost]
) -> tuple[list[tuple[str, list[int]]], list[int]]:
    """The posts' themes, largest first, each with its label and the rows of its posts, and the rows in no
    theme; no theme at all when the posts are few or the model is not ready."""
    rows = list(range(len(posts)))
    if len(posts) < GROUPED_FROM:
        return [], rows
    vectors = [post_vector(ctx, post) for post in posts]
    if any(vector is None for vector in vectors) or ctx.index is None:
        return [], rows
    found = find_themes(np.stack(vectors), [post.text for post in posts], encode=ctx.index.embedder.encode)
    themes = [(theme.label.text, sorted(theme.members)) for theme in found.themes]
    return themes, sorted(found.other)


def _line(ctx: Context, post: ExchangePost) -> str:
    _ = ctx._
    who = author_name(ctx, post, _)
    if post.prototype_id is not None:
        who = f"{prototype_ref(ctx.session.get_one(Prototype, post.prototype_id))} · {who}"
    line = f"{post_ref(post)} · {who}: {shorten(post.text, 200)}"
    if post.expires_at is not None:
        line += " " + _("(until {day})", day=expiry_day(ctx.member, post))
    return line


def _titles(kind: str) -> tuple[str, str, str]:
    """The empty answer, the title of a grouped listing and of a plain one, for offers or needs."""
    if kind == OFFER:
        return (
            N_("No open offer in #{hashtag} yet: /offer shares one."),
            N_("Open offers in #{hashtag}, by theme, newest first in each:"),
            N_("Open offers in #{hashtag}, newest first:"),
        )
    return (
        N_("No open need in #{hashtag} yet: /need shares one."),
        N_("Open needs in #{hashtag}, by theme, newest first in each:"),
        N_("Open needs in #{hashtag}, newest first:"),
    )


def listing(ctx: Context, campaign: Campaign, kind: str) -> str:
    _, ngettext = ctx._, ctx.ngettext
    posts = [
        post
        for post in ctx.session.exec(
            select(ExchangePost)
            .where(ExchangePost.campaign_id == campaign.id, ExchangePost.kind == kind)
            .order_by(col(ExchangePost.id).desc())
        )
        if is_open(ctx, post)
    ][:LISTED]
    empty, grouped, plain = _titles(kind)
    if not posts:
        return _(empty, hashtag=campaign.hashtag)
    themes, other = theme_groups(ctx, posts)
    if not themes:
        return "\n".join([_(plain, hashtag=campaign.hashtag), *(_line(ctx, post) for post in posts)])
    lines = [_(grouped, hashtag=campaign.hashtag)]
    counted: Callable[[int], str] = (
        (lambda n: ngettext("{count} offer", "{count} offers", n))
        if kind == OFFER
        else (lambda n: ngettext("{count} need", "{count} needs", n))
    )
    for label, rows in themes:
        lines += ["", f"{label} — {counted(len(rows))}", *(_line(ctx, posts[row]) for row in rows)]
    if other:
        lines += ["", _("Other"), *(_line(ctx, posts[row]) for row in other)]
    lines += ["", _("Group names are phrases picked by the program from what was posted.")]
    return "\n".join(lines)


@commands.command(
    "offers",
    N_("The open offers of a campaign, by theme"),
    N_("/offers [#hashtag]"),
    options=(HASHTAG_OPTION,),
)
def offers_command(ctx: Context, args: str) -> None:
    campaign, _rest = resolve_campaign(ctx, args)
    ctx.reply(listing(ctx, campaign, OFFER))


@commands.command(
    "needs", N_("The open needs of a campaign, by theme"), N_("/needs [#hashtag]"), options=(HASHTAG_OPTION,)
)
def needs_command(ctx: Context, args: str) -> None:
    campaign, _rest = resolve_campaign(ctx, args)
    ctx.reply(listing(ctx, campaign, NEED))
