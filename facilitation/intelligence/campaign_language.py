"""`/campaign #hashtag language en|fr|mixed`: the language of a campaign's ideas, which chooses their model.

English campaigns are embedded by EMBEDDING_MODEL (all-MiniLM-L6-v2), French and mixed ones by the
multilingual model (see `IdeaIndex.embedder_for`). A campaign starts in its facilitator's language. When a
change of language changes the model, the campaign's ideas are embedded by the new one off the core's
worker (`Effects.defer`), and close ideas and themes read only the new model's vectors from then on.
"""

from __future__ import annotations

import logging

import numpy as np

from facilitation.intelligence.embeddings import ideas_without_embedding, store_embeddings
from facilitation.intelligence.similarity import CAMPAIGN_LANGUAGES
from facilitation.kernel.context import Context, Effects
from facilitation.kernel.hooks import CAMPAIGN_SETTING
from facilitation.kernel.i18n import N_
from facilitation.kernel.router import CommandSet, UserError
from storage.models import Campaign

log = logging.getLogger(__name__)

commands = CommandSet()

LANGUAGE_SETTING = "language"

LANGUAGE_NAMES = {"en": N_("English"), "fr": N_("French"), "mixed": N_("French and English")}


@commands.on(CAMPAIGN_SETTING)
def set_language(ctx: Context, campaign: Campaign, name: str, value: str) -> bool:
    if name != LANGUAGE_SETTING:
        return False
    _ = ctx._
    language = value.casefold()
    if language not in CAMPAIGN_LANGUAGES:
        raise UserError(
            _("Choose the language of #{hashtag}'s ideas: en, fr or mixed.", hashtag=campaign.hashtag)
        )
    index = ctx.index
    before = index.embedder_for(ctx.session, campaign.id) if index is not None else None
    campaign.language = language
    ctx.reply(
        _(
            "The ideas of #{hashtag} are now read as {language}.",
            hashtag=campaign.hashtag,
            language=_(LANGUAGE_NAMES[language]),
        )
    )
    if index is None:
        return True
    embedder = index.embedder_for(ctx.session, campaign.id)
    if embedder is before:
        return True
    campaign_id = campaign.id
    ctx.on_commit.append(lambda: index.forget(campaign_id))
    ideas = ideas_without_embedding(ctx.session, embedder.name, None, {language}, campaign_id)
    if not ideas:
        return True
    idea_ids, texts = [idea.id for idea in ideas], [idea.text for idea in ideas]

    def stored(effects: Effects, vectors: np.ndarray) -> None:
        """The vectors of the new model; the next close-idea lookup reads them (the commit follows on this
        worker turn, before any lookup)."""
        store_embeddings(effects.session, idea_ids, vectors, embedder.name)
        index.forget(campaign_id)

    def failed(effects: Effects) -> None:
        log.warning("ideas left to embed at the next start campaign=%s count=%d", campaign_id, len(texts))

    ctx.defer(lambda: embedder.encode(texts), stored, failed)
    return True
