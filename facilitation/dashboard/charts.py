"""Inline SVG geometry for the dashboard's charts: plain numbers the page template draws, so the charts
show without JavaScript."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

CHART_WIDTH = 560
CHART_HEIGHT = 180
MARGIN = 28


@dataclass(frozen=True)
class Line:
    name: str
    points: str
    """SVG polyline points, "x,y x,y ..."."""
    total: int


@dataclass(frozen=True)
class DailyChart:
    width: int
    height: int
    top: int
    """The largest daily count: the height of the top grid line."""
    lines: list[Line]
    labels: list[tuple[float, str]]
    """x positions and texts of the day labels shown under the axis."""


def daily_chart(days: Sequence[str], series: dict[str, list[int]], label_every: int = 3) -> DailyChart:
    top = max([1, *(value for values in series.values() for value in values)])
    plot_width = CHART_WIDTH - 2 * MARGIN
    plot_height = CHART_HEIGHT - 2 * MARGIN
    step = plot_width / max(len(days) - 1, 1)

    def x(index: int) -> float:
        return round(MARGIN + index * step, 1)

    def y(value: int) -> float:
        return round(CHART_HEIGHT - MARGIN - value * plot_height / top, 1)

    lines = [
        Line(name, " ".join(f"{x(i)},{y(value)}" for i, value in enumerate(values)), sum(values))
        for name, values in series.items()
    ]
    labels = [(x(i), day) for i, day in enumerate(days) if i % label_every == 0 or i == len(days) - 1]
    return DailyChart(CHART_WIDTH, CHART_HEIGHT, top, lines, labels)
