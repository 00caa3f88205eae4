"""Brainstorm rounds: a time-boxed question to a campaign, a reminder near the end, and a digest at the close.

A round's close and reminder are scheduled jobs (`round-close:<id>`, `round-remind:<id>`); the reconciler
re-derives them from the open rounds, so a restart neither loses nor doubles them, and a close that fell
due while Townhall was stopped runs when it starts. Both handlers act only on a round still open.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime, timedelta

from sqlalchemy import func
from sqlmodel import Session, col, select

from facilitation.intelligence.themes import ThemesUnavailable, compute_themes
from facilitation.kernel.context import Context, Effects, reader_language, texts_for
from facilitation.kernel.events import Address
from facilitation.kernel.hooks import ROUND_CLOSED
from facilitation.kernel.i18n import N_, format_moment
from facilitation.kernel.refs import round_ref, theme_ref
from facilitation.kernel.router import CommandSet, Role, UsageError, UserError
from facilitation.kernel.scheduling import JobSpec
from facilitation.kernel.text import clean_user_text
from facilitation.membership.campaigns import OPEN, announce, open_round, resolve_campaign
from facilitation.planning.opinions import theme_leanings
from facilitation.planning.votes import LINE_WIDTH, idea_lines, vote_buttons
from storage.models import Campaign, Idea, Member, Round

commands = CommandSet()

ROUND_MIN_DURATION = timedelta(minutes=5)
"""A shorter round leaves no time to think, let alone to write."""
ROUND_MAX_DURATION = timedelta(days=90)
"""A longer round is not time-boxed any more: a campaign already gathers ideas without a round."""
MODEL_WAIT_SECONDS = 30.0
"""A close right after start waits this long at most for the language model, to post themes, not a bare list."""
REMINDER_SHARE = 0.8
"""The reminder goes out when this share of the round's window has passed."""
PROMPT_MAX_LENGTH = 500
DIGEST_CHARS = 3400
"""A round's digest is made to fit this many characters, one message on every platform that takes
4,000 (Telegram, the console), by quoting each idea shorter as the round has more of them..."""
DIGEST_QUOTE_MIN = 40
"""...but never shorter than this: a larger round's digest goes in several messages, cut between themes."""
DIGEST_LINE_EXTRA = 40
"""Characters of an idea's line besides its words: its id, its votes, the theme lines shared out."""
CLOSED = "closed"

_DURATION_PATTERN = re.compile(r"^(\d{1,7})(m|min|h|d|w|y)$")
_UNITS = {
    "m": timedelta(minutes=1),
    "min": timedelta(minutes=1),
    "h": timedelta(hours=1),
    "d": timedelta(days=1),
    "w": timedelta(weeks=1),
    "y": timedelta(days=365),
}


