"""The citizen report: one self-contained HTML page telling residents where their campaign stands, and
/report, which sums up collective progress in chat and sends that page.

The challenge and goals with their charts, participation, themes with quotes and the theme map,
prototypes with their versions and feedback, commitments and check-in response rates. Charts are inline
SVG drawn here and the theme map is embedded as a data: URI, so the page needs no network and no script.
Themes are read as last stored, so no language model is needed. Everything residents wrote is escaped;
authors appear only as counts, in the page as in chat: no name appears and nothing is ranked.
"""

from __future__ import annotations

import base64
import html
from collections import Counter
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from statistics import fmean

from sqlmodel import Session, col, select

from facilitation.civic.goals import format_number
from facilitation.civic.opendata.licenses import LICENSES
from facilitation.civic.progress import (
    checkin_weeks,
    commitment_counts,
)
from facilitation.intelligence.themes import CampaignThemes, map_picture, stored_themes
from facilitation.kernel.context import CoreConfig, Effects
from facilitation.kernel.hooks import REPORT_PARTS, Hooks
from facilitation.kernel.i18n import decimal, translator
from facilitation.kernel.refs import prototype_ref, theme_ref
from facilitation.planning.feedback import latest_ratings
from storage.models import (
    Campaign,
    Feedback,
    Goal,
    GoalMeasurement,
    Idea,
    Membership,
    Prototype,
    PrototypeVersion,
    visible_ideas,
)

CHART_WIDTH = 560
CHART_HEIGHT = 180
CHART_MARGIN = 32
MAX_BAR_WIDTH = 48
QUOTES_SHOWN = 5
REPORTS_FOLDER = "reports"
"""Under the data folder: where citizen reports sent in chat are written."""


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
        f'<polyline points="{path}"/>{dots}{_axis_ends(*_moment_labels(start, end))}'
        "</svg>"
    )


def _moment_labels(start: datetime, end: datetime) -> tuple[str, str]:
    """The two ends of a time axis, as precise as they need to be to differ: days, else times of day (UTC);
    a single moment gives one label."""
    start, end = start.astimezone(UTC), end.astimezone(UTC)
    if start.date() != end.date():
        return f"{start:%Y-%m-%d}", f"{end:%Y-%m-%d}"
    if f"{start:%H:%M}" == f"{end:%H:%M}":
        return f"{start:%Y-%m-%d}", ""
    return f"{start:%Y-%m-%d %H:%M} UTC", f"{end:%H:%M} UTC"


def _axis_ends(first: str, last: str) -> str:
    """Labels under both ends of the horizontal axis, or one in the middle when there is only `first`."""
    y = CHART_HEIGHT - 8
    if not last:
        return f'<text x="{CHART_WIDTH / 2:.0f}" y="{y}" text-anchor="middle">{_escape(first)}</text>'
    return (
        f'<text x="{CHART_MARGIN}" y="{y}">{_escape(first)}</text>'
        f'<text x="{CHART_WIDTH - CHART_MARGIN}" y="{y}" text-anchor="end">{_escape(last)}</text>'
    )


