"""Commitments: /commit an action by a date, report /progress, mark it /done, list /mine.

Every open commitment gets a reminder to its owner shortly before its due day and a kind follow-up after it,
at a reasonable local hour (see facilitation.membership.preferences). Both are recorded with an idempotency key
before they go to the outbox, so restarts and replays never send one twice.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Session, col, select

from facilitation.kernel.context import Context, CoreConfig, Effects
from facilitation.kernel.hooks import MEMBER_TIMING_CHANGED
from facilitation.kernel.i18n import N_, translator
from facilitation.kernel.router import HASHTAG_OPTION, CommandSet, Option, UsageError, UserError
from facilitation.kernel.scheduling import JobSpec
from facilitation.kernel.text import clean_user_text, find_hashtags, shorten
from facilitation.membership.campaigns import chat_campaigns, member_campaigns, resolve_campaign
from facilitation.membership.members import member_address
from facilitation.membership.preferences import is_paused, local_day, local_slot, must_wait, show_day
from storage.models import COMMITMENT_ACTION_MAX_LENGTH, Campaign, Commitment, Member, Prototype, Theme

commands = CommandSet()

OPEN = "open"
DONE = "done"
REMINDER_DAYS_BEFORE = 1
"""The reminder comes the day before the due day (or on the morning of it, if made later)."""
FOLLOW_UP_DAYS_AFTER = 1
MAX_DUE_DAYS = 730
"""Two years: further than that is a plan, not a commitment."""
MINE_DONE_SHOWN = 5
ACTION_PREVIEW_WIDTH = 80
REMINDER_JOB = "commitment-reminder"
FOLLOW_UP_JOB = "commitment-follow-up"

WEEKDAYS = {
    **{name: index for index, name in enumerate(("monday", "tuesday", "wednesday", "thursday", "friday"))},
    "saturday": 5,
    "sunday": 6,
    **{name: index for index, name in enumerate(("lundi", "mardi", "mercredi", "jeudi", "vendredi"))},
    "samedi": 5,
    "dimanche": 6,
}
MONTHS = {
    **{
        name: index + 1
        for index, name in enumerate(
            (
                "january",
                "february",
                "march",
                "april",
                "may",
                "june",
                "july",
                "august",
                "september",
                "october",
                "november",
                "december",
            )
        )
    },
    **{
        name: index + 1
        for index, name in enumerate(
            (
                "janvier",
                "février",
                "mars",
                "avril",
                "mai",
                "juin",
                "juillet",
                "août",
                "septembre",
                "octobre",
                "novembre",
                "décembre",
            )
        )
    },
}
NUMBER_WORDS = {"a": 1, "an": 1, "one": 1, "un": 1, "une": 1, "two": 2, "deux": 2, "three": 3, "trois": 3}
UNIT_DAYS = {
    "day": 1,
    "days": 1,
    "jour": 1,
    "jours": 1,
    "week": 7,
    "weeks": 7,
    "semaine": 7,
    "semaines": 7,
    "month": 30,
    "months": 30,
    "mois": 30,
}
DUE_SEPARATOR = re.compile(r"\s+(?:by|before|d'ici|d’ici|avant(?:\s+le)?|pour(?:\s+le)?)\s+", re.IGNORECASE)
LINK_PATTERN = re.compile(r"\s*\b(theme|thème|prototype)\s+#?[tp]?(\d+)\b", re.IGNORECASE)
LINK_KINDS = {"theme": N_("theme"), "prototype": N_("prototype")}
LINKED_MODELS: dict[str, type[Theme] | type[Prototype]] = {"theme": Theme, "prototype": Prototype}
REF_PATTERN = re.compile(r"^[cC#]?(\d+)$")
PERCENT_PATTERN = re.compile(r"^(\d{1,3})\s*%$")


def parse_due(text: str, today: date) -> date | None:
    """The day `text` names, relative to `today`: `2026-12-15`, `15/12/2026`, `friday`, `vendredi
    prochain`, `tomorrow`, `in 2 weeks`, `dans 2 semaines`, `15 décembre`, `December 15`. A weekday means
    the next one after today."""
    words = text.strip().casefold().rstrip(".!").split()
    if not words:
        return None
    joined = " ".join(words)
    if match := re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})", joined):
        return _date(int(match[1]), int(match[2]), int(match[3]))
    if match := re.fullmatch(r"(\d{1,2})/(\d{1,2})/(\d{4})", joined):
        return _date(int(match[3]), int(match[2]), int(match[1]))
    if joined in ("today", "aujourd'hui", "aujourd’hui"):
        return today
    if joined in ("tomorrow", "demain"):
        return today + timedelta(days=1)
    kept = [word for word in words if word not in ("next", "this", "on", "le", "ce", "prochain")]
    if len(kept) == 1 and kept[0] in WEEKDAYS:
        return today + timedelta(days=(WEEKDAYS[kept[0]] - today.weekday() - 1) % 7 + 1)
    if len(words) == 3 and words[0] in ("in", "dans") and words[2] in UNIT_DAYS:
        count = int(words[1]) if words[1].isdecimal() else NUMBER_WORDS.get(words[1])
        if count is None:
            return None
        try:
            return today + timedelta(days=count * UNIT_DAYS[words[2]])
        except OverflowError:  # past the year 9999: no day at all
            return None
    return _month_day(kept, today)


def _month_day(words: list[str], today: date) -> date | None:
    """`15 décembre`, `December 15` or `15 december 2027`: this year's, or next year's once it has passed."""
    numbers = [word.rstrip(",") for word in words if word.rstrip(",").isdecimal()]
    months = [MONTHS[word] for word in words if word in MONTHS]
    if len(months) != 1 or not 1 <= len(numbers) <= 2 or len(words) != len(numbers) + 1:
        return None
    day_number = int(numbers[0])
    if len(numbers) == 2:
        return _date(int(numbers[1]), months[0], day_number)
    found = _date(today.year, months[0], day_number)
    if found is not None and found < today:
        found = _date(today.year + 1, months[0], day_number)
    return found


def _date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except (ValueError, OverflowError):
        return None


def commitment_ref(commitment: Commitment) -> str:
    """The short id members type: c12."""
    return f"c{commitment.id}"


def split_action_and_due(text: str, today: date) -> tuple[str, date] | None:
    """The action and the due day, trying each `by`/`d'ici` from the right until what follows is a date."""
    for match in reversed(list(DUE_SEPARATOR.finditer(text))):
        due = parse_due(text[match.end() :], today)
        if due is not None:
            return text[: match.start()].strip(), due
    return None


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
    N_("/commit <action> by <date: 2026-12-15, friday, in 2 weeks> [theme N | prototype N] [#hashtag]"),
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
            _("{day} has already passed. Choose a day from today on.", day=show_day(ctx.member.language, due))
        )
    if due > today + timedelta(days=MAX_DUE_DAYS):
        raise UserError(_("Choose a day within two years; a smaller first step is easier to keep."))
    commitment = Commitment(
        member_id=ctx.member.id,
        campaign_id=campaign.id if campaign else None,
        action=action,
        due_on=due,
        created_at=now,
        updated_at=now,
        **links,
    )
    ctx.session.add(commitment)
    ctx.session.flush()
    for spec in time_prompts(ctx.member, ctx.config, commitment, new=True):
        ctx.schedule(spec)
    lines = [
        _(
            "Commitment {ref} recorded: {action} — by {day}.",
            ref=commitment_ref(commitment),
            action=action,
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
    ctx.reply("\n".join(lines))


def reminder_time(member: Member, config: CoreConfig, commitment: Commitment) -> datetime | None:
    """The day before the due day at a reasonable local hour, else the due day's morning, else none."""
    for day in (commitment.due_on - timedelta(days=REMINDER_DAYS_BEFORE), commitment.due_on):
        slot = local_slot(member, config, day)
        if slot > commitment.created_at:
            return slot
    return None


