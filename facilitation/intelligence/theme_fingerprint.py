"""What a campaign's stored themes were computed from: a digest of its ideas in sight (ids, words, status,
merges) and the model. While the ideas give the same digest, the stored themes still hold."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence

from sqlmodel import Session, col, select

from storage.models import Campaign, Idea, ThemesFingerprint, utcnow


def shown_ideas_fingerprint(session: Session, campaign: Campaign, model: str) -> str:
    """`ideas_fingerprint` of the campaign's ideas in sight as they are now."""
    grouped = session.exec(
        select(Idea.id, Idea.text, Idea.status, Idea.merged_into_id)
        .where(Idea.campaign_id == campaign.id, Idea.shown())
        .order_by(col(Idea.id))
    ).all()  # plain rows: thousands of ideas read as objects would take most of the time saved
    return ideas_fingerprint(grouped, model)


def ideas_fingerprint(ideas: Iterable[Sequence[object]], model: str) -> str:
    """A digest of everything themes are computed from: each visible idea's (id, words, status, the idea
    it was merged into), in id order, and the model that embeds them."""
    digest = hashlib.sha256(model.encode())
    for idea in ideas:
        digest.update(json.dumps(list(idea)).encode())
    return digest.hexdigest()


def remember_fingerprint(session: Session, campaign: Campaign, fingerprint: str) -> None:
    remembered = session.get(ThemesFingerprint, campaign.id)
    if remembered is None:
        session.add(ThemesFingerprint(campaign_id=campaign.id, fingerprint=fingerprint))
        return
    remembered.fingerprint = fingerprint
    remembered.computed_at = utcnow()
