"""Pledges to prototypes: `/pledge p1 200 CAD [if <goal> reaches <value>] [by <date>]`, in money (a currency
code) or hours, unconditional or waiting on a shared goal's measured value.

States: promised → condition met (a /goal measurement reached the value; the pledger is told privately) →
fulfilled (the pledger says they gave it, and the team acknowledges receiving it) | lapsed (its date
passed first; the pledger is told). Townhall holds no money: it keeps the promises, open and auditable."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime, time

from babel.numbers import list_currencies
from sqlalchemy import func
from sqlmodel import Session, col, select

from facilitation.accountability.commitments.due_dates import split_action_and_due
from facilitation.civic.goals import format_number, goal_history, parse_number
from facilitation.exchange.matching import gettext_for, send_directly
from facilitation.exchange.organisations import acting_as
from facilitation.exchange.units import HOURS, shown_unit
from facilitation.kernel.context import Context, Effects
from facilitation.kernel.hooks import GOAL_MEASURED
from facilitation.kernel.i18n import N_
from facilitation.kernel.refs import PLEDGE, PROTOTYPE, parse_ref, prototype_ref, ref
from facilitation.kernel.router import CommandSet, Option, Refusal, UsageError, UserError
from facilitation.kernel.scheduling import JobSpec
from facilitation.membership.campaigns import join
from facilitation.membership.preferences import local_day, show_day, zone_of
from facilitation.planning.prototype_lookup import find_prototype
from facilitation.planning.prototypes import team_ids
from storage.exchange import (
    PLEDGE_CONDITION_MET,
    PLEDGE_FULFILLED,
    PLEDGE_LAPSED,
    PLEDGE_PROMISED,
)
from storage.models import Campaign, Goal, Member, Organisation, Pledge, Prototype

commands = CommandSet()

HOUR_WORDS = {"h", "hour", "hours", "heure", "heures"}
CURRENCIES = frozenset(list_currencies())
"""ISO 4217 codes as Babel knows them (CAD, EUR, XOF)."""
MAX_PLEDGE_MONEY = 10_000_000
"""One pledge of more than ten million in any currency is a typing mistake, not a neighbourhood promise."""
MAX_PLEDGE_HOURS = 2_000
"""About a year of full-time work: more hours in one pledge is a typing mistake."""
OPEN_PLEDGES_PER_MEMBER = 20
"""Pledges one member may have promised and not yet fulfilled or lapsed, across campaigns."""

CONDITION = re.compile(r"^(?:if|si)\s+(\S+)\s+(?:reaches|atteint)\s+(\S+)$", re.IGNORECASE)


def pledge_ref(pledge: Pledge) -> str:
    return ref(PLEDGE, pledge.id)


def pledge_unit(ctx: Context, word: str) -> str:
    """`hours` or an ISO currency code, from what the member typed (h, heures, cad, EUR)."""
    if word.casefold() in HOUR_WORDS:
        return HOURS
    if word.upper() in CURRENCIES:
        return word.upper()
    raise UserError(
        ctx._(
            "{unit} is no currency I know, nor hours: write a currency code such as CAD or EUR, or hours. "
            "Nothing was changed.",
            unit=word,
        )
    )


def pledge_amount(ctx: Context, word: str, unit: str) -> float:
    """A positive amount within the limit of its unit, or a clear refusal."""
    value = parse_number(word)
    limit = MAX_PLEDGE_HOURS if unit == HOURS else MAX_PLEDGE_MONEY
    if value is None or not 0 < value <= limit:
        raise UserError(
            ctx._(
                "An amount is a number above 0 and at most {limit} {unit}. Nothing was changed.",
                limit=format_number(limit),
                unit=unit,
            )
        )
    return value


@commands.command(
    "pledge",
    N_("Pledge money or hours to a prototype, if you like once a shared goal reaches a value"),
    N_("/pledge <prototype> <amount> <currency or hours> [if <goal> reaches <value>] [by <date>]"),
    options=(
        Option(
            "prototype",
            N_("The prototype, e.g. p1; or a pledge, e.g. g2, then given or received"),
            required=True,
        ),
        Option("amount", N_("The amount, then a currency code (CAD, EUR) or hours"), required=True),
        Option("condition", N_("Optional: if <goal> reaches <value>, by <date>")),
    ),
)
def pledge_command(ctx: Context, args: str) -> None:
    words = args.split()
    if len(words) == 2 and words[0][:1].casefold() == PLEDGE:
        settle(ctx, words[0], words[1].casefold())
        return
    if len(words) < 3 or words[0][:1].casefold() != PROTOTYPE:
        raise UsageError(ctx._("Name the prototype, the amount and its unit, such as /pledge p1 200 CAD."))
    prototype = find_prototype(ctx, words[0])
    unit = pledge_unit(ctx, words[2])
    amount = pledge_amount(ctx, words[1], unit)
    campaign = ctx.session.get_one(Campaign, prototype.campaign_id)
    rest, organisation = acting_as(ctx, campaign, " ".join(words[3:]))
    lapses_at = None
    if rest:
        split = split_action_and_due(rest, local_day(ctx.member, ctx.now()))
        if split is not None:
            rest, day = split
            if day <= local_day(ctx.member, ctx.now()):
                raise UserError(
                    ctx._(
                        "{day} is not in the future. Nothing was changed.",
                        day=show_day(ctx.member.language, day),
                    )
                )
            lapses_at = datetime.combine(day, time(23, 59), tzinfo=zone_of(ctx.member))
    goal, value = _condition(ctx, prototype, rest) if rest else (None, None)
    _refuse_past_the_limit(ctx)
    join(ctx, campaign)
    pledge = Pledge(
        prototype_id=prototype.id,
        member_id=ctx.member.id,
        organisation_id=organisation.id if organisation is not None else None,
        amount=amount,
        unit=unit,
        goal_id=goal.id if goal is not None else None,
        goal_value=value,
        lapses_at=lapses_at,
        created_at=ctx.now(),
    )
    ctx.session.add(pledge)
    ctx.session.flush()
    _answer_pledge(ctx, pledge, prototype, goal)
    if goal is not None and value is not None and _latest(ctx.session, goal) >= value:
        _condition_met(ctx, pledge, goal)
    for job in pledge_jobs(pledge):
        ctx.schedule(job)


def _answer_pledge(ctx: Context, pledge: Pledge, prototype: Prototype, goal: Goal | None) -> None:
    _ = ctx._
    what = f"{format_number(pledge.amount)} {shown_unit(_, pledge.unit)}"
    if goal is None:
        text = _(
            "Pledge {ref} recorded: {what} to {prototype}. Tell me once given with /pledge {ref} given.",
            ref=pledge_ref(pledge),
            what=what,
            prototype=prototype_ref(prototype),
        )
    else:
        text = _(
            "Pledge {ref} recorded: {what} to {prototype}, if {goal} reaches {value}. It stays conditional "
            "until then; I will tell you privately when it does.",
            ref=pledge_ref(pledge),
            what=what,
            prototype=prototype_ref(prototype),
            goal=goal.name,
            value=format_number(pledge.goal_value or 0),
        )
    if pledge.organisation_id is not None:
        organisation = ctx.session.get_one(Organisation, pledge.organisation_id)
        text += "\n" + _("In the name of {name}.", name=organisation.name)
    if pledge.lapses_at is not None:
        text += "\n" + _(
            "It lapses if not given by {day}.",
            day=show_day(ctx.member.language, local_day(ctx.member, pledge.lapses_at), with_year=True),
        )
    ctx.reply(text)


def _condition(ctx: Context, prototype: Prototype, text: str) -> tuple[Goal, float]:
    """The goal and value of `if <goal> reaches <value>`: a goal of the prototype's own campaign."""
    _ = ctx._
    condition = CONDITION.match(text.strip())
    if condition is None:
        raise UsageError(
            _("Write a condition as: if <goal> reaches <value>, such as if lamps-installed reaches 10.")
        )
    name = condition.group(1).casefold()
    campaign = ctx.session.get_one(Campaign, prototype.campaign_id)
    goal = ctx.session.exec(select(Goal).where(Goal.campaign_id == campaign.id, Goal.name == name)).first()
    if goal is None:
        elsewhere = ctx.session.exec(select(Goal).where(Goal.name == name)).first()
        if elsewhere is not None:
            raise UserError(
                _(
                    "{name} is a goal of another campaign, not of #{hashtag}: a pledge to {prototype} "
                    "can wait only on a goal of #{hashtag}. Nothing was changed.",
                    name=name,
                    hashtag=campaign.hashtag,
                    prototype=prototype_ref(prototype),
                )
            )
        raise UserError(
            _(
                "There is no goal {name} in #{hashtag}. /goals lists them.",
                name=name,
                hashtag=campaign.hashtag,
            )
        )
    value = parse_number(condition.group(2))
    if value is None:
        raise UserError(_("{value} is not a number. Nothing was changed.", value=condition.group(2)))
    return goal, value


