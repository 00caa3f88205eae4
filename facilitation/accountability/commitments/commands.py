"""The commitment commands: /commit an action by a date (linked to a theme or prototype it serves),
/progress, /done, and /mine, which lists them to their owner only."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlmodel import col, func, select

from facilitation.accountability.commitments.due_dates import DUE_SEPARATOR, split_action_and_due
from facilitation.accountability.commitments.prompts import time_prompts
from facilitation.accountability.commitments.summary import (
    ACTION_PREVIEW_WIDTH,
    DONE,
    OPEN,
    describe,
    open_commitments,
)
from facilitation.kernel.context import Context
from facilitation.kernel.hooks import COMMITTED
from facilitation.kernel.i18n import N_
from facilitation.kernel.refs import COMMITMENT, commitment_ref, parse_ref
from facilitation.kernel.router import HASHTAG_OPTION, CommandSet, Option, UsageError, UserError
from facilitation.kernel.text import clean_user_text, find_hashtags, shorten
from facilitation.membership.campaigns import chat_campaigns, member_campaigns, resolve_campaign
from facilitation.membership.preferences import local_day, show_day
from storage.models import COMMITMENT_ACTION_MAX_LENGTH, Campaign, Commitment, Prototype, Theme

commands = CommandSet()

MAX_DUE_DAYS = 730
"""Two years: further than that is a plan, not a commitment."""
PRIVATE_WORDS = ("private", "privé", "privée")
"""`/commit private …` (in French `privé`): the action and its notes reach its owner alone."""
MINE_DONE_SHOWN = 5
OPEN_COMMITMENTS_MAX = 20
"""Open commitments one member may hold at once: more than anyone keeps, and each brings its reminders."""
LINK_PATTERN = re.compile(r"\s*\b(theme|thème|prototype)\s+#?[tp]?(\d+)\b", re.IGNORECASE)
LINK_KINDS = {"theme": N_("theme"), "prototype": N_("prototype")}
LINKED_MODELS: dict[str, type[Theme] | type[Prototype]] = {"theme": Theme, "prototype": Prototype}
PROGRESS_PATTERN = re.compile(r"^([+-]?\d+(?:[.,]\d+)?)(?:\s*%(?:\s+(.*))?)?$", re.DOTALL)
"""`50`, `50%`, `30 %`, `75 % two seniors done`: a percentage, alone or with % and words after it.
A number followed by words without % (`2 volunteers found`) is news, not a percentage."""


def _commitment_campaign(ctx: Context, text: str) -> tuple[Campaign | None, str]:
    """A campaign named by hashtag at either end, else the chat's or the sender's only one, else none."""
    words = text.split()
    if words and (words[0].startswith("#") or words[-1].startswith("#")) and find_hashtags(text):
        return resolve_campaign(ctx, text)
    for candidates in (chat_campaigns(ctx), member_campaigns(ctx)):
        if len(candidates) == 1:
            return candidates[0], text
    return None, text


def _take_links(ctx: Context, text: str) -> tuple[dict[str, int], str, list[str]]:
    """Theme and prototype links written as `theme 3` or `prototype 2`; notes for links I cannot make."""
    _ = ctx._
    links: dict[str, int] = {}
    notes: list[str] = []
    for match in LINK_PATTERN.finditer(text):
        kind = "prototype" if match[1].casefold() == "prototype" else "theme"
        if ctx.session.get(LINKED_MODELS[kind], int(match[2])) is not None:
            links[f"{kind}_id"] = int(match[2])
        else:
            notes.append(
                _(
                    "There is no {kind} {number}; I kept the commitment without the link.",
                    kind=_(LINK_KINDS[kind]),
                    number=match[2],
                )
            )
    return links, LINK_PATTERN.sub("", text), notes


@commands.command(
    "commit",
    N_("Commit to an action by a date"),
    N_(
        "/commit [private] <action> by <date: 2026-12-15, friday, in 2 weeks> [theme N | prototype N] "
        "[#hashtag]"
    ),
    options=(
        Option("action", N_("What you will do"), required=True),
        Option("due", N_("By when: 2026-12-15, friday, in 2 weeks"), required=True, separator=" by "),
        Option("serves", N_("What it serves, if anything: theme 3 or prototype 2")),
        HASHTAG_OPTION,
    ),
)
def commit(ctx: Context, args: str) -> None:
    _ = ctx._
    now = ctx.now()
    text = clean_user_text(args)
    first, _space, rest = text.partition(" ")
    private = first.casefold() in PRIVATE_WORDS
    if private:
        text = rest
    links, text, notes = _take_links(ctx, text)
    campaign, text = _commitment_campaign(ctx, text)
    today = local_day(ctx.member, now)
    parsed = split_action_and_due(text, today)
    if parsed is None:
        if DUE_SEPARATOR.search(text):
            raise UsageError(
                _(
                    "I could not read the date. Write it like 2026-12-15, friday, tomorrow or in 2 weeks (en français : vendredi, dans 2 semaines)."
                )
            )
        raise UsageError(_("Say by when, e.g. /commit Clear the snow on Rue Clark by friday."))
    action, due = parsed
    if not action:
        raise UsageError(_("What will you do? Write the action before the date."))
    if len(action) > COMMITMENT_ACTION_MAX_LENGTH:
        raise UserError(
            _(
                "The action is {length} characters long; the limit is {limit}. Nothing was saved: please shorten it.",
                length=len(action),
                limit=COMMITMENT_ACTION_MAX_LENGTH,
            )
        )
    if due < today:
        raise UserError(
            _(
                "{day} has already passed. Choose a day from today on.",
                day=show_day(ctx.member.language, due, with_year=due.year != today.year),
            )
        )
    if due > today + timedelta(days=MAX_DUE_DAYS):
        raise UserError(_("Choose a day within two years; a smaller first step is easier to keep."))
    _refuse_past_the_open_limit(ctx)
    commitment = Commitment(
        member_id=ctx.member.id,
        campaign_id=campaign.id if campaign else None,
        action=action,
        private=private,
        due_on=due,
        created_at=now,
        updated_at=now,
        **links,
    )
    ctx.session.add(commitment)
    ctx.session.flush()
    notes += [line for part in ctx.hooks.call(COMMITTED, ctx, commitment) for line in part]
    for spec in time_prompts(ctx.member, ctx.config, commitment, new=True):
        ctx.schedule(spec)
    lines = [
        _(
            "Commitment {ref} recorded: {action} — by {day}.",
            ref=commitment_ref(commitment),
            action=commitment.action,
            day=show_day(ctx.member.language, due),
        )
    ]
    reminder = commitment.remind_at
    if reminder is not None:
        lines.append(
            _(
                "I will remind you on {day}.",
                day=show_day(ctx.member.language, local_day(ctx.member, reminder)),
            )
        )
    lines.extend(notes)
    lines.append(
        _(
            "/progress {ref} <news> keeps your pod posted; /mine lists your commitments.",
            ref=commitment_ref(commitment),
        )
    )
    if private:
        lines.append(
            _(
                "Private: only you see what it says. Your pod sees that you hold a commitment and how far "
                "it is, and the campaign's figures count it, without its words."
            )
        )
    else:
        lines.append(
            _(
                "Commitments are public: your pod sees this one, and the campaign's open data publishes its "
                "words (under a pseudonymous id). To keep an action to yourself, write "
                "/commit private <action> by <date>."
            )
        )
    ctx.reply("\n".join(lines), private=private)


def _refuse_past_the_open_limit(ctx: Context) -> None:
    held = ctx.session.exec(
        select(func.count())
        .select_from(Commitment)
        .where(Commitment.member_id == ctx.member.id, Commitment.status == OPEN)
    ).one()
    if held >= OPEN_COMMITMENTS_MAX:
        raise UserError(
            ctx._(
                "You already have {limit} open commitments, the most one person can hold at once. "
                "Close one with /done <id> when it is done (/mine lists them), then commit to the next. "
                "Nothing was saved.",
                limit=OPEN_COMMITMENTS_MAX,
            )
        )


def own_commitment(ctx: Context, ref: str) -> Commitment:
    """The sender's commitment named `c12` (or `12`), or a polite refusal."""
    _ = ctx._
    if not ref.strip():
        raise UsageError(_("Which commitment? /mine lists yours with their ids, like c12."))
    parsed = parse_ref(ref.strip().removeprefix("#"), COMMITMENT)
    commitment = ctx.session.get(Commitment, parsed[1]) if parsed else None
    if commitment is None or commitment.member_id != ctx.member.id:
        raise UsageError(_("You have no commitment {ref}. /mine lists yours.", ref=ref))
    return commitment


