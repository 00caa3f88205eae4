"""The citizen report: one self-contained HTML page telling residents where their campaign stands.

Charts are inline SVG drawn here, so the page needs no network, no script and no plotting library.
Everything residents wrote is escaped; authors appear only as counts.
"""

from __future__ import annotations

import html
from collections import Counter
from datetime import date, datetime, timedelta

from sqlmodel import Session, col, select

from facilitation.goals import format_number
from facilitation.i18n import translator
from facilitation.opendata import LICENSES, visible_ideas
from storage.models import Campaign, Goal, GoalMeasurement, Membership

CHART_WIDTH = 560
CHART_HEIGHT = 180
CHART_MARGIN = 32
MAX_BAR_WIDTH = 48
QUOTES_SHOWN = 5


def _escape(text: object) -> str:
    return html.escape(str(text), quote=True)


def _element(tag: str, text: str) -> str:
    return f"<{tag}>{_escape(text)}</{tag}>"


def line_chart(points: list[tuple[datetime, float]], target: float, label: str) -> str:
    """Measurements over time against the target, as an SVG with a text alternative."""
    if not points:
        return ""
    start, end = points[0][0], points[-1][0]
    span = (end - start).total_seconds()
    top = max(target, *(value for _, value in points)) or 1.0
    inner_w, inner_h = CHART_WIDTH - 2 * CHART_MARGIN, CHART_HEIGHT - 2 * CHART_MARGIN

    def x(moment: datetime) -> float:
        return CHART_MARGIN + inner_w * ((moment - start).total_seconds() / span if span else 0.5)

    def y(value: float) -> float:
        return CHART_MARGIN + inner_h * (1 - value / top)

    path = " ".join(f"{x(moment):.1f},{y(value):.1f}" for moment, value in points)
    dots = "".join(f'<circle cx="{x(m):.1f}" cy="{y(v):.1f}" r="3"/>' for m, v in points)
    return (
        f'<svg class="chart" viewBox="0 0 {CHART_WIDTH} {CHART_HEIGHT}" role="img" aria-label="{_escape(label)}">'
        f'<line class="target" x1="{CHART_MARGIN}" x2="{CHART_WIDTH - CHART_MARGIN}" y1="{y(target):.1f}" '
        f'y2="{y(target):.1f}"/><text x="{CHART_WIDTH - CHART_MARGIN}" y="{y(target) - 4:.1f}" '
        f'text-anchor="end">{_escape(format_number(target))}</text>'
        f'<polyline points="{path}"/>{dots}'
        f'<text x="{CHART_MARGIN}" y="{CHART_HEIGHT - 8}">{start:%Y-%m-%d}</text>'
        f'<text x="{CHART_WIDTH - CHART_MARGIN}" y="{CHART_HEIGHT - 8}" text-anchor="end">{end:%Y-%m-%d}</text>'
        "</svg>"
    )


def bar_chart(counts: dict[date, int], label: str) -> str:
    """One bar per day, as an SVG with a text alternative."""
    if not counts:
        return ""
    first, last = min(counts), max(counts)
    days = [first + timedelta(days=offset) for offset in range((last - first).days + 1)]
    top = max(counts.values())
    inner_w, inner_h = CHART_WIDTH - 2 * CHART_MARGIN, CHART_HEIGHT - 2 * CHART_MARGIN
    width = min(inner_w / len(days), MAX_BAR_WIDTH)
    bars = "".join(
        f'<rect x="{CHART_MARGIN + index * width:.1f}" y="{CHART_MARGIN + inner_h * (1 - counts.get(day, 0) / top):.1f}" '
        f'width="{max(width - 1, 1):.1f}" height="{inner_h * counts.get(day, 0) / top:.1f}">'
        f"<title>{day}: {counts.get(day, 0)}</title></rect>"
        for index, day in enumerate(days)
    )
    return (
        f'<svg class="chart" viewBox="0 0 {CHART_WIDTH} {CHART_HEIGHT}" role="img" aria-label="{_escape(label)}">'
        f'{bars}<text x="{CHART_MARGIN}" y="{CHART_HEIGHT - 8}">{first}</text>'
        f'<text x="{CHART_WIDTH - CHART_MARGIN}" y="{CHART_HEIGHT - 8}" text-anchor="end">{last}</text>'
        f'<text x="{CHART_MARGIN}" y="{CHART_MARGIN - 8}">{top}</text></svg>'
    )


