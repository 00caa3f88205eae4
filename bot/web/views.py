"""The campaign pages that only read: what each shows and from which data, one entry per page. The
handlers (sign-in, the campaign check, the session) are `Dashboard.view_page`'s."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session

from facilitation.dashboard.commitments import commitments_view
from facilitation.dashboard.goals import goal_cards
from facilitation.dashboard.moderation import as_facilitator
from facilitation.dashboard.opinions import groups_view
from facilitation.dashboard.prototypes import BUDGET_BAR_HEIGHT, BUDGET_BAR_WIDTH, prototypes_view
from facilitation.dashboard.rounds import rounds_view
from facilitation.dashboard.themes import MAP_HEIGHT, MAP_WIDTH
from facilitation.kernel.core import Core
from facilitation.kernel.i18n import translator
from storage.models import Campaign, Member

Build = Callable[[Core, Session, Member, Campaign], dict[str, Any]]


@dataclass(frozen=True)
class View:
    template: str
    build: Build
    uses_model: bool = False
    """Read on the core's worker, where the campaign's language model encodes (see `feedback_summaries`)."""


def _groups(core: Core, session: Session, member: Member, campaign: Campaign) -> dict[str, Any]:
    return {
        "groups": groups_view(session, campaign, *translator(member.language)),
        "width": MAP_WIDTH,
        "height": MAP_HEIGHT,
    }


def _rounds(core: Core, session: Session, member: Member, campaign: Campaign) -> dict[str, Any]:
    return {"view": rounds_view(session, campaign, member, core.config.clock())}


def _prototypes(core: Core, session: Session, member: Member, campaign: Campaign) -> dict[str, Any]:
    incoming = as_facilitator(session, member.id)  # type: ignore[arg-type]
    assert incoming is not None  # a session's member has an account: links are made for one
    ctx = core.context_for(session, incoming)
    return {
        "view": prototypes_view(ctx, campaign),
        "bar_width": BUDGET_BAR_WIDTH,
        "bar_height": BUDGET_BAR_HEIGHT,
    }


def _commitments(core: Core, session: Session, member: Member, campaign: Campaign) -> dict[str, Any]:
    _, _ngettext = translator(member.language)
    return {"view": commitments_view(session, campaign, member, core.config.clock(), _)}


def _goals(core: Core, session: Session, member: Member, campaign: Campaign) -> dict[str, Any]:
    _, _ngettext = translator(member.language)
    return {"goals": goal_cards(session, campaign, _)}


VIEWS = {  # by path, after /c/<campaign>/, which is also the name of the page in the navigation
    "groups": View("groups.html", _groups),
    "rounds": View("rounds.html", _rounds),
    "prototypes": View("prototypes.html", _prototypes, uses_model=True),
    "commitments": View("commitments.html", _commitments),
    "goals": View("goals.html", _goals),
}
