"""The tables of the open data package: each declared once, with its columns and how its rows are read.

Nothing in a table names a person or a chat: authors are pseudonyms from a keyed hash of the member and
the campaign, stable within a campaign and unlinkable across campaigns; forgotten members are absent
because their rows are gone; hidden ideas are left out. What members write for their pod (progress
notes, check-in answers) is not published: commitments without their notes, check-ins as weekly counts.
Each table is declared once (`open_data_table` on the function reading its rows) and yields its CSV,
its Table Schema in `datapackage.json`, and its entry in the README's data dictionary.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlmodel import Session, SQLModel, col, select

from facilitation.civic.progress import checkin_weeks
from facilitation.intelligence.themes import placements
from storage.models import (
    Campaign,
    Commitment,
    Feedback,
    Goal,
    GoalMeasurement,
    Prototype,
    PrototypeVersion,
    Round,
    Theme,
    visible_ideas,
)


class Pseudonyms:
    """Author ids for one campaign: HMAC-SHA256 of the member id, keyed by the secret and the campaign."""

    def __init__(self, secret: str, campaign_id: int) -> None:
        self._key = hmac.new(secret.encode(), f"campaign:{campaign_id}".encode(), hashlib.sha256).digest()

    def __call__(self, member_id: int | None) -> str:
        if member_id is None:
            return ""
        return "p-" + hmac.new(self._key, str(member_id).encode(), hashlib.sha256).hexdigest()[:16]


@dataclass(frozen=True)
class Column:
    name: str
    type: str  # a Table Schema type: string, integer, number, date, datetime
    description: str


RowsFunction = Callable[[Session, Campaign, Pseudonyms], Iterable[tuple[Any, ...]]]
"""The rows of one table for a campaign, each a tuple of values in the order of the table's columns."""


@dataclass(frozen=True)
class OpenDataTable:
    """One CSV of the package: its columns and how to read its rows for a campaign."""

    name: str
    description: str
    columns: tuple[Column, ...]
    rows: RowsFunction
    primary_key: str | None = None


TABLES: list[OpenDataTable] = []
"""Every table of the package, in the order they are declared below with `open_data_table`."""


def open_data_table(
    name: str, description: str, columns: str, primary_key: str | None = None
) -> Callable[[RowsFunction], RowsFunction]:
    """Declare the decorated function as the rows of `name`.csv: one declaration gives the CSV, its
    Table Schema in datapackage.json and its section of the README.

    `columns` lists one column a line: its name, its Table Schema type, then what it means; the rows
    yield the values in that order.
    """

    def declare(rows: RowsFunction) -> RowsFunction:
        parsed = tuple(Column(*line.split(maxsplit=2)) for line in columns.strip().splitlines())
        TABLES.append(OpenDataTable(name, description, parsed, rows, primary_key))
        return rows

    return declare


def iso_utc(moment: datetime | None) -> str:
    """A moment as the package writes it: ISO 8601 in UTC, or empty for none."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if moment else ""


def _in_campaign(model: type[SQLModel], campaign: Campaign) -> Any:
    """The select of `model`'s rows of `campaign`, in id order."""
    return select(model).where(model.campaign_id == campaign.id).order_by(col(model.id))  # type: ignore[attr-defined]


@open_data_table(
    "campaign",
    "The campaign: its hashtag, title and the challenge it invites everyone to.",
    """
    hashtag     string    The campaign's hashtag, which tags the mission
    title       string    Short title
    challenge   string    The shared challenge, as stated in the open invitation
    status      string    open or closed
    created_at  datetime  When the campaign started (UTC)
    """,
    primary_key="hashtag",
)
def _campaign_rows(session: Session, campaign: Campaign, author: Pseudonyms) -> Iterable[tuple[Any, ...]]:
    yield (
        f"#{campaign.hashtag}",
        campaign.title,
        campaign.challenge,
        campaign.status,
        iso_utc(campaign.created_at),
    )


@open_data_table(
    "goals",
    "Shared, measurable goals of the campaign.",
    """
    goal_id     integer   Goal identifier
    name        string    Short name of the goal
    target      number    Value to reach
    unit        string    Unit of the target and of the measurements
    created_at  datetime  When the goal was set (UTC)
    """,
    primary_key="goal_id",
)
def _goal_rows(session: Session, campaign: Campaign, author: Pseudonyms) -> Iterable[tuple[Any, ...]]:
    for goal in session.exec(_in_campaign(Goal, campaign)):
        yield (goal.id, goal.name, goal.target, goal.unit, iso_utc(goal.created_at))