def _refuse_past_the_limit(ctx: Context) -> None:
    open_pledges = ctx.session.exec(
        select(func.count()).where(
            Pledge.member_id == ctx.member.id,
            col(Pledge.status).in_((PLEDGE_PROMISED, PLEDGE_CONDITION_MET)),
        )
    ).one()
    if open_pledges >= OPEN_PLEDGES_PER_MEMBER:
        raise UserError(
            ctx._(
                "You have {count} pledges still open, the most one person may have. Nothing was changed.",
                count=open_pledges,
            )
        )


def _latest(session: Session, goal: Goal) -> float:
    history = goal_history(session, goal)
    return history[-1].value if history else float("-inf")


@commands.on(GOAL_MEASURED)
def goal_reached(ctx: Context, goal: Goal, value: float) -> None:
    """Every pledge waiting on `goal` at `value` or less holds now: its pledger is told privately."""
    waiting = ctx.session.exec(
        select(Pledge).where(
            Pledge.goal_id == goal.id, Pledge.status == PLEDGE_PROMISED, col(Pledge.goal_value) <= value
        )
    ).all()
    for pledge in waiting:
        _condition_met(ctx, pledge, goal)


@commands.reconciler
def pledges_whose_goal_is_met(session: Session, now: datetime) -> Iterable[JobSpec]:
    """Pledges still waiting on a goal whose stored measurements already reach their value (measured by a
    process that stopped before telling, or by a path that does not announce measurements)."""
    waiting = session.exec(
        select(Pledge, Goal)
        .join(Goal, col(Goal.id) == col(Pledge.goal_id))
        .where(Pledge.status == PLEDGE_PROMISED, col(Pledge.goal_value).is_not(None))
    ).all()
    return [
        JobSpec(f"pledge-met:{pledge.id}", "pledge_condition_met", now, {"pledge_id": pledge.id})
        for pledge, goal in waiting
        if _latest(session, goal) >= (pledge.goal_value or 0)
    ]


