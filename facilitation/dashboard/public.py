"""A campaign's public web page, off until a facilitator says /public on: the invitation and challenge,
the goals with their charts, the themes with verbatim quotes and the map, the prototypes and how to join,
and the open data. No pseudonym, member list or moderation shows there."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import func
from sqlmodel import Session, col, select

from facilitation.dashboard.goals import GoalCard, goal_cards
from facilitation.dashboard.themes import ThemesView, themes_view
from facilitation.kernel.context import Context
from facilitation.kernel.i18n import N_, SUPPORTED_LANGUAGES, translator
from facilitation.kernel.refs import prototype_ref
from facilitation.kernel.router import CommandSet, Role, UsageError
from facilitation.kernel.text import normalise_hashtag
from facilitation.membership.campaigns import resolve_campaign
from storage.models import Campaign, Prototype, PrototypeVersion, PublicPage

commands = CommandSet()
PUBLIC_PATH = "/p/"
MAX_LANGUAGES_READ = 20
"""Accept-Language entries read: a browser sends a handful."""


@commands.command(
    "public",
    N_("Turn the campaign's public web page on or off"),
    N_("/public on|off [#hashtag]"),
    role=Role.FACILITATOR,
)
def public_command(ctx: Context, args: str) -> None:
    _ = ctx._
    campaign, rest = resolve_campaign(ctx, args)
    ctx.require_facilitator(campaign)
    choice = rest.strip().casefold()
    if choice not in ("on", "off"):
        raise UsageError(_("Say on or off."))
    page = ctx.session.get(PublicPage, campaign.id)
    if choice == "off":
        if page is not None:
            ctx.session.delete(page)
        ctx.reply(_("The public page of #{hashtag} is off.", hashtag=campaign.hashtag))
        return
    if page is None:
        ctx.session.add(PublicPage(campaign_id=campaign.id, created_at=ctx.now()))
    address = f"{ctx.config.web_url}{PUBLIC_PATH}{campaign.hashtag}" if ctx.config.web_url else ""
    ctx.reply(
        _("The public page of #{hashtag} is on: {address}", hashtag=campaign.hashtag, address=address)
        if address
        else _(
            "The public page of #{hashtag} is on; it shows once the web dashboard is turned on (DASHBOARD_PORT).",
            hashtag=campaign.hashtag,
        )
    )


@dataclass(frozen=True)
class PublicCampaign:
    campaign: Campaign
    language: str
    """The language the page is written in."""
    goals: list[GoalCard]
    themes: ThemesView
    prototypes: list[tuple[str, str, int]]
    """(ref, title, versions published) of each prototype."""


def public_campaign(
    session: Session, hashtag: str, language_for: Callable[[Campaign], str]
) -> PublicCampaign | None:
    """The open campaign with this hashtag, if its public page is on, in the language `language_for` picks
    for it."""
    campaign = session.exec(
        select(Campaign).where(Campaign.hashtag == normalise_hashtag(hashtag), Campaign.status == "open")
    ).first()
    if campaign is None or session.get(PublicPage, campaign.id) is None:
        return None
    versions = dict(
        session.exec(
            select(PrototypeVersion.prototype_id, func.count()).group_by(col(PrototypeVersion.prototype_id))
        ).all()
    )
    prototypes = [
        (prototype_ref(prototype), prototype.title, versions.get(prototype.id, 0))
        for prototype in session.exec(
            select(Prototype).where(Prototype.campaign_id == campaign.id).order_by(col(Prototype.id))
        )
    ]
    language = language_for(campaign)
    _, _ngettext = translator(language)
    return PublicCampaign(
        campaign, language, goal_cards(session, campaign, _), themes_view(session, campaign), prototypes
    )


def visitor_language(accept_language: str, campaign: Campaign, default: str) -> str:
    """The first of English and French the visitor's browser asks for (Accept-Language, by its weights),
    else the campaign's language, else `default` (for a mixed campaign)."""
    asked = []
    for position, part in enumerate(accept_language.split(",")[:MAX_LANGUAGES_READ]):
        tag, _semicolon, params = part.strip().partition(";")
        weight = 1.0
        if params.strip().startswith("q="):
            try:
                weight = float(params.strip()[2:])
            except ValueError:
                continue
        language = tag.strip().split("-")[0].casefold()
        if language in SUPPORTED_LANGUAGES and weight > 0:
            asked.append((-weight, position, language))
    if asked:
        return min(asked)[2]
    return campaign.language if campaign.language in SUPPORTED_LANGUAGES else default