def follow_up_time(member: Member, config: CoreConfig, commitment: Commitment) -> datetime:
    return local_slot(member, config, commitment.due_on + timedelta(days=FOLLOW_UP_DAYS_AFTER))


PROMPT_COLUMNS = {REMINDER_JOB: "remind_at", FOLLOW_UP_JOB: "follow_up_at"}


def _prompt_key(kind: str, commitment_id: int | None) -> str:
    return f"{kind}:{commitment_id}"


def time_prompts(
    member: Member, config: CoreConfig, commitment: Commitment, new: bool = False
) -> list[JobSpec]:
    """Store when a commitment's reminder and follow-up go out (all for a `new` one, else those still
    pending); returns their jobs."""
    if new or commitment.remind_at is not None:
        commitment.remind_at = reminder_time(member, config, commitment)
    if new or commitment.follow_up_at is not None:
        commitment.follow_up_at = follow_up_time(member, config, commitment)
    return commitment_specs(commitment)


def commitment_specs(commitment: Commitment) -> list[JobSpec]:
    """The jobs an open commitment's stored prompt times call for."""
    if commitment.status != OPEN:
        return []
    return [
        _prompt_spec(kind, commitment)
        for kind, column in PROMPT_COLUMNS.items()
        if getattr(commitment, column) is not None
    ]


def _prompt_spec(kind: str, commitment: Commitment) -> JobSpec:
    """The job of one of the commitment's prompts, at its stored moment."""
    moment = getattr(commitment, PROMPT_COLUMNS[kind])
    return JobSpec(_prompt_key(kind, commitment.id), kind, moment, {"commitment_id": commitment.id})


def commitment_jobs(session: Session, config: CoreConfig, member: Member) -> list[JobSpec]:
    """Re-time the member's pending commitment prompts (after a zone or quiet-hours change)."""
    return [
        spec
        for commitment in open_commitments(session, member.id)
        for spec in time_prompts(member, config, commitment)
    ]


@commands.on(MEMBER_TIMING_CHANGED)
def retime_commitment_prompts(effects: Effects, member: Member) -> None:
    """The member's zone or quiet hours changed: their commitments' reminders and follow-ups move too."""
    for spec in commitment_jobs(effects.session, effects.config, member):
        effects.schedule(spec)