@commands.job("pledge_condition_met")
def condition_found_met(effects: Effects, payload: dict) -> None:
    pledge = effects.session.get(Pledge, payload["pledge_id"])
    if pledge is None or pledge.status != PLEDGE_PROMISED or pledge.goal_id is None:
        return
    goal = effects.session.get(Goal, pledge.goal_id)
    if goal is not None and _latest(effects.session, goal) >= (pledge.goal_value or 0):
        _condition_met(effects, pledge, goal)


def _condition_met(ctx: Effects, pledge: Pledge, goal: Goal) -> None:
    pledge.status = PLEDGE_CONDITION_MET
    pledge.condition_met_at = ctx.now()
    pledger = ctx.session.get(Member, pledge.member_id) if pledge.member_id is not None else None
    if pledger is None:
        return
    prototype = ctx.session.get_one(Prototype, pledge.prototype_id)
    gettext = gettext_for(pledger)
    button = ctx.button(gettext("I have given it"), "pledge_given", pledge_id=pledge.id)
    send_directly(
        ctx,
        pledger,
        gettext(
            "{goal} reached {value}: your pledge {ref} of {what} to {prototype} now holds. Once you have "
            "given it, tell me with the button or /pledge {ref} given.",
            goal=goal.name,
            value=format_number(pledge.goal_value or 0),
            ref=pledge_ref(pledge),
            what=f"{format_number(pledge.amount)} {shown_unit(gettext, pledge.unit)}",
            prototype=prototype_ref(prototype),
        ),
        (button,),
    )


def _pledge(ctx: Context, word: str) -> Pledge:
    parsed = parse_ref(word, PLEDGE)
    pledge = ctx.session.get(Pledge, parsed[1]) if parsed is not None else None
    if pledge is None:
        raise UserError(ctx._("There is no pledge {ref}. Pledge ids look like g3.", ref=word))
    return pledge


def settle(ctx: Context, word: str, step: str) -> None:
    """`/pledge g3 given` by its pledger, `/pledge g3 received` by the prototype's team."""
    pledge = _pledge(ctx, word)
    if step in ("given", "donné", "donne"):
        mark_given(ctx, pledge)
    elif step in ("received", "reçu", "recu"):
        mark_received(ctx, pledge)
    else:
        raise UsageError(ctx._("After a pledge's id, write given (its pledger) or received (the team)."))


@commands.action("pledge_given")
def given_pressed(ctx: Context, payload: dict) -> None:
    mark_given(ctx, ctx.pressed_row(Pledge, payload["pledge_id"]))


