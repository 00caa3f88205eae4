"""Votes on ideas: agree, disagree or pass, one per member and idea, changeable; the next idea to vote
on, dealt by Polis's routing priority; and /top. Each vote asks for the campaign's opinion groups to be
recomputed in the background (`regrouping`).

Votes live one row per member and idea (`IdeaVote`), so `vote_matrix` reads the participant x idea
matrix that opinion groups (Polis-style) are computed from.
"""

from __future__ import annotations

from collections import Counter

import numpy as np
from sqlalchemy import func
from sqlmodel import Session, col, select

from facilitation.intelligence.opinion_stats import routing_priority
from facilitation.kernel.context import Context, Effects, texts_for
from facilitation.kernel.events import Button
from facilitation.kernel.i18n import N_
from facilitation.kernel.refs import idea_ref, parse_ref, theme_ref
from facilitation.kernel.router import CommandSet, UsageError, UserError
from facilitation.kernel.text import shorten
from facilitation.membership.campaigns import OPEN, resolve_campaign
from facilitation.planning.regrouping import request_groups
from storage.db import insert_if_absent
from storage.models import (
    Campaign,
    Idea,
    IdeaSupport,
    IdeaTheme,
    IdeaVote,
    Member,
    OpinionGroupState,
    Round,
    Theme,
)

commands = CommandSet()

AGREE, DISAGREE, PASS = "agree", "disagree", "pass"
SUPPORT = "support"
"""Supports are stored by the ideas feature (`IdeaSupport`); counted here beside the votes."""
CHOICES = {AGREE: N_("Agree"), DISAGREE: N_("Disagree"), PASS: N_("Pass")}
CHOICE_WORDS = {
    "agree": AGREE,
    "yes": AGREE,
    "pour": AGREE,
    "accord": AGREE,
    "disagree": DISAGREE,
    "no": DISAGREE,
    "contre": DISAGREE,
    "pass": PASS,
    "passe": PASS,
    "neutre": PASS,
}
"""What /vote understands, in English and French."""
MATRIX_VALUES = {AGREE: 1.0, DISAGREE: -1.0, PASS: 0.0}
VOTE_BUTTONS_MAX = 8
"""Idea buttons under a digest or a listing: within every platform's limit, with room for paging."""
TOP_LIMIT = 5
LINE_WIDTH = 160


def find_idea(ctx: Context, word: str) -> Idea:
    """The idea named `i42` (or `42`), or a clear refusal."""
    parsed = parse_ref(word, "i")
    idea = ctx.session.get(Idea, parsed[1]) if parsed is not None else None
    if idea is None:
        raise UserError(ctx._("There is no idea {ref}. /ideas lists them.", ref=word or "?"))
    return idea


def vote_counts(session: Session, idea_ids: list[int]) -> dict[int, Counter[str]]:
    """Per idea: its agree, disagree and pass votes, and under `SUPPORT` its supporters."""
    counts: dict[int, Counter[str]] = {idea_id: Counter() for idea_id in idea_ids}
    if idea_ids:
        rows = session.exec(
            select(IdeaVote.idea_id, IdeaVote.choice, func.count())
            .where(col(IdeaVote.idea_id).in_(idea_ids))
            .group_by(col(IdeaVote.idea_id), col(IdeaVote.choice))
        )
        for idea_id, choice, count in rows:
            counts[idea_id][choice] = count
        for idea_id, backers in supporters(session, idea_ids).items():
            counts[idea_id][SUPPORT] = len(backers)
    return counts


def supporters(session: Session, idea_ids: list[int]) -> dict[int, set[int]]:
    """Per idea, the members behind it: who supports it, who supports an idea merged into it, and the
    authors of ideas merged into it (a merge says "now counts with"), each member once."""
    backers: dict[int, set[int]] = {idea_id: set() for idea_id in idea_ids}
    merged = session.exec(
        select(Idea.id, Idea.merged_into_id, Idea.member_id).where(col(Idea.merged_into_id).in_(idea_ids))
    ).all()
    joined = {merged_id: into for merged_id, into, _author in merged}
    for _merged_id, into, author in merged:
        if author is not None and into is not None:
            backers[into].add(author)
    rows = session.exec(
        select(IdeaSupport.idea_id, IdeaSupport.member_id).where(
            col(IdeaSupport.idea_id).in_([*idea_ids, *joined])
        )
    )
    for idea_id, member_id in rows:
        backers[joined.get(idea_id, idea_id)].add(member_id)
    return backers