@commands.reconciler
def open_commitment_jobs(session: Session, now: datetime) -> list[JobSpec]:
    """Reminders and follow-ups of open commitments not handled yet."""
    rows = session.exec(
        select(Commitment)
        .where(Commitment.status == OPEN)
        .where(sa.or_(col(Commitment.remind_at).is_not(None), col(Commitment.follow_up_at).is_not(None)))
    ).all()
    return [spec for commitment in rows for spec in commitment_specs(commitment)]


def _run_commitment_prompt(effects: Effects, payload: dict, kind: str) -> None:
    """Shared by reminder and follow-up: wait if re-timed or in quiet hours, then prompt once."""
    commitment = effects.session.get(Commitment, payload["commitment_id"])
    column = PROMPT_COLUMNS[kind]
    moment = getattr(commitment, column) if commitment is not None else None
    if commitment is None or commitment.status != OPEN or moment is None:
        return
    member = effects.session.get_one(Member, commitment.member_id)
    now = effects.now()
    if must_wait(effects, member, commitment, column, lambda: _prompt_spec(kind, commitment)):
        return
    if not effects.record_prompt(_prompt_key(kind, commitment.id), member.id):
        return
    address = member_address(effects.session, member)
    if is_paused(member, now) or address is None:
        return  # recorded as handled: a paused member hears nothing, and nothing piles up
    _ = translator(member.language)[0]
    ref, action = commitment_ref(commitment), shorten(commitment.action, ACTION_PREVIEW_WIDTH)
    day = show_day(member.language, commitment.due_on)
    if kind == REMINDER_JOB:
        text = _(
            "A friendly reminder: your commitment {ref} “{action}” is due {day}. Tell your pod how it goes with /progress {ref} <news>, or /done {ref} when it is done.",
            ref=ref,
            action=action,
            day=day,
        )
    else:
        if local_day(member, commitment.updated_at) >= commitment.due_on:
            return  # news came on or after the due day: no follow-up needed
        text = _(
            "Your commitment {ref} “{action}” was due {day}. No pressure: how did it go? /done {ref} if it is done, /progress {ref} <news> if it is still moving, or /commit again with a new date.",
            ref=ref,
            action=action,
            day=day,
        )
    effects.send(address, text, private=True)


@commands.job(REMINDER_JOB)
def send_reminder(effects: Effects, payload: dict) -> None:
    _run_commitment_prompt(effects, payload, REMINDER_JOB)


@commands.job(FOLLOW_UP_JOB)
def send_follow_up(effects: Effects, payload: dict) -> None:
    _run_commitment_prompt(effects, payload, FOLLOW_UP_JOB)


def own_commitment(ctx: Context, ref: str) -> Commitment:
    """The sender's commitment named `c12` (or `12`), or a polite refusal."""
    _ = ctx._
    match = REF_PATTERN.match(ref.strip())
    commitment = ctx.session.get(Commitment, int(match[1])) if match else None
    if commitment is None or commitment.member_id != ctx.member.id:
        raise UsageError(_("You have no commitment {ref}. /mine lists yours.", ref=ref or "?"))
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
    first, _space, note = rest.strip().partition(" ")
    percent_match = PERCENT_PATTERN.match(first)
    if percent_match is None:
        note = rest.strip()
    if percent_match is None and not note:
        raise UsageError(
            _(
                "Add a percentage or a few words, e.g. /progress {ref} 50% crew found.",
                ref=commitment_ref(commitment),
            )
        )
    if percent_match is not None:
        percent = int(percent_match[1])
        if percent > 100:
            raise UsageError(_("A percentage goes from 0 to 100."))
        commitment.progress_percent = percent
    if note:
        commitment.progress_note = note
    commitment.updated_at = ctx.now()
    answer = _(
        "Progress on {ref} noted: {percent}%.",
        ref=commitment_ref(commitment),
        percent=commitment.progress_percent,
    )
    if commitment.progress_percent == 100 and commitment.status == OPEN:
        answer += " " + _("All there? Mark it with /done {ref}.", ref=commitment_ref(commitment))
    ctx.reply(answer)


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
        )
    )


def describe(language: str, commitment: Commitment) -> str:
    """One line: `c3 · Clear Rue Clark — by Friday 4 December · 50% · crew found`."""
    _ = translator(language)[0]
    line = _(
        "{ref} · {action} — by {day}",
        ref=commitment_ref(commitment),
        action=shorten(commitment.action, ACTION_PREVIEW_WIDTH),
        day=show_day(language, commitment.due_on),
    )
    if commitment.status == DONE:
        return line + " · " + _("done")
    line += f" · {commitment.progress_percent}%"
    if commitment.progress_note:
        line += " · " + shorten(commitment.progress_note, ACTION_PREVIEW_WIDTH)
    return line


def open_commitments(session: Session, member_id: int | None) -> list[Commitment]:
    return list(
        session.exec(
            select(Commitment)
            .where(Commitment.member_id == member_id, Commitment.status == OPEN)
            .order_by(col(Commitment.due_on), col(Commitment.id))
        )
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