@commands.action("pledge_received")
def received_pressed(ctx: Context, payload: dict) -> None:
    mark_received(ctx, ctx.pressed_row(Pledge, payload["pledge_id"]))


def mark_given(ctx: Context, pledge: Pledge) -> None:
    _ = ctx._
    if pledge.member_id != ctx.member.id:
        raise Refusal(
            _("Only the pledger of {ref} can say it was given. Nothing was changed.", ref=pledge_ref(pledge))
        )
    if pledge.status == PLEDGE_FULFILLED:
        ctx.reply(_("{ref} is already fulfilled: thank you.", ref=pledge_ref(pledge)), private=True)
        return
    if pledge.status == PLEDGE_LAPSED:
        raise UserError(_("{ref} lapsed at its date. Nothing was changed.", ref=pledge_ref(pledge)))
    if pledge.status == PLEDGE_PROMISED and pledge.goal_id is not None:
        raise UserError(
            _(
                "{ref} still waits on its goal: it counts as given once the goal is reached.",
                ref=pledge_ref(pledge),
            )
        )
    pledge.status = PLEDGE_FULFILLED
    pledge.fulfilled_at = ctx.now()
    prototype = ctx.session.get_one(Prototype, pledge.prototype_id)
    for member_id in team_ids(ctx, prototype):
        member = ctx.session.get_one(Member, member_id)
        gettext = gettext_for(member)
        send_directly(
            ctx,
            member,
            gettext(
                "{name} says their pledge {ref} of {what} to {prototype} is given. Acknowledge it once received.",
                name=ctx.member.pseudonym,
                ref=pledge_ref(pledge),
                what=f"{format_number(pledge.amount)} {shown_unit(gettext, pledge.unit)}",
                prototype=prototype_ref(prototype),
            ),
            (ctx.button(gettext("Received"), "pledge_received", pledge_id=pledge.id),),
        )
    ctx.reply(
        _("Thank you: {ref} is fulfilled. Its team is asked to acknowledge it.", ref=pledge_ref(pledge))
    )


def mark_received(ctx: Context, pledge: Pledge) -> None:
    _ = ctx._
    prototype = ctx.session.get_one(Prototype, pledge.prototype_id)
    if ctx.member.id not in team_ids(ctx, prototype):
        raise Refusal(
            _(
                "Only the team of {prototype} can acknowledge {ref}. Nothing was changed.",
                prototype=prototype_ref(prototype),
                ref=pledge_ref(pledge),
            )
        )
    if pledge.status != PLEDGE_FULFILLED:
        raise UserError(_("{ref} is not given yet: its pledger says so first.", ref=pledge_ref(pledge)))
    if pledge.acknowledged_at is None:
        pledge.acknowledged_at = ctx.now()
    ctx.reply(_("{ref} is acknowledged as received. Thank you!", ref=pledge_ref(pledge)))


def pledge_jobs(pledge: Pledge) -> list[JobSpec]:
    if pledge.lapses_at is None or pledge.status not in (PLEDGE_PROMISED, PLEDGE_CONDITION_MET):
        return []
    return [JobSpec(f"pledge-lapse:{pledge.id}", "pledge_lapse", pledge.lapses_at, {"pledge_id": pledge.id})]


@commands.reconciler
def open_pledge_jobs(session: Session, now: datetime) -> Iterable[JobSpec]:
    pledges = session.exec(
        select(Pledge).where(
            col(Pledge.status).in_((PLEDGE_PROMISED, PLEDGE_CONDITION_MET)),
            col(Pledge.lapses_at).is_not(None),
        )
    )
    return [job for pledge in pledges for job in pledge_jobs(pledge)]


@commands.job("pledge_lapse")
def lapse(effects: Effects, payload: dict) -> None:
    pledge = effects.session.get(Pledge, payload["pledge_id"])
    if pledge is None or not pledge_jobs(pledge) or (pledge.lapses_at or effects.now()) > effects.now():
        return
    pledge.status = PLEDGE_LAPSED
    pledger = effects.session.get(Member, pledge.member_id) if pledge.member_id is not None else None
    if pledger is None:
        return
    prototype = effects.session.get_one(Prototype, pledge.prototype_id)
    gettext = gettext_for(pledger)
    send_directly(
        effects,
        pledger,
        gettext(
            "Your pledge {ref} to {prototype} lapsed: its date passed before it was given. Thank you for offering it.",
            ref=pledge_ref(pledge),
            prototype=prototype_ref(prototype),
        ),
    )