@commands.command(
    "progress",
    N_("Report progress on a commitment"),
    N_("/progress <commitment> <percent or news>"),
)
def progress(ctx: Context, args: str) -> None:
    _ = ctx._
    ref, _space, rest = clean_user_text(args).partition(" ")
    commitment = own_commitment(ctx, ref)
    rest = rest.strip()
    progress_match = PROGRESS_PATTERN.match(rest)
    note = (progress_match[2] or "").strip() if progress_match else rest
    if progress_match is None and not note:
        raise UsageError(
            _(
                "Add a percentage or a few words, e.g. /progress {ref} 50% crew found.",
                ref=commitment_ref(commitment),
            )
        )
    if progress_match is not None:
        number = progress_match[1].replace(",", ".")
        if not number.lstrip("+").isdecimal() or not 0 <= int(number) <= 100:
            raise UsageError(_("A percentage is a whole number from 0 to 100. Nothing was changed."))
        commitment.progress_percent = int(number)
    if note:
        commitment.progress_note = note
    commitment.updated_at = ctx.now()
    answer = _(
        "Progress on {ref} noted: {percent}%.",
        ref=commitment_ref(commitment),
        percent=commitment.progress_percent,
    )
    if note:
        answer += " " + _("Your news: {note}", note=shorten(note, ACTION_PREVIEW_WIDTH))
    if commitment.progress_percent == 100 and commitment.status == OPEN:
        answer += " " + _("All there? Mark it with /done {ref}.", ref=commitment_ref(commitment))
    ctx.reply(answer, private=commitment.private)