def bar_chart(
    values: dict[date, int], label: str, step: timedelta = timedelta(days=1), top: int | None = None
) -> str:
    """One bar per `step` (a day, a week) from the first date to the last, as an SVG with a text
    alternative; bars are scaled to `top`, by default the largest value."""
    if not values:
        return ""
    first, last = min(values), max(values)
    slots = [first + step * offset for offset in range((last - first) // step + 1)]
    top = top or max(values.values()) or 1
    inner_w, inner_h = CHART_WIDTH - 2 * CHART_MARGIN, CHART_HEIGHT - 2 * CHART_MARGIN
    width = min(inner_w / len(slots), MAX_BAR_WIDTH)
    bars = "".join(
        f'<rect x="{CHART_MARGIN + index * width:.1f}" y="{CHART_MARGIN + inner_h * (1 - values.get(slot, 0) / top):.1f}" '
        f'width="{max(width - 1, 1):.1f}" height="{inner_h * values.get(slot, 0) / top:.1f}">'
        f"<title>{slot}: {values.get(slot, 0)}</title></rect>"
        for index, slot in enumerate(slots)
    )
    return (
        f'<svg class="chart" viewBox="0 0 {CHART_WIDTH} {CHART_HEIGHT}" role="img" aria-label="{_escape(label)}">'
        f"{bars}{_axis_ends(str(first), str(last) if last != first else '')}"
        f'<text x="{CHART_MARGIN}" y="{CHART_MARGIN - 8}">{top}</text></svg>'
    )


def table(header: list[str], rows: list[list[object]]) -> str:
    """A plain HTML table; every cell escaped."""
    head = "".join(_element("th", cell) for cell in header)
    body = "".join("<tr>" + "".join(_element("td", cell) for cell in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


STYLE = """
body { font-family: system-ui, sans-serif; max-width: 46rem; margin: 2rem auto; padding: 0 1rem; color: #222; }
h1 { margin-bottom: 0.2rem; } .challenge { font-size: 1.15rem; }
.chart { width: 100%; height: auto; background: #f7f7f4; border-radius: 6px; }
.chart polyline { fill: none; stroke: #2a6f4e; stroke-width: 2; } .chart circle { fill: #2a6f4e; }
.chart .target { stroke: #c44; stroke-dasharray: 4 3; } .chart rect { fill: #2a6f4e; }
.chart text { font-size: 11px; fill: #555; } blockquote { border-left: 3px solid #2a6f4e; margin-left: 0;
padding-left: 0.8rem; } blockquote small { color: #666; } .map { width: 100%; height: auto; }
table { border-collapse: collapse; margin: 0.5rem 0; } th, td { padding: 0.2rem 0.6rem; text-align: left;
border-bottom: 1px solid #ddd; } footer { margin-top: 3rem; font-size: 0.85rem; color: #666; }
"""

Translate = Callable[..., str]


def render_report(
    session: Session,
    campaign: Campaign,
    license_id: str,
    language: str = "en",
    now: datetime | None = None,
    hooks: Hooks | None = None,
) -> str:
    """The whole report page for `campaign`, in `language`, as it stands at `now` (default: the present),
    with the parts the running features add through `REPORT_PARTS` (`hooks`; none without)."""
    _, ngettext = translator(language)
    now = now or datetime.now(UTC)
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
    ]
    parts += _goals(session, campaign, _)
    parts.append(_element("h2", _("Participation over time")))
    per_day = Counter(idea.created_at.date() for idea in ideas)
    parts.append(bar_chart(dict(per_day), _("ideas per day")) or _element("p", _("No idea yet.")))
    if ideas:
        parts.append(_element("h2", _("Latest ideas, in residents’ own words")))
        parts += [_quote(idea, _) for idea in ideas[-QUOTES_SHOWN:]]
    parts += _themes(session, campaign, _, ngettext)
    parts += _prototypes(session, campaign, _, ngettext, language)
    parts += _commitments_and_checkins(session, campaign, now, _, ngettext)
    parts += _reported_parts(session, campaign, language, now, hooks, _)
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


def _quote(idea: Idea, _: Translate) -> str:
    """An idea quoted whole, as its author wrote it, marked as verbatim with its id."""
    marker = _("verbatim, i{id}", id=idea.id)
    return (
        f'<blockquote class="verbatim">{_escape(idea.text)} <small>({_escape(marker)})</small></blockquote>'
    )


def _goals(session: Session, campaign: Campaign, _: Translate) -> list[str]:
    parts = [_element("h2", _("Shared goals"))]
    goals = session.exec(select(Goal).where(Goal.campaign_id == campaign.id).order_by(col(Goal.id))).all()
    if not goals:
        parts.append(_element("p", _("No shared goal has been set yet.")))
    for goal in goals:
        history = session.exec(
            select(GoalMeasurement)
            .where(GoalMeasurement.goal_id == goal.id, col(GoalMeasurement.removed_at).is_(None))
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
    return parts


def _themes(session: Session, campaign: Campaign, _: Translate, ngettext: Translate) -> list[str]:
    """Themes as last computed, with their sub-themes, quotes and the map, read from storage (no model)."""
    parts = [_element("h2", _("Themes"))]
    result = stored_themes(session, campaign)
    if not result.themes:
        parts.append(
            _element("p", _("No themes yet: they appear once enough ideas have been grouped by meaning."))
        )
        return parts + _other_ideas(result, _, ngettext)
    computed = min(theme.computed_at for theme, _children in result.themes)
    parts.append(
        _element(
            "p",
            ngettext(
                "{count} theme, as grouped on {day}.",
                "{count} themes, as grouped on {day}.",
                len(result.themes),
                day=f"{computed:%Y-%m-%d}",
            ),
        )
    )
    picture = map_picture(result, _)
    if picture is not None:
        alt = _("Map of the ideas, coloured by theme")
        encoded = base64.b64encode(picture).decode("ascii")
        parts.append(f'<img class="map" alt="{_escape(alt)}" src="data:image/png;base64,{encoded}">')
    for theme, children in result.themes:
        parts.append(_element("h3", f"{theme_ref(theme.id)} · {theme.label}"))
        facts = ngettext("{count} idea", "{count} ideas", theme.idea_count)
        if theme.keywords:
            facts += " · " + _("keywords: {keywords}", keywords=", ".join(theme.keywords))
        parts.append(_element("p", facts))
        if children:
            parts.append(
                "<ul>"
                + "".join(
                    _element(
                        "li",
                        f"{theme_ref(child.id)} · {child.label} — "
                        + ngettext("{count} idea", "{count} ideas", child.idea_count),
                    )
                    for child in children
                )
                + "</ul>"
            )
        parts += [
            _quote(result.ideas[idea_id], _)
            for idea_id in theme.representative_idea_ids
            if idea_id in result.ideas
        ]
    return parts + _other_ideas(result, _, ngettext)


def _other_ideas(result: CampaignThemes, _: Translate, ngettext: Translate) -> list[str]:
    """Every idea that fit no theme when themes were last computed, quoted whole."""
    if not result.other:
        return []
    count = ngettext("{count} idea fits no theme:", "{count} ideas fit no theme:", len(result.other))
    return [
        _element("h3", _("Other ideas")),
        _element("p", count),
        *(_quote(result.ideas[idea_id], _) for idea_id in sorted(result.other)),
    ]


def _prototypes(
    session: Session, campaign: Campaign, _: Translate, ngettext: Translate, language: str
) -> list[str]:
    """Each prototype with its versions, each version with its feedback count and mean rating."""
    parts = [_element("h2", _("Prototypes"))]
    prototypes = session.exec(
        select(Prototype).where(Prototype.campaign_id == campaign.id).order_by(col(Prototype.id))
    ).all()
    if not prototypes:
        parts.append(_element("p", _("No prototype yet.")))
    for prototype in prototypes:
        parts.append(_element("h3", f"{prototype_ref(prototype)} · {prototype.title}"))
        versions = session.exec(
            select(PrototypeVersion)
            .where(PrototypeVersion.prototype_id == prototype.id)
            .order_by(col(PrototypeVersion.number))
        ).all()
        if not versions:
            parts.append(_element("p", _("No version yet.")))
            continue
        rows = []
        for version in versions:
            feedback = session.exec(
                select(Feedback).where(Feedback.version_id == version.id).order_by(col(Feedback.id))
            ).all()
            ratings = latest_ratings(feedback)
            rows.append(
                [
                    f"v{version.number}",
                    f"{version.created_at:%Y-%m-%d}",
                    version.changes,
                    len(ratings),
                    _("{mean} / 5", mean=decimal(fmean(ratings.values()), language)) if ratings else "—",
                ]
            )
        header = [_("version"), _("published"), _("what changed"), _("feedback"), _("mean rating")]
        parts.append(table(header, rows))
    return parts


def _reported_parts(
    session: Session, campaign: Campaign, language: str, now: datetime, hooks: Hooks | None, _: Translate
) -> list[str]:
    """What the capabilities above add to a report (collective giving, pledges against each prototype's
    budget, organisations by sector): a paragraph per line, under one heading."""
    if hooks is None:
        return []
    config = CoreConfig(default_language=language, clock=lambda: now)
    effects = Effects(session=session, config=config, hooks=hooks, language=language)
    lines = [line for part in hooks.call(REPORT_PARTS, effects, campaign) for line in part]
    if not lines:
        return []
    return [_element("h2", _("Giving, pledges and organisations")), *(_element("p", line) for line in lines)]


def _commitments_and_checkins(
    session: Session, campaign: Campaign, now: datetime, _: Translate, ngettext: Translate
) -> list[str]:
    """Commitments by status and the pods' check-in response rate week by week: counts, no names."""
    counts = commitment_counts(session, campaign, now.date())
    parts = [
        _element("h2", _("Commitments and check-ins")),
        _element("p", ngettext("{count} commitment:", "{count} commitments:", counts.total)),
        table(
            [_("done"), _("under way"), _("not started yet"), _("past their date")],
            [[counts.done, counts.moving, counts.starting, counts.overdue]],
        ),
    ]
    weeks = checkin_weeks(session, campaign)
    if not weeks:
        parts.append(_element("p", _("No check-in yet.")))
        return parts
    rates = {week.week_of: week.response_rate or 0 for week in weeks}
    parts.append(bar_chart(rates, _("check-ins answered per week (%)"), timedelta(weeks=1), top=100))
    header = [
        _("week of"),
        _("sent"),
        _("answered"),
        _("response rate"),
        _("on track"),
        _("need help"),
        _("blocked"),
    ]
    rows = [
        [
            f"{week.week_of}",
            week.sent,
            week.answered,
            f"{week.response_rate}%" if week.response_rate is not None else "—",
            week.on_track,
            week.need_help,
            week.blocked,
        ]
        for week in weeks
    ]
    parts.append(table(header, rows))
    return parts
