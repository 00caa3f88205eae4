"""The prototypes page's data: each prototype with where it grows from, its team (pseudonyms), its
versions with their ratings and what the feedback says (grouped into themes as /prototype groups it), its
budget and the pledged, conditional and fulfilled totals against it; and the campaign's collective giving.
Money and hours are summed, never shown per person or ranked.

Built from a Context of the facilitator, as /prototype is: on the core's worker, since the feedback texts
are encoded by the campaign's model."""

from __future__ import annotations

from dataclasses import dataclass
from statistics import fmean

from sqlmodel import col, select

from facilitation.civic.goals import format_number
from facilitation.exchange.budgets import Totals, pledge_totals
from facilitation.exchange.giving import Giving, giving_totals
from facilitation.exchange.pledges import shown_unit
from facilitation.kernel.context import Context
from facilitation.kernel.i18n import decimal, format_moment
from facilitation.kernel.refs import prototype_ref
from facilitation.membership.members import pseudonyms
from facilitation.planning.feedback import counted_texts, feedback_summaries, latest_ratings
from facilitation.planning.prototype_lookup import versions_of
from facilitation.planning.prototypes import origin_line, team_ids
from storage.models import Budget, Campaign, Feedback, Prototype

BUDGET_BAR_WIDTH = 560
BUDGET_BAR_HEIGHT = 28


@dataclass(frozen=True)
class VersionLine:
    number: int
    published: str
    changes: str
    ratings: int
    mean: str | None
    feedback: list[str]
    """What its counted feedback says: its themes with a quote each, or a few quotes and why not grouped."""


@dataclass(frozen=True)
class PledgeLine:
    unit: str
    pledged: str
    conditional: str
    fulfilled: str


@dataclass(frozen=True)
class BudgetBar:
    """The budget's unit drawn to scale: what is pledged and fulfilled against the minimum and optimum."""

    minimum: str
    optimum: str
    unit: str
    share: int
    """Pledged, as a whole percentage of the minimum."""
    pledged_width: float
    fulfilled_width: float
    minimum_x: float
    optimum_x: float


@dataclass(frozen=True)
class PrototypeCard:
    ref: str
    title: str
    origin: str
    team: list[str]
    versions: list[VersionLine]
    budget: BudgetBar | None
    pledges: list[PledgeLine]


@dataclass(frozen=True)
class PrototypesView:
    prototypes: list[PrototypeCard]
    giving: Giving | None
    """None when nothing was ever offered or needed in the campaign."""
    hours_given: str


def prototypes_view(ctx: Context, campaign: Campaign) -> PrototypesView:
    assert campaign.id is not None
    prototypes = ctx.session.exec(
        select(Prototype).where(Prototype.campaign_id == campaign.id).order_by(col(Prototype.id))
    ).all()
    giving = giving_totals(ctx.session, [campaign.id])
    return PrototypesView(
        [_card(ctx, prototype) for prototype in prototypes],
        giving,
        format_number(giving.hours) if giving is not None else "0",
    )


def _card(ctx: Context, prototype: Prototype) -> PrototypeCard:
    versions = versions_of(ctx, prototype)
    feedback = [
        list(ctx.session.exec(select(Feedback).where(Feedback.version_id == v.id).order_by(col(Feedback.id))))
        for v in versions
    ]
    summaries = feedback_summaries(ctx, prototype.campaign_id, [counted_texts(rows) for rows in feedback])
    lines = []
    for version, rows, summary in zip(versions, feedback, summaries, strict=True):
        ratings = latest_ratings(rows)
        lines.append(
            VersionLine(
                version.number,
                format_moment(version.created_at, ctx.member.timezone, ctx.member.language),
                version.changes,
                len(ratings),
                decimal(fmean(ratings.values()), ctx.member.language) if ratings else None,
                [line.strip().removeprefix("• ") for line in summary],
            )
        )
    assert prototype.id is not None
    totals = pledge_totals(ctx.session, [prototype.id])
    budget = ctx.session.get(Budget, prototype.id)
    if budget is not None:
        totals.setdefault(budget.unit, Totals())
    return PrototypeCard(
        prototype_ref(prototype),
        prototype.title,
        origin_line(ctx, prototype),
        pseudonyms(ctx.session, team_ids(ctx, prototype)),
        lines,
        None if budget is None else _budget_bar(ctx, budget, totals[budget.unit]),
        [
            PledgeLine(
                shown_unit(ctx._, unit),
                format_number(found.pledged),
                format_number(found.conditional),
                format_number(found.fulfilled),
            )
            for unit, found in totals.items()
        ],
    )


def _budget_bar(ctx: Context, budget: Budget, totals: Totals) -> BudgetBar:
    top = max(budget.optimum, totals.pledged, 1.0)

    def width(amount: float) -> float:
        return round(BUDGET_BAR_WIDTH * amount / top, 1)

    return BudgetBar(
        format_number(budget.minimum),
        format_number(budget.optimum),
        shown_unit(ctx._, budget.unit),
        round(100 * totals.pledged / budget.minimum),
        width(totals.pledged),
        width(totals.fulfilled),
        width(budget.minimum),
        width(budget.optimum),
    )
