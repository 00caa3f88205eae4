"""The opinion groups section: the stored groups as /groups tells them, once the background job computed
them; until then, a word that they are not."""

from __future__ import annotations

from collections.abc import Callable

from sqlmodel import Session

from facilitation.planning.group_store import stored_groups
from facilitation.planning.opinions import groups_text
from storage.models import Campaign, OpinionGroupState


def opinion_lines(
    session: Session, campaign: Campaign, _: Callable[..., str], ngettext: Callable[..., str]
) -> list[str] | None:
    """The groups' digest line by line, or None while they were never computed for this campaign.

    Reading computes and stores nothing: the groups are recomputed in the background after votes."""
    stored = session.get(OpinionGroupState, campaign.id)
    if stored is None or stored.computed_at is None:
        return None
    return groups_text(stored_groups(session, campaign), _, ngettext).splitlines()