@open_data_table(
    "goal_measurements",
    "Every recorded value of every goal: the goals' history.",
    """
    measurement_id  integer   Measurement identifier
    goal_id         integer   The goal measured (goals.goal_id)
    value           number    Value recorded, in the goal's unit
    recorded_at     datetime  When it was recorded (UTC)
    """,
    primary_key="measurement_id",
)
def _measurement_rows(session: Session, campaign: Campaign, author: Pseudonyms) -> Iterable[tuple[Any, ...]]:
    statement = (
        select(GoalMeasurement)
        .join(Goal, col(Goal.id) == col(GoalMeasurement.goal_id))
        .where(Goal.campaign_id == campaign.id, col(GoalMeasurement.removed_at).is_(None))
        .order_by(col(GoalMeasurement.recorded_at), col(GoalMeasurement.id))
    )
    for measurement in session.exec(statement):
        yield (measurement.id, measurement.goal_id, measurement.value, iso_utc(measurement.recorded_at))


@open_data_table(
    "rounds",
    "Brainstorm rounds: time-boxed calls for ideas on a prompt.",
    """
    round_id    integer   Round identifier
    prompt      string    The question the round asked
    status      string    open or closed
    opened_at   datetime  When the round opened (UTC)
    closes_at   datetime  When it was set to close (UTC)
    closed_at   datetime  When it closed (UTC), if it has
    """,
    primary_key="round_id",
)
def _round_rows(session: Session, campaign: Campaign, author: Pseudonyms) -> Iterable[tuple[Any, ...]]:
    for round_ in session.exec(_in_campaign(Round, campaign)):
        yield (
            round_.id,
            round_.prompt,
            round_.status,
            iso_utc(round_.opened_at),
            iso_utc(round_.closes_at),
            iso_utc(round_.closed_at),
        )


@open_data_table(
    "ideas",
    "Every idea residents contributed, verbatim, under a pseudonymous author id.",
    """
    idea_id      integer   Idea identifier (shown in chat as i<id>)
    created_at   datetime  When the idea was posted (UTC)
    author       string    Pseudonymous author id, stable within this campaign only; empty if the author asked to be forgotten and left the idea
    round_id     integer   The round open when it was posted (rounds.round_id), if any
    theme_id     integer   Its theme when themes were last computed (themes.theme_id); empty for no theme, for merged ideas and for ideas posted since
    subtheme_id  integer   Its sub-theme then (themes.theme_id), if any
    status       string    open, or merged into another idea
    merged_into  integer   The idea this one joined, if merged
    text         string    The idea as its author wrote it
    """,
    primary_key="idea_id",
)
def _idea_rows(session: Session, campaign: Campaign, author: Pseudonyms) -> Iterable[tuple[Any, ...]]:
    placed = placements(session, campaign)
    for idea in visible_ideas(session, campaign):
        theme_id, subtheme_id = placed.get(idea.id, (None, None))
        yield (
            idea.id,
            iso_utc(idea.created_at),
            author(idea.member_id),
            idea.round_id,
            theme_id,
            subtheme_id,
            idea.status,
            idea.merged_into_id,
            idea.text,
        )


@open_data_table(
    "themes",
    "Themes and sub-themes: groups of ideas close in meaning, as last computed, labelled by the program.",
    """
    theme_id              integer   Theme identifier (shown in chat as t<id>)
    parent_theme_id       integer   For a sub-theme, the theme it is part of; empty for a theme
    label                 string    Short label picked by the program (no person wrote it), word for word from its ideas
    label_method          string    How: phrase (a phrase found in its ideas) or opening (the opening words of its most central idea)
    label_ideas           string    The ideas the label was taken from (ideas.idea_id), separated by spaces
    keywords              string    Its keywords, most telling first, separated by "; "
    idea_count            integer   Ideas in it when last computed, counting those merged into them
    representative_ideas  string    The ideas closest to its centre (ideas.idea_id), separated by spaces
    status                string    active, or retired once a later computation no longer found the group
    computed_at           datetime  When it was last computed (UTC)
    """,
    primary_key="theme_id",
)
def _theme_rows(session: Session, campaign: Campaign, author: Pseudonyms) -> Iterable[tuple[Any, ...]]:
    visible = {idea.id for idea in visible_ideas(session, campaign)}
    for theme in session.exec(_in_campaign(Theme, campaign)):
        yield (
            theme.id,
            theme.parent_id,
            theme.label,
            theme.label_source.get("method", ""),
            " ".join(str(i) for i in theme.label_source.get("ideas", []) if i in visible),
            "; ".join(theme.keywords),
            theme.idea_count,
            " ".join(str(i) for i in theme.representative_idea_ids if i in visible),
            theme.status,
            iso_utc(theme.computed_at),
        )


@open_data_table(
    "prototypes",
    "Prototypes: what teams build from a theme or an idea, published in versions.",
    """
    prototype_id  integer   Prototype identifier (shown in chat as p<id>)
    title         string    Its title
    theme_id      integer   The theme it grows from (themes.theme_id), if any
    idea_id       integer   The idea it grows from (ideas.idea_id), if any
    created_at    datetime  When it was started (UTC)
    """,
    primary_key="prototype_id",
)
def _prototype_rows(session: Session, campaign: Campaign, author: Pseudonyms) -> Iterable[tuple[Any, ...]]:
    for prototype in session.exec(_in_campaign(Prototype, campaign)):
        yield (
            prototype.id,
            prototype.title,
            prototype.theme_id,
            prototype.idea_id,
            iso_utc(prototype.created_at),
        )