def tally(effects: Effects, counts: Counter[str]) -> str:
    _, _n = texts_for(effects)
    return _(
        "support {support} · agree {agree} · disagree {disagree} · pass {passed}",
        support=counts[SUPPORT],
        agree=counts[AGREE],
        disagree=counts[DISAGREE],
        passed=counts[PASS],
    )


def votes_held(effects: Effects, counts: Counter[str]) -> str:
    """The kinds of vote an idea has received, with their counts; empty when it has none."""
    _, _n = texts_for(effects)
    parts = {
        SUPPORT: N_("support {count}"),
        AGREE: N_("agree {count}"),
        DISAGREE: N_("disagree {count}"),
        PASS: N_("pass {count}"),
    }
    return " · ".join(_(text, count=counts[kind]) for kind, text in parts.items() if counts[kind])


def idea_lines(effects: Effects, ideas: list[Idea], width: int = LINE_WIDTH) -> list[str]:
    """One line per idea: its id, its words and the votes it has (none said when it has none, so that
    a digest of many ideas is not a column of zeros); words longer than `width` are cut."""
    counts = vote_counts(effects.session, [idea.id for idea in ideas])
    lines = []
    for idea in ideas:
        held = votes_held(effects, counts[idea.id])
        lines.append(f"{idea_ref(idea)} · {shorten(idea.text, width)}" + (f" ({held})" if held else ""))
    return lines


def vote_buttons(effects: Effects, ideas: list[Idea]) -> tuple[Button, ...]:
    """A button per idea (up to `VOTE_BUTTONS_MAX`) that opens its vote card."""
    _, _n = texts_for(effects)
    return tuple(
        effects.button(_("Vote on {ref}", ref=idea_ref(idea)), "idea_card", idea_id=idea.id)
        for idea in ideas[:VOTE_BUTTONS_MAX]
    )


def show_card(ctx: Context, idea: Idea) -> None:
    """The idea, its votes and the sender's own, with a button per choice, for the sender alone."""
    _ = ctx._
    if (
        not idea.in_sight
    ):  # hidden or withdrawn since: its words stay out of sight, cards and buttons included
        raise UserError(_("Idea {ref} is no longer shown: it takes no votes.", ref=idea_ref(idea)))
    counts = vote_counts(ctx.session, [idea.id])[idea.id]
    mine = own_vote(ctx.session, idea, ctx.member)
    lines = [_("{name}:", name=idea_ref(idea)) + " " + idea.text, tally(ctx, counts)]
    if mine is not None:
        lines.append(_("Your vote: {choice}.", choice=_(CHOICES[mine.choice])))
    buttons = (ctx.button(_("Support {ref}", ref=idea_ref(idea)), "idea_support", idea_id=idea.id),) + tuple(
        ctx.button(_(label), "vote", idea_id=idea.id, choice=choice) for choice, label in CHOICES.items()
    )
    ctx.reply("\n".join(lines), buttons=buttons, private=True)


def own_vote(session: Session, idea: Idea, member: Member) -> IdeaVote | None:
    return session.exec(
        select(IdeaVote).where(IdeaVote.idea_id == idea.id, IdeaVote.member_id == member.id)
    ).first()


def check_open_for_votes(ctx: Context, idea: Idea) -> None:
    """Votes count only on ideas in sight in an open campaign, and not once the idea's round is closed."""
    _ = ctx._
    if not idea.in_sight:
        raise UserError(_("Idea {ref} is no longer shown: it takes no votes.", ref=idea_ref(idea)))
    if idea.merged_into_id is not None:
        raise UserError(
            _(
                "Idea {ref} was merged into i{target}: vote on i{target}. Nothing was changed.",
                ref=idea_ref(idea),
                target=idea.merged_into_id,
            )
        )
    campaign = ctx.session.get_one(Campaign, idea.campaign_id)
    if campaign.status != OPEN:
        raise UserError(_("This campaign is closed."))
    round_ = ctx.session.get(Round, idea.round_id) if idea.round_id is not None else None
    if round_ is not None and round_.status != OPEN:
        raise UserError(
            _(
                "Round r{round} is closed: its ideas take no more votes. Nothing was changed.",
                round=round_.id,
            )
        )


