"""The opinion groups section: the groups as /groups tells them, once they were computed; until then, a
word that they are not."""

from __future__ import annotations

from collections.abc import Callable

from sqlmodel import Session

from facilitation.planning.opinions import campaign_groups, groups_text
from storage.models import Campaign, OpinionGroupState


def opinion_lines(
    session: Session, campaign: Campaign, _: Callable[..., str], ngettext: Callable[..., str]
) -> list[str] | None:
    """The groups' digest line by line, or None when /groups never computed them for this campaign.

    The session must not be committed: reading the groups must not count as asking for them again."""
    if session.get(OpinionGroupState, campaign.id) is None:
        return None
    return groups_text(campaign_groups(session, campaign), _, ngettext).splitlines()