def parse_duration(ctx: Context, word: str) -> timedelta:
    """`45m`, `2h`, `3d` as a duration within the named limits, or a polite refusal."""
    _ = ctx._
    match = _DURATION_PATTERN.match(word.casefold())
    if match is None:
        raise UsageError(_("{word} is not a duration. Write it like 45m, 2h or 3d.", word=word))
    count, unit = int(match.group(1)), _UNITS[match.group(2)]
    duration = min(count, ROUND_MAX_DURATION // unit + 1) * unit  # a huge count would overflow
    if duration < ROUND_MIN_DURATION:
        raise UserError(
            _(
                "A round lasts at least {minutes} minutes. Nothing was changed.",
                minutes=int(ROUND_MIN_DURATION.total_seconds() // 60),
            )
        )
    if duration > ROUND_MAX_DURATION:
        raise UserError(
            _("A round lasts {days} days at most. Nothing was changed.", days=ROUND_MAX_DURATION.days)
        )
    return duration


def reminder_time(round_: Round) -> datetime:
    return round_.opened_at + (round_.closes_at - round_.opened_at) * REMINDER_SHARE


def round_jobs(round_: Round) -> list[JobSpec]:
    """The jobs an open round calls for: its reminder (until sent) and its close."""
    jobs = [JobSpec(f"round-close:{round_.id}", "round-close", round_.closes_at, {"round_id": round_.id})]
    if round_.reminded_at is None:
        jobs.append(
            JobSpec(
                f"round-remind:{round_.id}", "round-remind", reminder_time(round_), {"round_id": round_.id}
            )
        )
    return jobs


@commands.reconciler
def open_round_jobs(session: Session, now: datetime) -> Iterable[JobSpec]:
    for round_ in session.exec(select(Round).where(Round.status == OPEN)):
        yield from round_jobs(round_)


def closing_line(effects: Effects, round_: Round, timezone: str) -> str:
    _, _n = texts_for(effects)
    return _("Closes {moment}.", moment=format_moment(round_.closes_at, timezone, reader_language(effects)))


@commands.command(
    "round",
    N_("Open a time-boxed brainstorm round in a campaign's chats"),
    N_("/round [#hashtag] <duration: 45m, 2h, 3d> <question>"),
    role=Role.FACILITATOR,
)
def start_round(ctx: Context, args: str) -> None:
    _ = ctx._
    campaign, rest = resolve_campaign(ctx, args)
    ctx.require_facilitator(campaign)
    word, _space, prompt = rest.partition(" ")
    if not word:
        raise UsageError(_("A round needs a duration and a question."))
    duration = parse_duration(ctx, word)
    prompt = clean_user_text(prompt)
    if not prompt:
        raise UsageError(_("A round needs a question after its duration."))
    if len(prompt) > PROMPT_MAX_LENGTH:
        raise UserError(_("The question is too long: {limit} characters at most.", limit=PROMPT_MAX_LENGTH))
    now = ctx.now()
    for overdue in ctx.session.exec(
        select(Round).where(
            Round.campaign_id == campaign.id, Round.status == OPEN, col(Round.closes_at) <= now
        )
    ):
        close_round(ctx, overdue)  # its close job has not run yet (Townhall just started): close it first
    current = open_round(ctx.session, campaign.id, now)
    if current is not None:
        raise UserError(
            _(
                "Round {round} is still open in #{hashtag}. Close it with /close first. Nothing was changed.",
                round=round_ref(current),
                hashtag=campaign.hashtag,
            )
        )
    round_ = Round(
        campaign_id=campaign.id,
        prompt=prompt,
        opened_by_member_id=ctx.member.id,
        opened_in=Address(
            ctx.incoming.platform, ctx.incoming.address.chat_id, ctx.incoming.address.thread_id
        ).to_dict(),
        opened_at=now,
        closes_at=now + duration,
    )
    ctx.session.add(round_)
    ctx.session.flush()
    for job in round_jobs(round_):
        ctx.schedule(job)
    text = _(
        "Brainstorm round {round} is open in #{hashtag}:\n\n{prompt}\n\n{closing}\n"
        "Share your ideas with /idea or any message with #{hashtag}.",
        round=round_ref(round_),
        hashtag=campaign.hashtag,
        prompt=prompt,
        closing=closing_line(ctx, round_, ctx.config.default_timezone),
    )
    button = ctx.button(_("When does it close for me?"), "round_time", round_id=round_.id)
    announce(ctx, campaign, text, (button,))


@commands.action("round_time")
def show_closing_time(ctx: Context, payload: dict) -> None:
    """The closing time in the reader's own time zone, for them alone."""
    round_ = ctx.pressed_row(Round, payload["round_id"])
    if round_.status != OPEN:
        ctx.reply(ctx._("Round {round} is closed.", round=round_ref(round_)), private=True)
        return
    ctx.reply(closing_line(ctx, round_, ctx.member.timezone), private=True)


@commands.command(
    "rounds", N_("Show the open brainstorm round and the latest ones"), N_("/rounds [#hashtag]")
)
def list_rounds(ctx: Context, args: str) -> None:
    _, ngettext = ctx._, ctx.ngettext
    campaign, _rest = resolve_campaign(ctx, args)
    rounds = ctx.session.exec(
        select(Round).where(Round.campaign_id == campaign.id).order_by(col(Round.id).desc()).limit(5)
    ).all()
    if not rounds:
        ctx.reply(_("No brainstorm round yet in #{hashtag}.", hashtag=campaign.hashtag))
        return
    lines = [_("Brainstorm rounds in #{hashtag}, newest first:", hashtag=campaign.hashtag)]
    for round_ in rounds:
        count = idea_count(ctx.session, round_)
        state = closing_line(ctx, round_, ctx.member.timezone) if round_.status == OPEN else _("Closed.")
        lines.append(
            f"{round_ref(round_)} · {round_.prompt} — "
            + ngettext("{count} idea", "{count} ideas", count)
            + f". {state}"
        )
    ctx.reply("\n".join(lines))


@commands.command(
    "close",
    N_("Close a campaign's open brainstorm round now and post its digest"),
    N_("/close [#hashtag]"),
    role=Role.FACILITATOR,
)
def close_command(ctx: Context, args: str) -> None:
    campaign, _rest = resolve_campaign(ctx, args)
    ctx.require_facilitator(campaign)
    round_ = ctx.session.exec(
        select(Round).where(Round.campaign_id == campaign.id, Round.status == OPEN)
    ).first()
    if round_ is None:
        raise UserError(
            ctx._("There is no open round in #{hashtag}. Nothing was changed.", hashtag=campaign.hashtag)
        )
    close_round(ctx, round_)


@commands.job("round-remind")
def remind_round(effects: Effects, payload: dict) -> None:
    """Once, while the round is open and before its end: tell its chats how long is left."""
    round_ = effects.session.get(Round, payload["round_id"])
    now = effects.now()
    if round_ is None or round_.status != OPEN or round_.reminded_at is not None or now >= round_.closes_at:
        return
    round_.reminded_at = now
    speak_for_opener(effects, round_)
    campaign = effects.session.get_one(Campaign, round_.campaign_id)
    _, ngettext = texts_for(effects)
    minutes = max(1, round((round_.closes_at - max(now, reminder_time(round_))).total_seconds() / 60))
    left = (
        ngettext("{count} minute", "{count} minutes", minutes)
        if minutes < 120
        else ngettext("{count} hour", "{count} hours", round(minutes / 60))
    )
    text = _(
        "Round {round} of #{hashtag} closes in about {left}:\n\n{prompt}\n\n"
        "There is still time to share an idea, and to vote on the others.",
        round=round_ref(round_),
        hashtag=campaign.hashtag,
        left=left,
        prompt=round_.prompt,
    )
    ideas = list(
        effects.session.exec(
            select(Idea).where(Idea.round_id == round_.id, Idea.shown()).order_by(col(Idea.id))
        )
    )
    announce(effects, campaign, text, vote_buttons(effects, ideas), also_to=opened_in(round_))


@commands.job("round-close")
def close_due_round(effects: Effects, payload: dict) -> None:
    round_ = effects.session.get(Round, payload["round_id"])
    if round_ is not None and round_.status == OPEN:
        speak_for_opener(effects, round_)
        close_round(effects, round_)


def speak_for_opener(effects: Effects, round_: Round) -> None:
    """A job posts a round's reminder and digest in the language of whoever opened the round, who runs
    it in that language, rather than in the configured default."""
    opener = effects.session.get(Member, round_.opened_by_member_id) if round_.opened_by_member_id else None
    if opener is not None:
        effects.language = opener.language


def idea_count(session: Session, round_: Round) -> int:
    return session.exec(select(func.count()).where(Idea.round_id == round_.id)).one()


def round_digest(effects: Effects, campaign: Campaign, ideas: list[Idea]) -> list[str]:
    """The round's themes digest: its ideas grouped by the campaign's themes (computed now, ids kept),
    each with the votes it has and how each opinion group leans on the theme's ideas; without the
    language model, the ideas alone.

    Themes are apart by a blank line and none inside one: a digest too long for one message is cut
    between themes (the outbox cuts at a blank line first)."""
    _, ngettext = texts_for(effects)
    embedder = effects.index.embedder_for(effects.session, campaign.id) if effects.index is not None else None
    if embedder is not None and not embedder.failed:
        embedder.wait_ready(MODEL_WAIT_SECONDS)
    try:
        result = compute_themes(effects, campaign, embedder)
    except ThemesUnavailable:
        return idea_lines(effects, ideas)
    width = max(DIGEST_QUOTE_MIN, min(LINE_WIDTH, DIGEST_CHARS // max(len(ideas), 1) - DIGEST_LINE_EXTRA))
    grouped: dict[int | None, list[Idea]] = {}
    for idea in ideas:
        grouped.setdefault(result.placement.get(idea.id, (None, None))[0], []).append(idea)
    lines = [_("Themes of this round:")]
    leanings = theme_leanings(
        effects,
        campaign,
        {theme_id: [i.id for i in members] for theme_id, members in grouped.items() if theme_id},
        _,
    )
    for theme, _children in result.themes:
        if theme.id in grouped:
            members = grouped[theme.id]
            lines.append("")
            lines.append(
                f"{theme_ref(theme.id)} · {theme.label} — "
                + ngettext("{count} idea of this round", "{count} ideas of this round", len(members))
            )
            if theme.id in leanings:
                lines.append("  " + leanings[theme.id])
            lines += ["  " + line for line in idea_lines(effects, members, width)]
    if None in grouped:
        lines.append("")
        lines.append(_("In no theme yet:"))
        lines += ["  " + line for line in idea_lines(effects, grouped[None], width)]
    lines.append("")
    lines.append(_("A facilitator can start a prototype from a theme with /prototype <theme id> <title>."))
    return lines


def opened_in(round_: Round) -> Address | None:
    """The chat the round was opened from, which hears its reminder and digest even if no campaign is bound
    to it (a console, a private chat)."""
    return Address.from_dict(round_.opened_in) if round_.opened_in else None


def close_round(effects: Effects, round_: Round) -> None:
    """Close once: mark it, then post the headline and the digest, with the final votes, in the campaign's chats.

    Votes on the round's ideas end with it, so the digest carries no vote buttons.
    """
    round_.status = CLOSED
    round_.closed_at = effects.now()
    campaign = effects.session.get_one(Campaign, round_.campaign_id)
    _, ngettext = texts_for(effects)
    count = idea_count(effects.session, round_)
    lines = [
        _(
            "Round {round} of #{hashtag} is closed.",
            round=round_ref(round_),
            hashtag=campaign.hashtag,
        )
        + " "
        + ngettext("{count} idea was shared.", "{count} ideas were shared.", count),
        round_.prompt,
        "",
    ]
    ideas = list(
        effects.session.exec(
            select(Idea).where(Idea.round_id == round_.id, Idea.shown()).order_by(col(Idea.id))
        )
    )
    if ideas:
        lines += round_digest(effects, campaign, ideas)
    for part in effects.hooks.call(ROUND_CLOSED, effects, round_):
        lines += part
    announce(effects, campaign, "\n".join(lines).strip(), also_to=opened_in(round_))
