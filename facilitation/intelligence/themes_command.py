"""/themes: a campaign's themes in chat, the digest and then the map.

Stored themes that are still the campaign's are posted at once, and so are those of a campaign small
enough to group in a moment. A larger campaign is read on the core's worker and grouped off it
(`Effects.defer`), with a word that the digest is coming: grouping thousands of ideas takes seconds
that no one else's messages should wait for.
"""

from __future__ import annotations

import numpy as np

from facilitation.intelligence import clustering
from facilitation.intelligence.similarity import MULTILINGUAL_WAIT_SECONDS
from facilitation.intelligence.theme_map import MAP_MIN_IDEAS
from facilitation.intelligence.themes import (
    CampaignThemes,
    digest_text,
    draw_map,
    fresh_themes,
    save_themes,
    theme_inputs,
)
from facilitation.kernel.context import Context, Effects
from facilitation.kernel.events import Address
from facilitation.kernel.hooks import THEME_LEANINGS
from facilitation.kernel.i18n import N_, translator
from facilitation.kernel.router import CommandSet, UserError
from facilitation.membership.campaigns import resolve_campaign
from storage.models import Campaign, Idea

commands = CommandSet()

GROUPED_AT_ONCE_MAX_IDEAS = 300
"""Up to this many ideas, grouping takes a fraction of a second and the digest comes with the answer."""


@commands.command("themes", N_("Show the themes of a campaign's ideas, with a map"), N_("/themes [#hashtag]"))
def themes_command(ctx: Context, args: str) -> None:
    _ = ctx._
    campaign, _rest = resolve_campaign(ctx, args)
    index = ctx.index
    embedder = index.embedder_for(ctx.session, campaign.id) if index is not None else None
    if embedder is not None and embedder is not index.embedder:
        embedder.wait_ready(MULTILINGUAL_WAIT_SECONDS)
    if embedder is None or not embedder.ready:
        raise UserError(
            _("Themes need the language model, which is still loading. Please try again in a minute.")
        )
    address, language = ctx.incoming.address, ctx.member.language
    fresh = fresh_themes(ctx.session, campaign, embedder)
    if fresh is not None:
        post_themes(ctx, address, language, fresh)
        return

    def embedded(idea: Idea, vector: np.ndarray) -> None:
        """Close-idea lookups learn the vectors stored here, once they are committed."""
        if index is not None:
            ctx.on_commit.append(lambda: index.added(idea.campaign_id, idea.id, idea.member_id, vector))

    inputs = theme_inputs(ctx.session, campaign, embedder, embedded)
    if len(inputs.ids) <= GROUPED_AT_ONCE_MAX_IDEAS:
        post_themes(ctx, address, language, save_themes(ctx, campaign, inputs, inputs.group()))
        return
    ctx.reply(
        ctx.ngettext(
            "Grouping {count} idea of #{hashtag} into themes: the digest follows in a moment.",
            "Grouping {count} ideas of #{hashtag} into themes: the digest follows in a moment.",
            len(inputs.ids),
            hashtag=campaign.hashtag,
        )
    )
    campaign_id = campaign.id

    def finish(effects: Effects, found: clustering.ThemeMap) -> None:
        campaign_now = effects.session.get(Campaign, campaign_id)
        if campaign_now is not None:
            post_themes(effects, address, language, save_themes(effects, campaign_now, inputs, found))

    def failed(effects: Effects) -> None:
        gettext, _n = translator(language)
        effects.send(
            address,
            gettext("I could not group the ideas into themes just now. Please try /themes again later."),
            language=language,
        )

    ctx.defer(inputs.group, finish, failed)


def post_themes(effects: Effects, address: Address, language: str, result: CampaignThemes) -> None:
    """The digest, then the map as a picture, or why there is none yet, in the asker's language."""
    _, ngettext = translator(language)
    ideas_of: dict[int, list[int]] = {}
    for idea_id, (theme_id, _sub) in result.placement.items():
        if theme_id is not None:
            ideas_of.setdefault(theme_id, []).append(idea_id)
    notes: dict[int, str] = {}
    for part in effects.hooks.call(THEME_LEANINGS, effects, result.campaign, ideas_of, _):
        notes.update(part)
    effects.send(address, digest_text(result, _, ngettext, notes), language=language)
    path = draw_map(result, effects.config.data_dir, _)
    if path is None and result.themes:
        effects.send(
            address,
            _(
                "No theme map yet: a map is drawn from {minimum} ideas, and #{hashtag} has {count}.",
                minimum=MAP_MIN_IDEAS,
                hashtag=result.campaign.hashtag,
                count=len(result.idea_ids),
            ),
            language=language,
        )
    if path is not None:
        effects.send(
            address,
            _("Theme map of #{hashtag}", hashtag=result.campaign.hashtag),
            image_path=str(path),
            language=language,
        )