def cast_vote(ctx: Context, idea: Idea, choice: str) -> None:
    """Record or change the sender's vote; a member's vote is counted once whatever they change."""
    _ = ctx._
    check_open_for_votes(ctx, idea)
    vote = own_vote(ctx.session, idea, ctx.member)
    table = IdeaVote.__table__  # type: ignore[attr-defined]
    first = vote is None and insert_if_absent(
        ctx.session,
        table,
        unique=("idea_id", "member_id"),
        idea_id=idea.id,
        member_id=ctx.member.id,
        choice=choice,
        created_at=ctx.now(),
        updated_at=ctx.now(),
    )
    if vote is None and not first:  # the same member's vote, handled at once elsewhere, came first
        vote = own_vote(ctx.session, idea, ctx.member)
    if first:
        answer = _("Your vote on {ref}: {choice}.", ref=idea_ref(idea), choice=_(CHOICES[choice]))
    elif vote is None:
        raise UserError(_("Your vote crossed another change to it. Please vote again."))
    elif vote.choice == choice:
        answer = _("Your vote on {ref} was already: {choice}.", ref=idea_ref(idea), choice=_(CHOICES[choice]))
    else:
        answer = _(
            "Your vote on {ref} is now: {choice} (it was: {previous}).",
            ref=idea_ref(idea),
            choice=_(CHOICES[choice]),
            previous=_(CHOICES[vote.choice]),
        )
        vote.choice = choice
        vote.updated_at = ctx.now()
    ctx.session.flush()
    ctx.schedule(request_groups(ctx.session, idea.campaign_id, ctx.now()))
    counts = vote_counts(ctx.session, [idea.id])[idea.id]
    another = ctx.button(_("Vote on another"), "vote_next", campaign_id=idea.campaign_id)
    ctx.reply(answer + "\n" + tally(ctx, counts), buttons=(another,), private=True)


def next_idea(session: Session, campaign: Campaign, member: Member) -> Idea | None:
    """The idea whose vote helps the map most that the member may still vote on: in sight, not merged,
    not their own, not yet voted on by them, and not in a closed round. How far each idea pulls on the
    map comes from the groups last stored."""
    voted = select(IdeaVote.idea_id).where(IdeaVote.member_id == member.id)
    closed_rounds = select(Round.id).where(Round.campaign_id == campaign.id, Round.status != OPEN)
    candidates = list(
        session.exec(
            select(Idea).where(
                Idea.campaign_id == campaign.id,
                Idea.shown(),
                col(Idea.merged_into_id).is_(None),
                col(Idea.member_id).is_distinct_from(member.id),
                col(Idea.id).not_in(voted),
                col(Idea.round_id).is_(None) | col(Idea.round_id).not_in(closed_rounds),
            )
        )
    )
    if not candidates:
        return None
    counts = vote_counts(session, [idea.id for idea in candidates])
    groups = session.get(OpinionGroupState, campaign.id)
    extremity = groups.extremity if groups is not None else {}
    priority = routing_priority(
        np.array([counts[idea.id][AGREE] for idea in candidates]),
        np.array([counts[idea.id][PASS] for idea in candidates]),
        np.array([sum(counts[idea.id][c] for c in CHOICES) for idea in candidates]),
        np.array([extremity.get(str(idea.id), 0.0) for idea in candidates]),
    )
    best = max(range(len(candidates)), key=lambda i: (priority[i], -(candidates[i].id or 0)))
    return candidates[best]


def deal_next(ctx: Context, campaign: Campaign) -> None:
    """The vote card of the next idea for the sender, or that they have voted on every idea."""
    if campaign.status != OPEN:
        raise UserError(ctx._("This campaign is closed."))
    idea = next_idea(ctx.session, campaign, ctx.member)
    if idea is None:
        ctx.reply(
            ctx._(
                "You have voted on every idea of #{hashtag} you can vote on. New ideas will come.",
                hashtag=campaign.hashtag,
            ),
            private=True,
        )
        return
    show_card(ctx, idea)


@commands.command(
    "vote",
    N_("Vote on an idea: agree, disagree or pass (you can change your vote)"),
    N_("/vote [<idea id> [agree|disagree|pass]]"),
)
def vote_command(ctx: Context, args: str) -> None:
    """`/vote` (or `/vote #hashtag`) deals the next idea; `/vote i3` shows its card; `/vote i3 agree` votes."""
    _ = ctx._
    words = args.split()
    if not words or (len(words) == 1 and words[0].startswith("#")):
        deal_next(ctx, resolve_campaign(ctx, args)[0])
        return
    idea = find_idea(ctx, words[0])
    if len(words) == 1:
        show_card(ctx, idea)
        return
    choice = CHOICE_WORDS.get(words[1].casefold())
    if choice is None or len(words) > 2:
        raise UsageError(_("Vote agree, disagree or pass. Nothing was changed."))
    cast_vote(ctx, idea, choice)


