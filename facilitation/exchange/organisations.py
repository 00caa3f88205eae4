"""Organisations as stakeholders: `/org <name> | <sector>` asks to speak for one, a facilitator confirms
(`/org confirm <person>`), and then offers, needs and pledges can be made in its name (`… as <name>`).
Organisations are public: the report and the open data name them, while residents stay pseudonymous."""

from __future__ import annotations

import re
from collections import defaultdict

from sqlalchemy import func
from sqlmodel import col, select

from facilitation.civic.goals import format_number
from facilitation.exchange.matching import gettext_for, report_campaign_ids, send_directly
from facilitation.exchange.units import shown_unit
from facilitation.kernel.context import Context, Effects, texts_for
from facilitation.kernel.hooks import COMMITTED, REPORT_PARTS
from facilitation.kernel.i18n import N_
from facilitation.kernel.router import HASHTAG_OPTION, CommandSet, Option, Refusal, UsageError, UserError
from facilitation.kernel.text import clean_user_text
from facilitation.membership.campaigns import resolve_campaign
from facilitation.membership.members import named_member
from storage.exchange import NEED, OFFER, ORGANISATION_NAME_MAX_LENGTH, PLEDGE_LAPSED, SECTORS
from storage.models import (
    Campaign,
    Commitment,
    ExchangePost,
    Organisation,
    OrganisationCommitment,
    OrganisationSpeaker,
    Pledge,
)

commands = CommandSet()

SECTOR_NAMES = {
    "public": N_("public"),
    "private": N_("private"),
    "non-profit": N_("non-profit"),
    "community": N_("community"),
}
"""Each stored sector as readers see it, in their language."""
SECTOR_WORDS = {
    **{sector: sector for sector in SECTORS},
    "nonprofit": "non-profit",
    "not-for-profit": "non-profit",
    "publique": "public",
    "privé": "private",
    "privée": "private",
    "prive": "private",
    "privee": "private",
    "associatif": "non-profit",
    "associative": "non-profit",
    "sans-but-lucratif": "non-profit",
    "à-but-non-lucratif": "non-profit",
    "a-but-non-lucratif": "non-profit",
    "communautaire": "community",
}
"""The sector as written in English or French (spaces read as hyphens), to the one stored."""
ORGANISATIONS_PER_MEMBER = 5
"""Organisations one member may ask to speak for in a campaign."""
ACTING_AS = re.compile(r"(?:^|\s+)(?:as|au nom de)\s+", re.IGNORECASE)


def organisation_named(ctx: Context, campaign: Campaign, name: str) -> Organisation | None:
    return ctx.session.exec(
        select(Organisation).where(
            Organisation.campaign_id == campaign.id, func.lower(Organisation.name) == name.strip().casefold()
        )
    ).first()


def acting_as(ctx: Context, campaign: Campaign, text: str) -> tuple[str, Organisation | None]:
    """`text` without a trailing `as <organisation>` naming one of the campaign's organisations, and that
    organisation, which the sender must be confirmed to speak for; else `text` as it is."""
    for found in reversed(list(ACTING_AS.finditer(text))):
        organisation = organisation_named(ctx, campaign, text[found.end() :])
        if organisation is None:
            continue
        speaker = ctx.session.get(OrganisationSpeaker, (organisation.id, ctx.member.id))
        if speaker is None or speaker.confirmed_at is None:
            raise Refusal(
                ctx._(
                    "You do not speak for {name} yet: ask with /org {name} | <sector>, and a facilitator "
                    "confirms it. Nothing was saved.",
                    name=organisation.name,
                )
            )
        return text[: found.start()], organisation
    return text, None


@commands.command(
    "org",
    N_("Ask to speak for an organisation; facilitators confirm who does"),
    N_("/org [#hashtag] <name> | <public, private, non-profit or community>, or /org confirm <person>"),
    options=(
        HASHTAG_OPTION,
        Option("organisation", N_("Its name | its sector, or confirm and a person"), required=True),
    ),
)
def org_command(ctx: Context, args: str) -> None:
    _ = ctx._
    campaign, rest = resolve_campaign(ctx, args)
    if rest.casefold().startswith("confirm"):
        confirm(ctx, campaign, rest[len("confirm") :])
        return
    name, _bar, sector_word = rest.partition("|")
    name = clean_user_text(name)
    sector = SECTOR_WORDS.get("-".join(sector_word.casefold().split()))
    if not name or sector is None:
        raise UsageError(_("Name the organisation and its sector: /org Parks Club | community."))
    if len(name) > ORGANISATION_NAME_MAX_LENGTH:
        raise UserError(
            _("An organisation's name has {limit} characters at most.", limit=ORGANISATION_NAME_MAX_LENGTH)
        )
    organisation = organisation_named(ctx, campaign, name)
    if organisation is None:
        organisation = Organisation(campaign_id=campaign.id, name=name, sector=sector, created_at=ctx.now())
        ctx.session.add(organisation)
        ctx.session.flush()
    speaker = ctx.session.get(OrganisationSpeaker, (organisation.id, ctx.member.id))
    if speaker is not None:
        ctx.reply(_("You already asked to speak for {name}.", name=organisation.name))
        return
    asked = ctx.session.exec(
        select(func.count())
        .select_from(OrganisationSpeaker)
        .join(Organisation, col(Organisation.id) == col(OrganisationSpeaker.organisation_id))
        .where(OrganisationSpeaker.member_id == ctx.member.id, Organisation.campaign_id == campaign.id)
    ).one()
    if asked >= ORGANISATIONS_PER_MEMBER:
        raise UserError(
            _(
                "You speak for {limit} organisations already, the most one person may.",
                limit=ORGANISATIONS_PER_MEMBER,
            )
        )
    ctx.session.add(
        OrganisationSpeaker(organisation_id=organisation.id, member_id=ctx.member.id, requested_at=ctx.now())
    )
    ctx.reply(
        _(
            "You asked to speak for {name} ({sector}) in #{hashtag}. Once a facilitator confirms it with "
            "/org confirm and your name, add “as {name}” to an offer, a need, a commitment or a pledge.",
            name=organisation.name,
            sector=_(SECTOR_NAMES[organisation.sector]),
            hashtag=campaign.hashtag,
        )
    )


