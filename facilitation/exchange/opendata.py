"""Exchange's tables in the open data package: organisations, offers, needs, matches (counts and hours,
never a contact), pledges with their states and conditions, budgets, pools and their allocations. Authors are the package's
pseudonyms; organisations are named, as they take part in public."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlmodel import Session, col, select

from facilitation.civic.opendata.tables import Pseudonyms, iso_utc, open_data_table
from storage.exchange import NEED, OFFER
from storage.models import (
    Budget,
    Campaign,
    ExchangeMatch,
    ExchangePost,
    Gift,
    Organisation,
    OrganisationCommitment,
    Pledge,
    Pool,
    PoolAllocation,
    Prototype,
)


def _posts(session: Session, campaign: Campaign, kind: str) -> Iterable[ExchangePost]:
    return session.exec(
        select(ExchangePost)
        .where(ExchangePost.campaign_id == campaign.id, ExchangePost.kind == kind)
        .order_by(col(ExchangePost.id))
    )


@open_data_table(
    "organisations",
    "Organisations taking part next to residents, by sector; named, as they take part in public.",
    """
    organisation_id  integer   Organisation identifier
    name             string    Its name, as its speakers gave it
    sector           string    public, private, non-profit or community
    created_at       datetime  When it first took part (UTC)
    """,
    primary_key="organisation_id",
)
def _organisation_rows(session: Session, campaign: Campaign, author: Pseudonyms) -> Iterable[tuple[Any, ...]]:
    organisations = session.exec(
        select(Organisation).where(Organisation.campaign_id == campaign.id).order_by(col(Organisation.id))
    )
    for organisation in organisations:
        yield (organisation.id, organisation.name, organisation.sector, iso_utc(organisation.created_at))


@open_data_table(
    "organisation_commitments",
    "Commitments made in the name of an organisation; the commitment itself is in commitments.",
    """
    commitment_id    integer   The commitment (commitments.commitment_id)
    organisation_id  integer   The organisation it was made in the name of (organisations.organisation_id)
    """,
    primary_key="commitment_id",
)
def _organisation_commitment_rows(
    session: Session, campaign: Campaign, author: Pseudonyms
) -> Iterable[tuple[Any, ...]]:
    links = session.exec(
        select(OrganisationCommitment)
        .join(Organisation, col(Organisation.id) == col(OrganisationCommitment.organisation_id))
        .where(Organisation.campaign_id == campaign.id)
        .order_by(col(OrganisationCommitment.commitment_id))
    )
    for link in links:
        yield (link.commitment_id, link.organisation_id)


@open_data_table(
    "offers",
    "What residents offered to give (skills, time, tools, space), verbatim.",
    """
    offer_id         integer   Offer identifier (o5 in chat)
    author           string    Pseudonymous id of its author, stable within this campaign
    organisation_id  integer   The organisation it was offered in the name of (organisations.organisation_id)
    text        string    The offer, as written
    status      string    open, withdrawn or expired
    created_at  datetime  When it was offered (UTC)
    expires_at  datetime  When it closes or closed (UTC)
    """,
    primary_key="offer_id",
)
def _offer_rows(session: Session, campaign: Campaign, author: Pseudonyms) -> Iterable[tuple[Any, ...]]:
    for post in _posts(session, campaign, OFFER):
        yield (
            post.id,
            author(post.member_id),
            post.organisation_id,
            post.text,
            post.status,
            iso_utc(post.created_at),
            iso_utc(post.expires_at),
        )


@open_data_table(
    "needs",
    "What residents and prototype teams said was needed, verbatim.",
    """
    need_id       integer   Need identifier (n6 in chat)
    author        string    Pseudonymous id of its author, stable within this campaign
    prototype_id  integer   The prototype whose team needs it (prototypes.prototype_id), if any
    organisation_id  integer   The organisation it was posted in the name of (organisations.organisation_id)
    text          string    The need, as written
    status        string    open or withdrawn
    created_at    datetime  When it was posted (UTC)
    """,
    primary_key="need_id",
)
def _need_rows(session: Session, campaign: Campaign, author: Pseudonyms) -> Iterable[tuple[Any, ...]]:
    for post in _posts(session, campaign, NEED):
        yield (
            post.id,
            author(post.member_id),
            post.prototype_id,
            post.organisation_id,
            post.text,
            post.status,
            iso_utc(post.created_at),
        )


@open_data_table(
    "matches",
    "Offers and needs connected by their authors, with what was given and confirmed; no contact data.",
    """
    match_id      integer   Match identifier (m3 in chat)
    offer_id      integer   The offer (offers.offer_id)
    need_id       integer   The need (needs.need_id)
    status        string    asked, connected or declined
    connected_at  datetime  When both sides agreed (UTC)
    hours_given   number    Hours given through it, confirmed by both sides
    things_given  integer   Gifts in kind through it, confirmed by both sides
    """,
    primary_key="match_id",
)
def _match_rows(session: Session, campaign: Campaign, author: Pseudonyms) -> Iterable[tuple[Any, ...]]:
    matches = session.exec(
        select(ExchangeMatch)
        .join(ExchangePost, col(ExchangePost.id) == col(ExchangeMatch.need_id))
        .where(ExchangePost.campaign_id == campaign.id)
        .order_by(col(ExchangeMatch.id))
    )
    for match in matches:
        gifts = session.exec(
            select(Gift).where(Gift.match_id == match.id, col(Gift.confirmed_at).is_not(None))
        ).all()
        hours = sum(gift.hours or 0 for gift in gifts)
        things = sum(1 for gift in gifts if gift.hours is None)
        yield (
            match.id,
            match.offer_id,
            match.need_id,
            match.status,
            iso_utc(match.connected_at),
            hours,
            things,
        )


def _campaign_prototypes(campaign: Campaign) -> Any:
    return select(Prototype.id).where(Prototype.campaign_id == campaign.id)


@open_data_table(
    "pledges",
    "Promises of money or hours to prototypes, with their condition and state; Townhall holds no money.",
    """
    pledge_id         integer   Pledge identifier (g4 in chat)
    prototype_id      integer   The prototype pledged to (prototypes.prototype_id)
    pledger           string    Pseudonymous id of the pledger, stable within this campaign
    organisation_id   integer   The organisation pledging (organisations.organisation_id), if any
    amount            number    Amount promised
    unit              string    An ISO 4217 currency code, or hours
    goal_id           integer   The shared goal it waits on (goals.goal_id), if conditional
    goal_value        number    The value that goal must reach
    lapses_at         datetime  When it lapses if not given (UTC), if it has a date
    status            string    promised, condition met, fulfilled or lapsed
    condition_met_at  datetime  When the goal reached its value (UTC)
    fulfilled_at      datetime  When its pledger said it was given (UTC)
    acknowledged_at   datetime  When the prototype's team acknowledged receiving it (UTC)
    created_at        datetime  When it was pledged (UTC)
    """,
    primary_key="pledge_id",
)
def _pledge_rows(session: Session, campaign: Campaign, author: Pseudonyms) -> Iterable[tuple[Any, ...]]:
    pledges = session.exec(
        select(Pledge)
        .where(col(Pledge.prototype_id).in_(_campaign_prototypes(campaign)))
        .order_by(col(Pledge.id))
    )
    for pledge in pledges:
        yield (
            pledge.id,
            pledge.prototype_id,
            author(pledge.member_id),
            pledge.organisation_id,
            pledge.amount,
            pledge.unit,
            pledge.goal_id,
            pledge.goal_value,
            iso_utc(pledge.lapses_at),
            pledge.status,
            iso_utc(pledge.condition_met_at),
            iso_utc(pledge.fulfilled_at),
            iso_utc(pledge.acknowledged_at),
            iso_utc(pledge.created_at),
        )


@open_data_table(
    "budgets",
    "What each prototype's team said it needs at least, and what would do it well.",
    """
    prototype_id  integer   The prototype (prototypes.prototype_id)
    minimum       number    The least it needs
    optimum       number    What would do it well
    unit          string    An ISO 4217 currency code, or hours
    set_at        datetime  When the team set it (UTC)
    """,
    primary_key="prototype_id",
)
def _budget_rows(session: Session, campaign: Campaign, author: Pseudonyms) -> Iterable[tuple[Any, ...]]:
    budgets = session.exec(
        select(Budget)
        .where(col(Budget.prototype_id).in_(_campaign_prototypes(campaign)))
        .order_by(col(Budget.prototype_id))
    )
    for budget in budgets:
        yield (budget.prototype_id, budget.minimum, budget.optimum, budget.unit, iso_utc(budget.set_at))


@open_data_table(
    "pools",
    "Sponsors' matching pools, split among the prototypes at a round's close by quadratic matching.",
    """
    pool_id       integer   Pool identifier
    amount        number    Amount of the pool
    unit          string    An ISO 4217 currency code, or hours
    round_id      integer   The round at whose close it was split (rounds.round_id), if it was
    created_at    datetime  When a facilitator set it (UTC)
    allocated_at  datetime  When it was split (UTC)
    """,
    primary_key="pool_id",
)
def _pool_rows(session: Session, campaign: Campaign, author: Pseudonyms) -> Iterable[tuple[Any, ...]]:
    for pool in session.exec(select(Pool).where(Pool.campaign_id == campaign.id).order_by(col(Pool.id))):
        yield (
            pool.id,
            pool.amount,
            pool.unit,
            pool.round_id,
            iso_utc(pool.created_at),
            iso_utc(pool.allocated_at),
        )


@open_data_table(
    "pool_allocations",
    "Each prototype's share of a pool: its match (Σ√cᵢ)² − Σcᵢ over its distinct pledgers' totals cᵢ, scaled "
    "so the shares add up to the pool.",
    """
    pool_id       integer   The pool (pools.pool_id)
    prototype_id  integer   The prototype (prototypes.prototype_id)
    pledgers      integer   Its distinct pledgers in the pool's unit
    pledged       number    What they pledged, in the pool's unit
    match         number    (Σ√cᵢ)² − Σcᵢ before scaling
    share         number    Its share of the pool
    """,
)
def _allocation_rows(session: Session, campaign: Campaign, author: Pseudonyms) -> Iterable[tuple[Any, ...]]:
    allocations = session.exec(
        select(PoolAllocation)
        .join(Pool, col(Pool.id) == col(PoolAllocation.pool_id))
        .where(Pool.campaign_id == campaign.id)
        .order_by(col(PoolAllocation.pool_id), col(PoolAllocation.prototype_id))
    )
    for allocation in allocations:
        yield (
            allocation.pool_id,
            allocation.prototype_id,
            allocation.pledgers,
            allocation.pledged,
            allocation.match,
            allocation.share,
        )