STYLE = """
body { font-family: system-ui, sans-serif; max-width: 46rem; margin: 2rem auto; padding: 0 1rem; color: #222; }
h1 { margin-bottom: 0.2rem; } .challenge { font-size: 1.15rem; }
.chart { width: 100%; height: auto; background: #f7f7f4; border-radius: 6px; }
.chart polyline { fill: none; stroke: #2a6f4e; stroke-width: 2; } .chart circle { fill: #2a6f4e; }
.chart .target { stroke: #c44; stroke-dasharray: 4 3; } .chart rect { fill: #2a6f4e; }
.chart text { font-size: 11px; fill: #555; } blockquote { border-left: 3px solid #2a6f4e; margin-left: 0;
padding-left: 0.8rem; } footer { margin-top: 3rem; font-size: 0.85rem; color: #666; }
"""


def render_report(session: Session, campaign: Campaign, license_id: str, language: str = "en") -> str:
    """The whole report page for `campaign`, in `language`."""
    _, ngettext = translator(language)
    ideas = visible_ideas(session, campaign)
    members = session.exec(select(Membership).where(Membership.campaign_id == campaign.id)).all()
    parts = [
        f"<h1>#{_escape(campaign.hashtag)} — {_escape(campaign.title)}</h1>",
        f'<p class="challenge">{_escape(campaign.challenge)}</p>',
        "<p>"
        + _escape(
            _(
                "{residents} and {ideas} since {day}.",
                residents=ngettext("{count} resident took part", "{count} residents took part", len(members)),
                ideas=ngettext("{count} idea shared", "{count} ideas shared", len(ideas)),
                day=f"{campaign.created_at:%Y-%m-%d}",
            )
        )
        + "</p>",
        _element("h2", _("Shared goals")),
    ]
    goals = session.exec(select(Goal).where(Goal.campaign_id == campaign.id).order_by(col(Goal.id))).all()
    if not goals:
        parts.append(_element("p", _("No shared goal has been set yet.")))
    for goal in goals:
        history = session.exec(
            select(GoalMeasurement)
            .where(GoalMeasurement.goal_id == goal.id)
            .order_by(col(GoalMeasurement.recorded_at), col(GoalMeasurement.id))
        ).all()
        latest = format_number(history[-1].value) if history else _("no value yet")
        target = f"{format_number(goal.target)} {goal.unit}"
        parts.append(
            f"<h3>{_escape(goal.name)}</h3><p>"
            + _escape(_("Target {target}; latest: {latest}.", target=target, latest=latest))
            + "</p>"
        )
        parts.append(
            line_chart(
                [(m.recorded_at, m.value) for m in history],
                goal.target,
                _("{name} over time", name=goal.name),
            )
        )
    parts.append(_element("h2", _("Participation over time")))
    per_day = Counter(idea.created_at.date() for idea in ideas)
    parts.append(bar_chart(dict(per_day), _("ideas per day")) or _element("p", _("No idea yet.")))
    if ideas:
        parts.append(_element("h2", _("Latest ideas, in residents’ own words")))
        parts += [
            f"<blockquote>{_escape(idea.text)} <small>(i{idea.id})</small></blockquote>"
            for idea in ideas[-QUOTES_SHOWN:]
        ]
    title, url = LICENSES[license_id]
    parts.append(
        "<footer>"
        + _escape(
            _(
                "Made by Townhall from the campaign's open data, licensed {license}. Ideas are quoted verbatim; "
                "no resident is named.",
                license=title,
            )
        )
        + f' <a href="{url}">{_escape(url)}</a></footer>'
    )
    body = "\n".join(part for part in parts if part)
    page_title = _("#{hashtag} — citizen report", hashtag=campaign.hashtag)
    return (
        f'<!doctype html>\n<html lang="{language}"><head><meta charset="utf-8"><title>{_escape(page_title)}'
        f"</title><style>{STYLE}</style></head><body>\n{body}\n</body></html>\n"
    )