def confirm(ctx: Context, campaign: Campaign, person: str) -> None:
    _ = ctx._
    ctx.require_facilitator(campaign)
    member = named_member(ctx, person)
    pending = ctx.session.exec(
        select(OrganisationSpeaker, Organisation)
        .join(Organisation, col(Organisation.id) == col(OrganisationSpeaker.organisation_id))
        .where(
            OrganisationSpeaker.member_id == member.id,
            Organisation.campaign_id == campaign.id,
            col(OrganisationSpeaker.confirmed_at).is_(None),
        )
    ).all()
    if not pending:
        raise UserError(
            _(
                "{name} has no request to speak for an organisation of #{hashtag}.",
                name=member.pseudonym,
                hashtag=campaign.hashtag,
            )
        )
    for speaker, _organisation in pending:
        speaker.confirmed_at = ctx.now()
    names = ", ".join(organisation.name for _speaker, organisation in pending)
    ctx.reply(_("{person} now speaks for {names}.", person=member.pseudonym, names=names))
    gettext = gettext_for(member)
    send_directly(
        ctx,
        member,
        gettext("You now speak for {names} in #{hashtag}.", names=names, hashtag=campaign.hashtag),
    )


@commands.on(COMMITTED)
def commitment_in_its_name(ctx: Context, commitment: Commitment) -> list[str]:
    """`/commit … as <organisation> by …`: the commitment is the organisation's, its speaker keeping it."""
    campaign = ctx.session.get(Campaign, commitment.campaign_id) if commitment.campaign_id else None
    if campaign is None:
        return []
    action, organisation = acting_as(ctx, campaign, commitment.action)
    if organisation is None or not action.strip():
        return []
    commitment.action = action.strip()
    ctx.session.add(OrganisationCommitment(commitment_id=commitment.id, organisation_id=organisation.id))
    return [ctx._("In the name of {name}.", name=organisation.name)]


@commands.on(REPORT_PARTS)
def organisations_by_sector(effects: Effects, campaign: Campaign | None) -> list[str]:
    """Each organisation, by sector, with what it offered, needed, committed to and pledged."""
    _, ngettext = texts_for(effects)
    campaign_ids = report_campaign_ids(effects, campaign)
    organisations = effects.session.exec(
        select(Organisation)
        .where(col(Organisation.campaign_id).in_(campaign_ids))
        .order_by(col(Organisation.name))
    ).all()
    by_sector: dict[str, list[str]] = defaultdict(list)
    for organisation in organisations:
        offers, needs = (
            effects.session.exec(
                select(func.count()).where(
                    ExchangePost.organisation_id == organisation.id, ExchangePost.kind == kind
                )
            ).one()
            for kind in (OFFER, NEED)
        )
        pledged: dict[str, float] = defaultdict(float)
        for pledge in effects.session.exec(
            select(Pledge).where(Pledge.organisation_id == organisation.id, Pledge.status != PLEDGE_LAPSED)
        ):
            pledged[pledge.unit] += pledge.amount
        parts = [
            ngettext("{count} offer", "{count} offers", offers),
            ngettext("{count} need", "{count} needs", needs),
        ]
        committed = effects.session.exec(
            select(func.count()).where(OrganisationCommitment.organisation_id == organisation.id)
        ).one()
        if committed:
            parts.append(ngettext("{count} commitment", "{count} commitments", committed))
        if pledged:
            amounts = ", ".join(
                f"{format_number(amount)} {shown_unit(_, unit)}" for unit, amount in pledged.items()
            )
            parts.append(_("pledged {amounts}", amounts=amounts))
        by_sector[organisation.sector].append(f"{organisation.name} ({', '.join(parts)})")
    if not by_sector:
        return []
    lines = [_("Organisations taking part, by sector:")]
    lines += [
        _(
            "{sector}: {organisations}",
            sector=_(SECTOR_NAMES[sector]),
            organisations="; ".join(by_sector[sector]),
        )
        for sector in SECTORS
        if sector in by_sector
    ]
    return lines
