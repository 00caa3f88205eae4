"""A sponsor's matching pool (`/pool <amount> <unit>`, facilitators), split at the next round's close among
the campaign's prototypes by quadratic matching of their distinct pledgers, and shown with the formula
and each prototype's share in the round's digest and in /report."""

from __future__ import annotations

from collections import defaultdict

from sqlmodel import col, select

from facilitation.civic.goals import format_number
from facilitation.exchange.matching import report_campaign_ids
from facilitation.exchange.pledges import pledge_amount, pledge_unit
from facilitation.exchange.quadratic import split_pool
from facilitation.exchange.units import shown_unit
from facilitation.kernel.context import Context, Effects, texts_for
from facilitation.kernel.hooks import REPORT_PARTS, ROUND_CLOSED
from facilitation.kernel.i18n import N_
from facilitation.kernel.refs import prototype_ref
from facilitation.kernel.router import HASHTAG_OPTION, CommandSet, Option, Role, UsageError, UserError
from facilitation.membership.campaigns import resolve_campaign
from storage.exchange import PLEDGE_LAPSED
from storage.models import Campaign, Pledge, Pool, PoolAllocation, Prototype, Round

commands = CommandSet()

FORMULA = "(Σ√cᵢ)² − Σcᵢ"


def waiting_pool(effects: Effects, campaign_id: int) -> Pool | None:
    return effects.session.exec(
        select(Pool).where(Pool.campaign_id == campaign_id, col(Pool.allocated_at).is_(None))
    ).first()


@commands.command(
    "pool",
    N_("Set a matching pool, split among prototypes by quadratic matching at the next round's close"),
    N_("/pool [#hashtag] <amount> <currency or hours>"),
    role=Role.FACILITATOR,
    options=(
        HASHTAG_OPTION,
        Option("amount", N_("The amount, then a currency code (CAD, EUR) or hours"), required=True),
    ),
)
def pool_command(ctx: Context, args: str) -> None:
    _ = ctx._
    campaign, rest = resolve_campaign(ctx, args)
    ctx.require_facilitator(campaign)
    words = rest.split()
    if len(words) != 2:
        raise UsageError(_("Give the pool's amount and unit, such as /pool 1000 CAD."))
    unit = pledge_unit(ctx, words[1])
    amount = pledge_amount(ctx, words[0], unit)
    if waiting_pool(ctx, campaign.id) is not None:
        raise UserError(
            _("#{hashtag} already has a pool waiting for the next round's close.", hashtag=campaign.hashtag)
        )
    ctx.session.add(Pool(campaign_id=campaign.id, amount=amount, unit=unit, created_at=ctx.now()))
    ctx.reply(
        _(
            "A matching pool of {amount} {unit} for #{hashtag}: at the next round's close it is split among "
            "the prototypes by quadratic matching of their distinct pledgers, {formula}.",
            amount=format_number(amount),
            unit=shown_unit(_, unit),
            hashtag=campaign.hashtag,
            formula=FORMULA,
        )
    )


@commands.on(ROUND_CLOSED)
def split_at_close(effects: Effects, round_: Round) -> list[str]:
    """Split the campaign's waiting pool among its prototypes; the digest's lines about it."""
    pool = waiting_pool(effects, round_.campaign_id)
    if pool is None:
        return []
    prototypes = effects.session.exec(
        select(Prototype).where(Prototype.campaign_id == round_.campaign_id).order_by(col(Prototype.id))
    ).all()
    by_pledger: dict[int, dict[tuple[str, int], float]] = {
        prototype.id: defaultdict(float) for prototype in prototypes
    }
    pledges = effects.session.exec(
        select(Pledge).where(
            col(Pledge.prototype_id).in_(list(by_pledger)),
            Pledge.unit == pool.unit,
            Pledge.status != PLEDGE_LAPSED,
        )
    )
    for pledge in pledges:
        pledger = (
            ("organisation", pledge.organisation_id)
            if pledge.organisation_id
            else ("member", pledge.member_id or -pledge.id)
        )
        by_pledger[pledge.prototype_id][pledger] += pledge.amount
    shares = split_pool(
        pool.amount, {prototype_id: list(totals.values()) for prototype_id, totals in by_pledger.items()}
    )
    for prototype_id, (match, share) in shares.items():
        totals = by_pledger[prototype_id]
        effects.session.add(
            PoolAllocation(
                pool_id=pool.id,
                prototype_id=prototype_id,
                pledgers=len(totals),
                pledged=sum(totals.values()),
                match=match,
                share=share,
            )
        )
    pool.round_id, pool.allocated_at = round_.id, effects.now()
    effects.session.flush()
    return ["", *allocation_lines(effects, pool)]


def allocation_lines(effects: Effects, pool: Pool) -> list[str]:
    _, ngettext = texts_for(effects)
    lines = [
        _(
            "The matching pool of {amount} {unit}, split by {formula} over each prototype's distinct pledgers:",
            amount=format_number(pool.amount),
            unit=shown_unit(_, pool.unit),
            formula=FORMULA,
        )
    ]
    allocations = effects.session.exec(
        select(PoolAllocation)
        .where(PoolAllocation.pool_id == pool.id)
        .order_by(col(PoolAllocation.prototype_id))
    )
    for allocation in allocations:
        prototype = effects.session.get_one(Prototype, allocation.prototype_id)
        lines.append(
            _(
                "{prototype} · {title}: {pledgers}, {pledged} pledged, match {match}: {share} {unit}",
                prototype=prototype_ref(prototype),
                title=prototype.title,
                pledgers=ngettext("{count} pledger", "{count} pledgers", allocation.pledgers),
                pledged=format_number(round(allocation.pledged, 2)),
                match=format_number(round(allocation.match, 2)),
                share=format_number(round(allocation.share, 2)),
                unit=shown_unit(_, pool.unit),
            )
        )
    return lines


@commands.on(REPORT_PARTS)
def report_pools(effects: Effects, campaign: Campaign | None) -> list[str]:
    """The campaign's pools: those split, with each prototype's share, and one still waiting."""
    _ = texts_for(effects)[0]
    campaign_ids = report_campaign_ids(effects, campaign)
    lines: list[str] = []
    for pool in effects.session.exec(
        select(Pool).where(col(Pool.campaign_id).in_(campaign_ids)).order_by(col(Pool.id))
    ):
        if pool.allocated_at is None:
            lines.append(
                _(
                    "A matching pool of {amount} {unit} waits for the next round's close.",
                    amount=format_number(pool.amount),
                    unit=shown_unit(_, pool.unit),
                )
            )
        else:
            lines += allocation_lines(effects, pool)
    return lines