def _versions_of(campaign: Campaign) -> Any:
    """The join of prototype versions to the prototypes of `campaign`."""
    return (
        select(PrototypeVersion)
        .join(Prototype, col(Prototype.id) == col(PrototypeVersion.prototype_id))
        .where(Prototype.campaign_id == campaign.id)
    )


@open_data_table(
    "prototype_versions",
    "Every published version of every prototype, with what changed since the one before.",
    """
    version_id    integer   Version identifier
    prototype_id  integer   The prototype (prototypes.prototype_id)
    number        integer   Version number, from 1
    changes       string    What changed since the previous version, as its author wrote it
    author        string    Pseudonymous id of the team member who published it
    created_at    datetime  When it was published (UTC)
    """,
    primary_key="version_id",
)
def _version_rows(session: Session, campaign: Campaign, author: Pseudonyms) -> Iterable[tuple[Any, ...]]:
    for version in session.exec(_versions_of(campaign).order_by(col(PrototypeVersion.id))):
        yield (
            version.id,
            version.prototype_id,
            version.number,
            version.changes,
            author(version.author_member_id),
            iso_utc(version.created_at),
        )


@open_data_table(
    "feedback",
    "Feedback on prototype versions: a rating from 1 to 5 and optional words. Every row is kept; a "
    "member's latest rating of a version is the one that counts in the mean.",
    """
    feedback_id  integer   Feedback identifier
    version_id   integer   The version rated (prototype_versions.version_id)
    author       string    Pseudonymous id of who gave it; empty if they asked to be forgotten
    rating       integer   From 1 (poor) to 5 (excellent)
    text         string    Their words, verbatim, if any
    created_at   datetime  When it was given (UTC)
    """,
    primary_key="feedback_id",
)
def _feedback_rows(session: Session, campaign: Campaign, author: Pseudonyms) -> Iterable[tuple[Any, ...]]:
    statement = (
        select(Feedback)
        .where(
            col(Feedback.version_id).in_(_versions_of(campaign).with_only_columns(col(PrototypeVersion.id)))
        )
        .order_by(col(Feedback.id))
    )
    for feedback in session.exec(statement):
        yield (
            feedback.id,
            feedback.version_id,
            author(feedback.member_id),
            feedback.rating,
            feedback.text,
            iso_utc(feedback.created_at),
        )


@open_data_table(
    "commitments",
    "Actions members committed to in the campaign, and how far they are. Progress notes are not "
    "published: members write them for their pod. A private commitment (/commit private) has a row, "
    "its action left empty.",
    """
    commitment_id     integer   Commitment identifier (shown in chat as c<id>)
    owner             string    Pseudonymous id of the member who committed
    action            string    The action, as its owner stated it; empty for a private commitment
    due_on            date      The day it is due, in the owner's calendar
    status            string    open or done
    progress_percent  integer   Progress the owner reported, from 0 to 100
    theme_id          integer   The theme it serves (themes.theme_id), if any
    prototype_id      integer   The prototype it serves (prototypes.prototype_id), if any
    created_at        datetime  When it was made (UTC)
    done_at           datetime  When it was marked done (UTC), if it was
    """,
    primary_key="commitment_id",
)
def _commitment_rows(session: Session, campaign: Campaign, author: Pseudonyms) -> Iterable[tuple[Any, ...]]:
    for commitment in session.exec(_in_campaign(Commitment, campaign)):
        yield (
            commitment.id,
            author(commitment.member_id),
            "" if commitment.private else commitment.action,
            commitment.due_on.isoformat(),
            commitment.status,
            commitment.progress_percent,
            commitment.theme_id,
            commitment.prototype_id,
            iso_utc(commitment.created_at),
            iso_utc(commitment.done_at),
        )


@open_data_table(
    "checkins_weekly",
    "Check-ins of the campaign's accountability pods, counted per calendar week: no row per person, "
    "and no check-in's words.",
    """
    week_of        date     The Monday the week starts on (weeks run Monday to Sunday, UTC)
    sent           integer  Check-ins sent that week
    answered       integer  How many of them were answered
    response_rate  integer  Answered as a percentage of sent; empty in a week with none sent
    on_track       integer  Answers saying on track
    need_help      integer  Answers asking for help
    blocked        integer  Answers saying blocked
    """,
    primary_key="week_of",
)
def _checkin_rows(session: Session, campaign: Campaign, author: Pseudonyms) -> Iterable[tuple[Any, ...]]:
    for week in checkin_weeks(session, campaign):
        yield (
            week.week_of.isoformat(),
            week.sent,
            week.answered,
            week.response_rate,
            week.on_track,
            week.need_help,
            week.blocked,
        )
