"""A campaign's shared goals as the dashboard and the public page show them: the latest value against the
target, and the measurements over time as the citizen report's inline SVG chart (readable without script)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlmodel import Session, col, select

from facilitation.civic.goals import format_number
from facilitation.civic.report import line_chart
from storage.models import Campaign, Goal, GoalMeasurement


@dataclass(frozen=True)
class GoalCard:
    name: str
    target: str
    unit: str
    latest: str | None
    measurements: int
    chart: str
    """An inline SVG of the measurements against the target (escaped by its maker), or "" before any."""


def goal_cards(session: Session, campaign: Campaign, _: Callable[..., str]) -> list[GoalCard]:
    """Each goal of `campaign` in the order they were set, with its measurements still standing."""
    cards = []
    for goal in session.exec(select(Goal).where(Goal.campaign_id == campaign.id).order_by(col(Goal.id))):
        points = [
            (row.recorded_at, row.value)
            for row in session.exec(
                select(GoalMeasurement)
                .where(GoalMeasurement.goal_id == goal.id, col(GoalMeasurement.removed_at).is_(None))
                .order_by(col(GoalMeasurement.recorded_at), col(GoalMeasurement.id))
            )
        ]
        cards.append(
            GoalCard(
                goal.name,
                format_number(goal.target),
                goal.unit,
                format_number(points[-1][1]) if points else None,
                len(points),
                line_chart(points, goal.target, _("{name} over time", name=goal.name)),
            )
        )
    return cards
