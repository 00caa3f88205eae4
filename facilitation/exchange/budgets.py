"""A prototype's budget (`/budget p3 <minimum> <optimum> <unit>`, as Goteo asks of its projects) and the
pledged, conditional and fulfilled totals shown against it, in the prototype's view and in /report."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from sqlmodel import Session, col, select

from facilitation.civic.goals import format_number
from facilitation.exchange.pledges import pledge_amount, pledge_unit, shown_unit
from facilitation.kernel.context import Context
from facilitation.kernel.hooks import PROTOTYPE_PARTS, REPORT_PARTS
from facilitation.kernel.i18n import N_
from facilitation.kernel.refs import prototype_ref
from facilitation.kernel.router import CommandSet, Option, Refusal, UsageError, UserError
from facilitation.membership.campaigns import campaign_candidates
from facilitation.planning.prototype_lookup import find_prototype
from facilitation.planning.prototypes import team_ids
from storage.exchange import PLEDGE_FULFILLED, PLEDGE_LAPSED, PLEDGE_PROMISED
from storage.models import Budget, Campaign, Pledge, Prototype

commands = CommandSet()


@dataclass
class Totals:
    """One unit's pledges: all that still hold (fulfilled included), those still waiting on a goal, and
    those given."""

    pledged: float = 0
    conditional: float = 0
    fulfilled: float = 0


def pledge_totals(session: Session, prototype_ids: list[int]) -> dict[str, Totals]:
    """The pledges to these prototypes, per unit; lapsed ones are left out, no pledger is named."""
    totals: dict[str, Totals] = defaultdict(Totals)
    pledges = session.exec(
        select(Pledge).where(col(Pledge.prototype_id).in_(prototype_ids), Pledge.status != PLEDGE_LAPSED)
    )
    for pledge in pledges:
        unit = totals[pledge.unit]
        unit.pledged += pledge.amount
        if pledge.status == PLEDGE_PROMISED and pledge.goal_id is not None:
            unit.conditional += pledge.amount
        if pledge.status == PLEDGE_FULFILLED:
            unit.fulfilled += pledge.amount
    return dict(totals)


def _totals_line(ctx: Context, unit: str, totals: Totals) -> str:
    return ctx._(
        "{pledged} {unit} pledged: {conditional} conditional, {fulfilled} fulfilled",
        pledged=format_number(totals.pledged),
        unit=shown_unit(ctx._, unit),
        conditional=format_number(totals.conditional),
        fulfilled=format_number(totals.fulfilled),
    )


@commands.on(PROTOTYPE_PARTS)
def prototype_pledges(ctx: Context, prototype: Prototype) -> list[str]:
    """The prototype's totals per unit, the budget's unit against its minimum and optimum."""
    _ = ctx._
    budget = ctx.session.get(Budget, prototype.id)
    totals = pledge_totals(ctx.session, [prototype.id])
    if budget is None and not totals:
        return []
    lines = []
    if budget is not None:
        held = totals.get(budget.unit, Totals())
        lines.append(
            _(
                "Budget: {minimum} minimum, {optimum} optimum {unit}; {share}% of the minimum pledged.",
                minimum=format_number(budget.minimum),
                optimum=format_number(budget.optimum),
                unit=shown_unit(_, budget.unit),
                share=round(100 * held.pledged / budget.minimum),
            )
        )
        totals.setdefault(budget.unit, held)
    lines += [
        _("Pledges: {totals}", totals=_totals_line(ctx, unit, unit_totals))
        for unit, unit_totals in totals.items()
    ]
    return lines


@commands.on(REPORT_PARTS)
def report_pledges(ctx: Context, campaign: Campaign | None) -> list[str]:
    """The campaign's pledges to all its prototypes, per unit, without naming a pledger."""
    campaign_ids = [campaign.id] if campaign is not None else [c.id for c in campaign_candidates(ctx)]
    prototype_ids = list(
        ctx.session.exec(select(Prototype.id).where(col(Prototype.campaign_id).in_(campaign_ids)))
    )
    totals = pledge_totals(ctx.session, prototype_ids) if prototype_ids else {}
    return [_pledges_line(ctx, unit, unit_totals) for unit, unit_totals in totals.items()]


def _pledges_line(ctx: Context, unit: str, totals: Totals) -> str:
    return ctx._("Pledges to prototypes: {totals}.", totals=_totals_line(ctx, unit, totals))


@commands.command(
    "budget",
    N_("Set a prototype's minimum and optimum budget (its team)"),
    N_("/budget <prototype> <minimum> <optimum> <currency or hours>"),
    options=(
        Option("prototype", N_("The prototype, e.g. p3"), required=True),
        Option("minimum", N_("The least it needs"), required=True),
        Option("optimum", N_("What would do it well"), required=True),
        Option("unit", N_("A currency code (CAD, EUR) or hours"), required=True),
    ),
)
def budget_command(ctx: Context, args: str) -> None:
    _ = ctx._
    words = args.split()
    if len(words) != 4:
        raise UsageError(
            _("Name the prototype, the minimum, the optimum and the unit: /budget p3 500 1200 CAD.")
        )
    prototype = find_prototype(ctx, words[0])
    campaign = ctx.session.get_one(Campaign, prototype.campaign_id)
    if ctx.member.id not in team_ids(ctx, prototype) and not ctx.is_facilitator(campaign):
        raise Refusal(
            _(
                "Only the team of {prototype} can set its budget. Nothing was changed.",
                prototype=prototype_ref(prototype),
            )
        )
    unit = pledge_unit(ctx, words[3])
    minimum, optimum = pledge_amount(ctx, words[1], unit), pledge_amount(ctx, words[2], unit)
    if optimum < minimum:
        raise UserError(_("The optimum cannot be below the minimum. Nothing was changed."))
    budget = ctx.session.get(Budget, prototype.id)
    if budget is None:
        budget = Budget(
            prototype_id=prototype.id, minimum=minimum, optimum=optimum, unit=unit, set_at=ctx.now()
        )
        ctx.session.add(budget)
    else:
        budget.minimum, budget.optimum, budget.unit, budget.set_at = minimum, optimum, unit, ctx.now()
    ctx.reply(
        _(
            "Budget of {prototype}: {minimum} minimum, {optimum} optimum {unit}.",
            prototype=prototype_ref(prototype),
            minimum=format_number(minimum),
            optimum=format_number(optimum),
            unit=shown_unit(_, unit),
        )
    )
