"""What exchange holds about a member, for /me and /forget: their offers and needs (with the matches and
gifts through them), their pledges and the organisations they speak for. All go with a forgotten member,
but for pledges made in an organisation's name: those stay, under the organisation, without the person."""

from __future__ import annotations

from sqlalchemy import delete, func, or_, update
from sqlmodel import col, select

from facilitation.kernel.context import Context
from facilitation.kernel.hooks import Forgetting, PersonalData
from facilitation.kernel.router import CommandSet
from storage.exchange import NEED, OFFER
from storage.models import ExchangeMatch, ExchangePost, Gift, Organisation, OrganisationSpeaker, Pledge

commands = CommandSet()


def _count(ctx: Context, statement) -> int:  # noqa: ANN001 (a select of one count)
    return ctx.session.exec(statement).one()


def describe(ctx: Context) -> list[str]:
    ngettext = ctx.ngettext
    member_id = ctx.member.id
    offers, needs = (
        _count(
            ctx,
            select(func.count()).where(ExchangePost.member_id == member_id, ExchangePost.kind == kind),
        )
        for kind in (OFFER, NEED)
    )
    pledges = _count(ctx, select(func.count()).where(Pledge.member_id == member_id))
    organisations = ctx.session.exec(
        select(Organisation.name)
        .join(OrganisationSpeaker, col(OrganisationSpeaker.organisation_id) == col(Organisation.id))
        .where(OrganisationSpeaker.member_id == member_id)
    ).all()
    return [
        ngettext("{count} offer", "{count} offers", offers),
        ngettext("{count} need", "{count} needs", needs),
        ngettext("{count} pledge", "{count} pledges", pledges),
        ctx._(
            "Organisations you asked to speak for: {names}", names=", ".join(organisations) or ctx._("none")
        ),
    ]


def erase(ctx: Context, forgetting: Forgetting) -> None:
    """Offers, needs, the matches and gifts through them, gifts they recorded, and pledges all go."""
    session = ctx.session
    posts = session.exec(select(ExchangePost).where(ExchangePost.member_id == forgetting.member_id)).all()
    post_ids = [post.id for post in posts]
    forgetting.words.update(post.text for post in posts)
    forgetting.campaign_ids.update(post.campaign_id for post in posts)
    matches = select(ExchangeMatch.id).where(
        or_(col(ExchangeMatch.offer_id).in_(post_ids), col(ExchangeMatch.need_id).in_(post_ids))
    )
    session.exec(  # type: ignore[call-overload]
        delete(Gift).where(
            or_(col(Gift.match_id).in_(matches), col(Gift.recorded_by_member_id) == forgetting.member_id)
        )
    )
    session.exec(  # type: ignore[call-overload]
        delete(ExchangeMatch).where(
            or_(col(ExchangeMatch.offer_id).in_(post_ids), col(ExchangeMatch.need_id).in_(post_ids))
        )
    )
    session.exec(delete(ExchangePost).where(col(ExchangePost.id).in_(post_ids)))  # type: ignore[call-overload]
    session.exec(  # type: ignore[call-overload]
        delete(Pledge).where(
            col(Pledge.member_id) == forgetting.member_id, col(Pledge.organisation_id).is_(None)
        )
    )
    session.exec(  # type: ignore[call-overload]
        update(Pledge).where(col(Pledge.member_id) == forgetting.member_id).values(member_id=None)
    )
    session.exec(  # type: ignore[call-overload]
        delete(OrganisationSpeaker).where(col(OrganisationSpeaker.member_id) == forgetting.member_id)
    )


commands.holds(
    PersonalData(
        tables=("exchangepost", "gift", "pledge", "organisationspeaker"), describe=describe, erase=erase
    )
)
