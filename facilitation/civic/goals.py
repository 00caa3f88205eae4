"""Shared, measurable goals: set by facilitators, measured by them and the members they allow, open to all."""

from __future__ import annotations

import re
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from facilitation.kernel.context import Context
from facilitation.kernel.hooks import GOAL_MEASURED, INVITATION_PARTS
from facilitation.kernel.i18n import N_
from facilitation.kernel.router import CommandSet, Refusal, UsageError, UserError
from facilitation.kernel.text import find_hashtags
from facilitation.membership.campaigns import campaign_candidates, resolve_campaign
from facilitation.membership.members import named_member
from storage.models import (
    GOAL_NAME_MAX_LENGTH,
    UNIT_MAX_LENGTH,
    Campaign,
    Goal,
    GoalMeasurement,
    GoalRecorder,
)

commands = CommandSet()

GOAL_NAME_PATTERN = re.compile(rf"[\w-]{{1,{GOAL_NAME_MAX_LENGTH}}}")
HISTORY_SHOWN = 5
MAX_GOAL_VALUE = 1e12
"""Targets and measurements beyond a trillion are typing mistakes, not goals."""
OUT_OF_SCALE = 100
"""A measurement more than this many times its goal's target asks for a confirmation before it counts."""
NUMBER_PATTERN = re.compile(r"[+-]?\d+(?:[.,]\d+)?")
"""Numbers as people type them (12, 2.5, 2,5), never 1e9, inf or nan."""


def parse_number(text: str) -> float | None:
    """A number written with a dot or a comma as decimal separator, within `MAX_GOAL_VALUE`, or None."""
    if NUMBER_PATTERN.fullmatch(text.strip()) is None:
        return None
    value = float(text.strip().replace(",", "."))
    return value if abs(value) <= MAX_GOAL_VALUE else None


def format_number(value: float) -> str:
    """12, 2.5 or 1000000000: never an exponent."""
    return f"{value:f}".rstrip("0").rstrip(".")


def campaign_goals(ctx: Context, campaign: Campaign) -> list[Goal]:
    return list(ctx.session.exec(select(Goal).where(Goal.campaign_id == campaign.id).order_by(col(Goal.id))))


def goal_history(session: Session, goal: Goal) -> list[GoalMeasurement]:
    """Measurements, oldest first."""
    return list(
        session.exec(
            select(GoalMeasurement)
            .where(GoalMeasurement.goal_id == goal.id, col(GoalMeasurement.removed_at).is_(None))
            .order_by(col(GoalMeasurement.recorded_at), col(GoalMeasurement.id))
        )
    )


@commands.on(INVITATION_PARTS)
def goals_summary(ctx: Context, campaign: Campaign) -> str:
    """One line per goal for the campaign's public description (its invitation), or ''."""
    goals = campaign_goals(ctx, campaign)
    if not goals:
        return ""
    parts = [f"{goal.name}: {format_number(goal.target)} {goal.unit}" for goal in goals]
    return ctx._("Shared goals: {goals}", goals="; ".join(parts))


@commands.command(
    "goal",
    N_("Set a shared goal, record a measurement, or allow a member to record them"),
    N_("/goal [#hashtag] <name> <target> <unit> | <name> <value> | <name> allow <person> | <name> remove"),
)
def goal_command(ctx: Context, args: str) -> None:
    _ = ctx._
    campaign, rest = _goal_campaign(ctx, args)
    words = rest.split()
    if len(words) < 2 or not GOAL_NAME_PATTERN.fullmatch(words[0]):
        raise UsageError(_("Name the goal in one word (letters, digits, - or _), then a value."))
    name = words[0].casefold()
    goal = ctx.session.exec(select(Goal).where(Goal.campaign_id == campaign.id, Goal.name == name)).first()
    if words[1] == "allow":
        allow_recorder(ctx, campaign, goal, name, " ".join(words[2:]))
    elif words[1] == "remove" and goal is not None:
        remove_latest(ctx, campaign, goal)
    elif goal is None:
        create_goal(ctx, campaign, name, words[1:])
    elif len(words) == 2:
        record_measurement(ctx, campaign, goal, words[1])
    else:
        raise UsageError(
            _("Goal {name} already exists: record a value with /goal {name} <value>.", name=name)
        )