@commands.command("done", N_("Mark a commitment as done"), N_("/done <commitment>"))
def done(ctx: Context, args: str) -> None:
    _ = ctx._
    commitment = own_commitment(ctx, args.strip())
    if commitment.status == DONE:
        ctx.reply(_("{ref} is already done. Well done again!", ref=commitment_ref(commitment)))
        return
    now = ctx.now()
    commitment.status, commitment.done_at, commitment.updated_at = DONE, now, now
    commitment.progress_percent = 100
    ctx.reply(
        _(
            "Done: {ref} “{action}”. Thank you for following through!",
            ref=commitment_ref(commitment),
            action=shorten(commitment.action, ACTION_PREVIEW_WIDTH),
        ),
        private=commitment.private,
    )


@commands.command("mine", N_("List your commitments (only you see them)"))
def mine(ctx: Context, args: str) -> None:
    _ = ctx._
    current = open_commitments(ctx.session, ctx.member.id)
    finished = ctx.session.exec(
        select(Commitment)
        .where(Commitment.member_id == ctx.member.id, Commitment.status == DONE)
        .order_by(col(Commitment.done_at).desc())
        .limit(MINE_DONE_SHOWN)
    ).all()
    if not current and not finished:
        ctx.reply(_("You have no commitments yet. Make one: /commit <action> by <date>."), private=True)
        return
    lines = [_("Your commitments:")] if current else []
    lines += [describe(ctx.member.language, commitment) for commitment in current]
    if finished:
        lines.append(_("Recently done:"))
        lines += [describe(ctx.member.language, commitment) for commitment in finished]
    ctx.reply("\n".join(lines), private=True)
