"""The rounds page's data: every brainstorm round of a campaign on a timeline, oldest first, with its
prompt, when it opened and closed (or closes) in the facilitator's time zone, and how many ideas it drew."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from facilitation.dashboard.charts import Timeline, timeline
from facilitation.kernel.i18n import format_moment
from facilitation.kernel.refs import round_ref
from facilitation.membership.campaigns import OPEN
from facilitation.planning.rounds import idea_count
from storage.models import Campaign, Member, Round


@dataclass(frozen=True)
class RoundLine:
    ref: str
    prompt: str
    open: bool
    opened: str
    ended: str
    """When it closed, or for an open round when it closes."""
    ideas: int


@dataclass(frozen=True)
class RoundsView:
    rounds: list[RoundLine]
    chart: Timeline | None


def rounds_view(session: Session, campaign: Campaign, reader: Member, now: datetime) -> RoundsView:
    rounds = session.exec(select(Round).where(Round.campaign_id == campaign.id).order_by(col(Round.id))).all()

    def moment(at: datetime) -> str:
        return format_moment(at, reader.timezone, reader.language)

    lines, spans = [], []
    for round_ in rounds:
        still = round_.status == OPEN
        ended = round_.closes_at if still else (round_.closed_at or round_.closes_at)
        lines.append(
            RoundLine(
                round_ref(round_),
                round_.prompt,
                still,
                moment(round_.opened_at),
                moment(ended),
                idea_count(session, round_),
            )
        )
        spans.append((round_.opened_at, ended, f"{round_ref(round_)} · {round_.prompt}", still))
    if not spans:
        return RoundsView([], None)
    first = min(opened for opened, *_rest in spans)
    last = max(ended for _opened, ended, *_rest in spans)
    return RoundsView(lines, timeline(spans, moment(first), moment(last)))
