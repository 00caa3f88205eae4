"""The commitments page's data: commitments by where they stand and the pods' check-ins answered week by
week, as the citizen report counts them: counts only, no one named or ranked."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session

from facilitation.civic.progress import (
    CheckInWeek,
    CommitmentCounts,
    active_pod_count,
    checkin_weeks,
    commitment_counts,
)
from facilitation.civic.report import bar_chart
from facilitation.membership.preferences import local_day
from storage.models import Campaign, Member


@dataclass(frozen=True)
class CommitmentsView:
    counts: CommitmentCounts
    pods: int
    weeks: list[CheckInWeek]
    chart: str
    """The weekly response rates as an inline SVG bar chart (escaped by its maker), or "" with no check-in."""


def commitments_view(
    session: Session, campaign: Campaign, reader: Member, now: datetime, _: Callable[..., str]
) -> CommitmentsView:
    weeks = checkin_weeks(session, campaign)
    rates = {week.week_of: week.response_rate or 0 for week in weeks}
    return CommitmentsView(
        commitment_counts(session, campaign, local_day(reader, now)),
        active_pod_count(session, campaign),
        weeks,
        bar_chart(rates, _("check-ins answered per week (%)"), timedelta(weeks=1), top=100) if weeks else "",
    )