def create_goal(ctx: Context, campaign: Campaign, name: str, words: list[str]) -> None:
    _ = ctx._
    ctx.require_facilitator(campaign)
    target = parse_number(words[0])
    unit = " ".join(words[1:])
    if target is None or not unit:
        raise UsageError(
            _("A new goal needs a number to reach and a unit, such as /goal benches 40 benches.")
        )
    if len(unit) > UNIT_MAX_LENGTH:
        raise UserError(_("The unit is too long: {limit} characters at most.", limit=UNIT_MAX_LENGTH))
    ctx.session.add(Goal(campaign_id=campaign.id, name=name, target=target, unit=unit, created_at=ctx.now()))
    ctx.reply(
        _(
            "Shared goal {name} for #{hashtag}: reach {target} {unit}. Record progress with /goal {name} <value>.",
            name=name,
            hashtag=campaign.hashtag,
            target=format_number(target),
            unit=unit,
        )
    )


def _goal_campaign(ctx: Context, args: str) -> tuple[Campaign, str]:
    """The campaign a /goal means: its #hashtag; without one, among the campaigns it could mean, the only
    one with a goal of that name; else as every command resolves it."""
    words = args.split()
    if words and not find_hashtags(args):
        name = words[0].casefold()
        candidates = campaign_candidates(ctx)
        with_goal = [
            campaign
            for campaign in candidates
            if ctx.session.exec(
                select(Goal).where(Goal.campaign_id == campaign.id, Goal.name == name)
            ).first()
        ]
        if len(candidates) > 1 and len(with_goal) == 1:
            return with_goal[0], args.strip()
    return resolve_campaign(ctx, args)


def record_measurement(ctx: Context, campaign: Campaign, goal: Goal, text: str) -> None:
    _ = ctx._
    allowed = ctx.session.get(GoalRecorder, (goal.id, ctx.member.id)) is not None
    if not (allowed or ctx.is_facilitator(campaign)):
        raise Refusal(
            _(
                "Only facilitators, and members they allow, record values of {name}. Nothing was changed.",
                name=goal.name,
            )
        )
    value = parse_number(text)
    if value is None:
        raise UsageError(
            _(
                "{value} is not a number I can record: write it like 12 or 2.5. Nothing was changed.",
                value=text,
            )
        )
    if value < 0 <= goal.target:
        raise UserError(_("{name} cannot go below zero. Nothing was changed.", name=goal.name))
    if goal.target > 0 and value > OUT_OF_SCALE * goal.target:
        button = ctx.button(
            _("Record {value} anyway", value=format_number(value)),
            "goal_confirm",
            goal_id=goal.id,
            value=value,
        )
        ctx.reply(
            _(
                "{value} is more than {times} times the target of {name} ({target} {unit}): a typing mistake? "
                "Nothing is recorded unless you confirm.",
                value=format_number(value),
                times=OUT_OF_SCALE,
                name=goal.name,
                target=format_number(goal.target),
                unit=goal.unit,
            ),
            buttons=(button,),
            private=True,
        )
        return
    store_measurement(ctx, goal, value)


@commands.action("goal_confirm")
def out_of_scale_confirmed(ctx: Context, payload: dict) -> None:
    goal = ctx.pressed_row(Goal, payload["goal_id"])
    campaign = ctx.session.get_one(Campaign, goal.campaign_id)
    allowed = ctx.session.get(GoalRecorder, (goal.id, ctx.member.id)) is not None
    if not (allowed or ctx.is_facilitator(campaign)):
        raise Refusal(
            ctx._(
                "Only facilitators, and members they allow, record values of {name}. Nothing was changed.",
                name=goal.name,
            )
        )
    store_measurement(ctx, goal, float(payload["value"]))