@commands.action("idea_card")
def card_pressed(ctx: Context, payload: dict) -> None:
    idea = ctx.pressed_row(Idea, payload["idea_id"])
    show_card(ctx, idea)


@commands.action("vote")
def vote_pressed(ctx: Context, payload: dict) -> None:
    idea = ctx.session.get(Idea, payload["idea_id"])
    if idea is None or payload.get("choice") not in CHOICES:
        raise UserError(ctx._("This button has expired. Please use the command again."))
    cast_vote(ctx, idea, payload["choice"])


@commands.action("vote_next")
def vote_next_pressed(ctx: Context, payload: dict) -> None:
    deal_next(ctx, ctx.pressed_row(Campaign, payload["campaign_id"]))


@commands.command("top", N_("Show the most supported ideas and themes"), N_("/top [#hashtag]"))
def top_command(ctx: Context, args: str) -> None:
    _ = ctx._
    campaign, _rest = resolve_campaign(ctx, args)
    supports = func.count(col(IdeaSupport.id))
    candidates = list(
        ctx.session.exec(
            select(Idea).where(
                Idea.campaign_id == campaign.id, col(Idea.merged_into_id).is_(None), Idea.shown()
            )
        )
    )
    counts = vote_counts(ctx.session, [idea.id for idea in candidates])

    def backing(idea: Idea) -> int:
        return counts[idea.id][SUPPORT] + counts[idea.id][AGREE]

    ideas = sorted(
        (idea for idea in candidates if backing(idea) > 0), key=lambda idea: (-backing(idea), idea.id)
    )
    ideas = ideas[:TOP_LIMIT]
    if not ideas:
        ctx.reply(_("No idea in #{hashtag} has support yet. /ideas lists them.", hashtag=campaign.hashtag))
        return
    lines = [_("Most supported ideas in #{hashtag}:", hashtag=campaign.hashtag), *idea_lines(ctx, ideas)]
    themes = ctx.session.exec(
        select(Theme, supports)
        .join(IdeaTheme, col(IdeaTheme.theme_id) == col(Theme.id))
        .join(IdeaSupport, col(IdeaSupport.idea_id) == col(IdeaTheme.idea_id))
        .where(Theme.campaign_id == campaign.id, Theme.status == "active")
        .group_by(col(Theme.id))
        .order_by(supports.desc(), col(Theme.id))
        .limit(TOP_LIMIT)
    ).all()
    if themes:
        lines += ["", _("Most supported themes:")]
        lines += [
            f"{theme_ref(theme.id)} · {theme.label} — "
            + ctx.ngettext("{count} support", "{count} supports", count)
            for theme, count in themes
        ]
    ctx.reply("\n".join(lines), buttons=vote_buttons(ctx, ideas))


def vote_matrix(
    session: Session, campaign_id: int, out_of_sight: bool = False
) -> tuple[list[int], list[int], np.ndarray]:
    """Members (rows) x ideas (columns) of a campaign: 1 agree, -1 disagree, 0 pass, NaN no vote; ideas
    hidden or withdrawn are left out unless `out_of_sight` (the opinion map weighs them as Polis does)."""
    query = (
        select(IdeaVote.member_id, IdeaVote.idea_id, IdeaVote.choice)
        .join(Idea, col(Idea.id) == col(IdeaVote.idea_id))
        .where(Idea.campaign_id == campaign_id)
    )
    rows = session.exec(query if out_of_sight else query.where(Idea.shown())).all()
    members = sorted({member_id for member_id, _idea, _choice in rows})
    ideas = sorted({idea_id for _member, idea_id, _choice in rows})
    matrix = np.full((len(members), len(ideas)), np.nan)
    row_of = {member_id: index for index, member_id in enumerate(members)}
    column_of = {idea_id: index for index, idea_id in enumerate(ideas)}
    for member_id, idea_id, choice in rows:
        matrix[row_of[member_id], column_of[idea_id]] = MATRIX_VALUES[choice]
    return members, ideas, matrix
