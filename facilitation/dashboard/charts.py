"""Inline SVG geometry for the dashboard's charts: plain numbers the page template draws, so the charts
show without JavaScript."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

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


TIMELINE_ROW = 26
"""Height of one round's row on the timeline."""


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    label: str
    open: bool


@dataclass(frozen=True)
class Timeline:
    width: int
    height: int
    bars: list[Bar]
    start: str
    end: str


def timeline(spans: Sequence[tuple[datetime, datetime, str, bool]], start: str, end: str) -> Timeline:
    """One bar per (opened, ended, label, still open) span, oldest on top, on a time axis from the first
    opening to the last end; `start` and `end` label the axis's two ends."""
    first = min(opened for opened, _end, _label, _open in spans)
    last = max(ended for _opened, ended, _label, _open in spans)
    seconds = max((last - first).total_seconds(), 1.0)
    plot_width = CHART_WIDTH - 2 * MARGIN

    def x(moment: datetime) -> float:
        return round(MARGIN + (moment - first).total_seconds() * plot_width / seconds, 1)

    bars = [
        Bar(
            x(opened), MARGIN / 2 + row * TIMELINE_ROW, max(round(x(ended) - x(opened), 1), 2.0), label, still
        )
        for row, (opened, ended, label, still) in enumerate(spans)
    ]
    return Timeline(CHART_WIDTH, int(MARGIN * 1.5 + len(spans) * TIMELINE_ROW), bars, start, end)