def remove_latest(ctx: Context, campaign: Campaign, goal: Goal) -> None:
    """`/goal <name> remove`: the latest value leaves every count and chart; the history keeps it, marked."""
    _ = ctx._
    ctx.require_facilitator(campaign)
    history = goal_history(ctx.session, goal)
    if not history:
        raise UserError(_("{name} has no value to remove.", name=goal.name))
    latest = history[-1]
    latest.removed_at = ctx.now()
    ctx.reply(
        _(
            "Removed the latest value of {name}: {value} {unit}. It stays in the history, marked as removed.",
            name=goal.name,
            value=format_number(latest.value),
            unit=goal.unit,
        )
    )


def store_measurement(ctx: Context, goal: Goal, value: float) -> None:
    _ = ctx._
    ctx.session.add(
        GoalMeasurement(goal_id=goal.id, value=value, member_id=ctx.member.id, recorded_at=ctx.now())
    )
    ctx.reply(
        _(
            "Recorded {value} {unit} for {name} ({percent}% of the target {target}).",
            value=format_number(value),
            unit=goal.unit,
            name=goal.name,
            percent=round(100 * value / goal.target) if goal.target else 0,
            target=format_number(goal.target),
        )
    )
    ctx.hooks.call(GOAL_MEASURED, ctx, goal, value)


def allow_recorder(ctx: Context, campaign: Campaign, goal: Goal | None, name: str, person: str) -> None:
    _ = ctx._
    ctx.require_facilitator(campaign)
    if goal is None:
        raise UserError(
            _(
                "There is no goal {name} in #{hashtag}. /goals lists them.",
                name=name,
                hashtag=campaign.hashtag,
            )
        )
    member = named_member(ctx, person)
    if ctx.session.get(GoalRecorder, (goal.id, member.id)) is None:
        ctx.session.add(GoalRecorder(goal_id=goal.id, member_id=member.id))
    ctx.reply(_("{person} may now record values of {name}.", person=member.pseudonym, name=goal.name))


@commands.command("goals", N_("Show the shared goals, their progress and history"), N_("/goals [#hashtag]"))
def list_goals(ctx: Context, args: str) -> None:
    _ = ctx._
    campaign, _rest = resolve_campaign(ctx, args)
    goals = campaign_goals(ctx, campaign)
    if not goals:
        ctx.reply(
            _("#{hashtag} has no shared goal yet. Facilitators set one with /goal.", hashtag=campaign.hashtag)
        )
        return
    zone = ZoneInfo(ctx.member.timezone)
    lines = [_("Shared goals of #{hashtag}:", hashtag=campaign.hashtag)]
    for goal in goals:
        history = goal_history(ctx.session, goal)
        target = f"{format_number(goal.target)} {goal.unit}"
        if not history:
            lines.append(_("{name}: target {target}; no value recorded yet.", name=goal.name, target=target))
            continue
        latest = history[-1].value
        trend = (
            "→"
            if len(history) < 2 or history[-2].value == latest
            else ("↑" if latest > history[-2].value else "↓")
        )
        lines.append(
            _(
                "{name}: {latest} of {target} ({percent}%) {trend}",
                name=goal.name,
                latest=format_number(latest),
                target=target,
                percent=round(100 * latest / goal.target) if goal.target else 0,
                trend=trend,
            )
        )
        recent = history[-HISTORY_SHOWN:]
        lines.append(
            "  "
            + ", ".join(
                _(
                    "{day}: {value}",
                    day=m.recorded_at.astimezone(zone).strftime("%Y-%m-%d"),
                    value=format_number(m.value),
                )
                for m in recent
            )
        )
    ctx.reply("\n".join(lines))
