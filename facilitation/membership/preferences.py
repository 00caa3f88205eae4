"""A member's time: time zone, quiet hours and pauses, and the local moments prompts may reach them.

Every proactive prompt (check-in, reminder, nudge) is timed here: at `PROMPT_LOCAL_TIME` on a local day
in the member's own zone (so a weekly check-in stays at 10:00 across a daylight-saving change), and never
inside their quiet hours.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel.dates import format_date, format_datetime

from facilitation.kernel.context import Context, CoreConfig, Effects
from facilitation.kernel.hooks import MEMBER_TIMING_CHANGED
from facilitation.kernel.i18n import N_
from facilitation.kernel.router import CommandSet, UsageError, UserError
from facilitation.kernel.scheduling import JobSpec
from storage.models import Member

commands = CommandSet()

PROMPT_LOCAL_TIME = time(10, 0)
"""When check-ins and reminders reach people, in their own time zone: mid-morning, a reasonable hour."""
MAX_QUIET_HOURS = 16
"""Quiet hours may cover at most this much of a day, so that prompts still have a window."""
MAX_PAUSE_DAYS = 90
QUIET_PATTERN = re.compile(
    r"^\s*(\d{1,2})(?:[:h](\d{2})?)?\s*(?:-|–|to|à|a)\s*(\d{1,2})(?:[:h](\d{2})?)?\s*$", re.IGNORECASE
)
NO_QUIET_WORDS = ("off", "none", "aucune", "aucun", "non")
EARLY_TOLERANCE = timedelta(minutes=1)
"""A job firing earlier than its stored moment by more than this was re-timed since: it waits."""


def zone_of(member: Member) -> ZoneInfo:
    """The member's time zone; UTC if what is stored no longer names one."""
    try:
        return ZoneInfo(member.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def parse_quiet_hours(text: str) -> tuple[time, time] | None:
    """`(start, end)` from `21:00-08:00`, `21h-8h` or `22h30 à 7h`; None if it is not such a range."""
    match = QUIET_PATTERN.match(text)
    if match is None:
        return None
    start_hour, start_minute, end_hour, end_minute = match.groups()
    try:
        start = time(int(start_hour), int(start_minute or 0))
        end = time(int(end_hour), int(end_minute or 0))
    except ValueError:
        return None
    return start, end


def quiet_length(window: tuple[time, time]) -> timedelta:
    start, end = window
    minutes = (end.hour * 60 + end.minute) - (start.hour * 60 + start.minute)
    return timedelta(minutes=minutes % (24 * 60))


def format_quiet(window: tuple[time, time]) -> str:
    return f"{window[0]:%H:%M}-{window[1]:%H:%M}"


def quiet_window(member: Member, config: CoreConfig) -> tuple[time, time] | None:
    """The member's quiet hours, or the settings' default when they chose none; None for no quiet hours."""
    chosen = member.quiet_hours if member.quiet_hours is not None else config.default_quiet_hours
    return parse_quiet_hours(chosen) if chosen else None


def _in_window(moment: time, window: tuple[time, time]) -> bool:
    start, end = window
    if start <= end:
        return start <= moment < end
    return moment >= start or moment < end  # the window wraps past midnight


def outside_quiet_hours(member: Member, config: CoreConfig, moment: datetime) -> datetime:
    """`moment` if the member may be prompted then, else the end of the quiet hours it falls in (UTC)."""
    window = quiet_window(member, config)
    zone = zone_of(member)
    local = moment.astimezone(zone)
    if window is None or not _in_window(local.time().replace(tzinfo=None), window):
        return moment
    end_today = datetime.combine(local.date(), window[1], tzinfo=zone)
    end = (
        end_today
        if end_today > local
        else datetime.combine(local.date() + timedelta(days=1), window[1], zone)
    )
    return end.astimezone(UTC)


def postponed(
    member: Member, config: CoreConfig, due: datetime, now: datetime, wait_out_pause: bool = False
) -> datetime | None:
    """When a proactive message due at `due` must wait, the moment it may go: `due` itself if it was
    re-timed since its job was stored, else the end of the member's quiet hours (and of their pause, with
    `wait_out_pause`); None when it may go now."""
    start = now
    if wait_out_pause and member.paused_until is not None and member.paused_until > now:
        start = member.paused_until
    later = max(due, outside_quiet_hours(member, config, start))
    return later if later > now + EARLY_TOLERANCE else None


def must_wait(
    effects: Effects,
    member: Member,
    prompt: object,
    column: str,
    job: Callable[[], JobSpec],
    wait_out_pause: bool = False,
) -> bool:
    """Whether the prompt to `member` timed by `prompt.column` must wait (see `postponed`): if so the
    column takes the later moment and `job()` is scheduled again for it; if not the column is cleared, the
    prompt being handled now."""
    now = effects.now()
    later = postponed(member, effects.config, getattr(prompt, column), now, wait_out_pause)
    setattr(prompt, column, later)
    if later is not None:
        effects.schedule(job())
    return later is not None


def local_slot(member: Member, config: CoreConfig, day: date) -> datetime:
    """The moment to prompt the member on local `day`: `PROMPT_LOCAL_TIME`, or after their quiet hours."""
    moment = datetime.combine(day, PROMPT_LOCAL_TIME, tzinfo=zone_of(member)).astimezone(UTC)
    return outside_quiet_hours(member, config, moment)


def next_slot(member: Member, config: CoreConfig, after: datetime) -> datetime:
    """The first prompt slot at or after `after`."""
    day = after.astimezone(zone_of(member)).date()
    while (slot := local_slot(member, config, day)) < after:
        day += timedelta(days=1)
    return slot


def local_day(member: Member, moment: datetime) -> date:
    return moment.astimezone(zone_of(member)).date()


def is_paused(member: Member, now: datetime) -> bool:
    return member.paused_until is not None and member.paused_until > now


def show_day(language: str, day: date, with_year: bool = False) -> str:
    """`Friday 4 December` in the reader's language (`Friday 1 January 1999` `with_year`)."""
    return format_date(day, "EEEE d MMMM y" if with_year else "EEEE d MMMM", locale=language)


def show_moment(member: Member, moment: datetime) -> str:
    """`Friday 4 December, 10:00` in the member's zone and language."""
    return format_datetime(moment, "EEEE d MMMM, HH:mm", tzinfo=zone_of(member), locale=member.language)


def reschedule_member(effects: Effects, member: Member) -> None:
    """Re-time the member's pending prompts after their zone or quiet hours changed."""
    effects.hooks.call(MEMBER_TIMING_CHANGED, effects, member)


@commands.command(
    "timezone", N_("Set your time zone, for check-ins at a reasonable hour"), N_("/timezone <Area/City>")
)
def set_timezone(ctx: Context, args: str) -> None:
    _ = ctx._
    name = args.strip()
    now = ctx.now()
    if not name:
        ctx.reply(
            _(
                "Your time zone is {zone}; it is {time} there. Change it with /timezone Area/City, e.g. /timezone America/Montreal.",
                zone=ctx.member.timezone,
                time=show_moment(ctx.member, now),
            ),
            private=True,
        )
        return
    try:
        zone = ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        zone = None
    if zone is None or ("/" not in name and name.upper() != "UTC"):
        raise UsageError(
            _(
                "{zone} is not a time zone I know. Use the Area/City form, e.g. America/Montreal or Europe/Paris.",
                zone=name,
            )
        )
    ctx.member.timezone = zone.key
    reschedule_member(ctx, ctx.member)
    ctx.reply(
        _(
            "Your time zone is now {zone}; it is {time} there. Check-ins will reach you around 10:00 your time.",
            zone=zone.key,
            time=show_moment(ctx.member, now),
        ),
        private=True,
    )


@commands.command(
    "quiet",
    N_("Set the hours when I never write to you"),
    N_("/quiet <HH:MM-HH:MM> or /quiet off"),
)
def set_quiet_hours(ctx: Context, args: str) -> None:
    _ = ctx._
    text = args.strip()
    if not text:
        window = quiet_window(ctx.member, ctx.config)
        if window is None:
            ctx.reply(_("You have no quiet hours. Set some with /quiet 21:00-08:00."), private=True)
        else:
            ctx.reply(
                _(
                    "Your quiet hours are {hours} ({zone}). Change them with /quiet 21:00-08:00, or /quiet off.",
                    hours=format_quiet(window),
                    zone=ctx.member.timezone,
                ),
                private=True,
            )
        return
    if text.casefold() in NO_QUIET_WORDS:
        ctx.member.quiet_hours = ""
        reschedule_member(ctx, ctx.member)
        ctx.reply(_("You have no quiet hours any more."), private=True)
        return
    window = parse_quiet_hours(text)
    if window is None:
        raise UsageError(
            _("{text} is not a range of hours. Write it like 21:00-08:00 (from 21:00 to 08:00).", text=text)
        )
    length = quiet_length(window)
    if length == timedelta(0) or length > timedelta(hours=MAX_QUIET_HOURS):
        raise UserError(
            _(
                "Quiet hours must last between a minute and {limit} hours, so that check-ins still have a moment to reach you.",
                limit=MAX_QUIET_HOURS,
            )
        )
    ctx.member.quiet_hours = format_quiet(window)
    reschedule_member(ctx, ctx.member)
    ctx.reply(
        _(
            "Quiet hours set: {hours} ({zone}). I will not write to you then.",
            hours=format_quiet(window),
            zone=ctx.member.timezone,
        ),
        private=True,
    )


@commands.command("pause", N_("Pause check-ins and nudges for a number of days"), N_("/pause <days>"))
def pause(ctx: Context, args: str) -> None:
    _ = ctx._
    text = args.strip()
    if not text.isdigit() or int(text) > MAX_PAUSE_DAYS:
        raise UsageError(
            _(
                "Tell me for how many days, from 0 to {limit}: /pause 7. /pause 0 resumes.",
                limit=MAX_PAUSE_DAYS,
            )
        )
    days = int(text)
    now = ctx.now()
    if days == 0:
        ctx.member.paused_until = None
        ctx.reply(_("Welcome back: check-ins and nudges resume."), private=True)
        return
    ctx.member.paused_until = now + timedelta(days=days)
    ctx.reply(
        ctx.ngettext(
            "Paused for {count} day: no check-ins or nudges until {day}. Take care! /pause 0 resumes earlier.",
            "Paused for {count} days: no check-ins or nudges until {day}. Take care! /pause 0 resumes earlier.",
            days,
            day=show_day(ctx.member.language, local_day(ctx.member, ctx.member.paused_until)),
        ),
        private=True,
    )
