"""Open data: a campaign released as a validated Frictionless Data Package, plus Polis-format files.

Nothing in an export names a person or a chat: authors are pseudonyms from a keyed hash of the member and
the campaign, stable within a campaign and unlinkable across campaigns; forgotten members are absent
because their rows are gone; hidden ideas are left out. What members write for their pod (progress
notes, check-in answers) is not published: commitments without their notes, check-ins as weekly counts.
Each table is declared once (`open_data_table` on the function reading its rows) and yields its CSV,
its Table Schema in `datapackage.json`, and its entry in the README's data dictionary.
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import json
import shutil
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlmodel import Session, SQLModel, col, select

from facilitation.civic.progress import checkin_weeks
from facilitation.intelligence.themes import placements
from facilitation.kernel.context import Context, CoreConfig
from facilitation.kernel.i18n import N_
from facilitation.kernel.planning import visible_ideas
from facilitation.kernel.router import CommandSet, Role
from facilitation.planning.votes import MATRIX_VALUES
from storage.models import (
    Campaign,
    Commitment,
    Feedback,
    Goal,
    GoalMeasurement,
    Idea,
    IdeaVote,
    Prototype,
    PrototypeVersion,
    Round,
    Theme,
)

LICENSES = {
    "CC-BY-4.0": ("Creative Commons Attribution 4.0", "https://creativecommons.org/licenses/by/4.0/"),
    "CC0-1.0": ("Creative Commons Zero 1.0", "https://creativecommons.org/publicdomain/zero/1.0/"),
    "ODbL-1.0": (
        "Open Data Commons Open Database License 1.0",
        "https://opendatacommons.org/licenses/odbl/1-0/",
    ),
}
DEFAULT_LICENSE = "CC-BY-4.0"


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


def _iso(moment: datetime | None) -> str:
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
        _iso(campaign.created_at),
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
        yield (goal.id, goal.name, goal.target, goal.unit, _iso(goal.created_at))


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
        .where(Goal.campaign_id == campaign.id)
        .order_by(col(GoalMeasurement.recorded_at), col(GoalMeasurement.id))
    )
    for measurement in session.exec(statement):
        yield (measurement.id, measurement.goal_id, measurement.value, _iso(measurement.recorded_at))


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
            _iso(round_.opened_at),
            _iso(round_.closes_at),
            _iso(round_.closed_at),
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
            _iso(idea.created_at),
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
    "Themes and sub-themes: groups of ideas close in meaning, as last computed, labelled by their keywords.",
    """
    theme_id              integer   Theme identifier (shown in chat as t<id>)
    parent_theme_id       integer   For a sub-theme, the theme it is part of; empty for a theme
    label                 string    Short label made of the top keywords
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
            "; ".join(theme.keywords),
            theme.idea_count,
            " ".join(str(i) for i in theme.representative_idea_ids if i in visible),
            theme.status,
            _iso(theme.computed_at),
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
            _iso(prototype.created_at),
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
            _iso(version.created_at),
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
            _iso(feedback.created_at),
        )


@open_data_table(
    "commitments",
    "Actions members committed to in the campaign, and how far they are. Progress notes are not "
    "published: members write them for their pod.",
    """
    commitment_id     integer   Commitment identifier (shown in chat as c<id>)
    owner             string    Pseudonymous id of the member who committed
    action            string    The action, as its owner stated it
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
            commitment.action,
            commitment.due_on.isoformat(),
            commitment.status,
            commitment.progress_percent,
            commitment.theme_id,
            commitment.prototype_id,
            _iso(commitment.created_at),
            _iso(commitment.done_at),
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


@dataclass(frozen=True)
class PolisVote:
    idea_id: int
    member_id: int | None
    vote: int  # 1 agree, -1 disagree, 0 pass, as Polis counts them
    at: datetime


VoteSource = Callable[[Session, Campaign], list[PolisVote]]


def stored_votes(session: Session, campaign: Campaign) -> list[PolisVote]:
    """Every member's current vote on the campaign's ideas, dated by its last change."""
    rows = session.exec(
        select(IdeaVote)
        .join(Idea, col(Idea.id) == col(IdeaVote.idea_id))
        .where(Idea.campaign_id == campaign.id, Idea.shown())
        .order_by(col(IdeaVote.id))
    )
    return [
        PolisVote(vote.idea_id, vote.member_id, int(MATRIX_VALUES[vote.choice]), vote.updated_at)
        for vote in rows
    ]


def polis_datetime(moment: datetime) -> str:
    """The JavaScript Date string Polis exports carry beside the epoch timestamp."""
    return moment.astimezone(UTC).strftime("%a %b %d %Y %H:%M:%S GMT+0000 (Coordinated Universal Time)")


def polis_tables(
    session: Session, campaign: Campaign, author: Pseudonyms, votes: VoteSource
) -> dict[str, tuple[list[str], list[list[Any]]]]:
    """comments.csv, votes.csv, participants-votes.csv and summary.csv, laid out as Polis exports them."""
    ideas = visible_ideas(session, campaign)
    idea_ids = {idea.id for idea in ideas}
    cast = [vote for vote in votes(session, campaign) if vote.idea_id in idea_ids]
    participants: dict[str, int] = {}
    anonymous = iter(range(-1, -(10**9), -1))

    def participant(member_id: int | None) -> int:
        """Polis's integer participant ids; each idea whose author was forgotten counts as its own author."""
        key = author(member_id) if member_id is not None else f"anonymous{next(anonymous)}"
        return participants.setdefault(key, len(participants))

    comments = []
    for idea in ideas:
        agrees = sum(1 for vote in cast if vote.idea_id == idea.id and vote.vote == 1)
        disagrees = sum(1 for vote in cast if vote.idea_id == idea.id and vote.vote == -1)
        comments.append(
            [
                int(idea.created_at.timestamp()),
                polis_datetime(idea.created_at),
                idea.id,
                participant(idea.member_id),
                agrees,
                disagrees,
                1,
                idea.text,
            ]
        )
    vote_rows = [
        [
            int(vote.at.timestamp()),
            polis_datetime(vote.at),
            vote.idea_id,
            participant(vote.member_id),
            vote.vote,
        ]
        for vote in sorted(cast, key=lambda vote: vote.at)
    ]
    matrix: dict[int, dict[int, int]] = {}
    for vote in cast:
        matrix.setdefault(participant(vote.member_id), {})[vote.idea_id] = vote.vote
    authored: dict[int, int] = {}
    for row in comments:
        authored[row[3]] = authored.get(row[3], 0) + 1
    ordered_ids = sorted(idea_ids)
    participant_rows = []
    for key in sorted({*matrix, *authored}):
        row_votes = matrix.get(key, {})
        participant_rows.append(
            [
                key,
                "",
                authored.get(key, 0),
                len(row_votes),
                sum(1 for v in row_votes.values() if v == 1),
                sum(1 for v in row_votes.values() if v == -1),
            ]
            + [row_votes.get(idea_id, "") for idea_id in ordered_ids]
        )
    summary = [
        ["topic", f"#{campaign.hashtag} {campaign.title}"],
        ["url", ""],
        ["views", ""],
        ["voters", len({vote.member_id for vote in cast})],
        ["voters-in-conv", len({vote.member_id for vote in cast})],
        ["commenters", len({idea.member_id for idea in ideas if idea.member_id is not None})],
        ["comments", len(ideas)],
        ["groups", ""],
        ["conversation-description", campaign.challenge],
    ]
    return {
        "comments": (
            [
                "timestamp",
                "datetime",
                "comment-id",
                "author-id",
                "agrees",
                "disagrees",
                "moderated",
                "comment-body",
            ],
            comments,
        ),
        "votes": (["timestamp", "datetime", "comment-id", "voter-id", "vote"], vote_rows),
        "participants-votes": (
            [
                "participant",
                "group-id",
                "n-comments",
                "n-votes",
                "n-agree",
                "n-disagree",
                *map(str, ordered_ids),
            ],
            participant_rows,
        ),
        "summary": (["key", "value"], summary),
    }


POLIS_DESCRIPTIONS = {
    "comments": "Ideas as Polis comments: one row per idea, with its agree and disagree counts.",
    "votes": "Votes as Polis records them: 1 agree, -1 disagree, 0 pass.",
    "participants-votes": "The participant × idea vote matrix, one row per participant.",
}


def _schema(header: list[str], rows: list[list[Any]]) -> dict[str, Any]:
    """A Table Schema for a Polis file, typed from its values."""

    def field_type(index: int) -> str:
        values = [row[index] for row in rows if row[index] != ""]
        return "integer" if values and all(isinstance(value, int) for value in values) else "string"

    return {"fields": [{"name": name, "type": field_type(index)} for index, name in enumerate(header)]}


def write_package(
    session: Session,
    campaign: Campaign,
    out_dir: Path,
    secret: str,
    license_id: str = DEFAULT_LICENSE,
    votes: VoteSource = stored_votes,
) -> Path:
    """Write the campaign's data package into `out_dir` (created, or emptied of a previous export)."""
    if license_id not in LICENSES:
        raise ValueError(f"unknown licence {license_id!r}; choose one of {', '.join(LICENSES)}")
    out_dir.mkdir(parents=True, exist_ok=True)
    author = Pseudonyms(secret, campaign.id or 0)
    resources = []
    for table in TABLES:
        path = out_dir / f"{table.name}.csv"
        header = [column.name for column in table.columns]
        _write_csv(path, header, _checked(table, table.rows(session, campaign, author)))
        schema: dict[str, Any] = {
            "fields": [{"name": c.name, "type": c.type, "description": c.description} for c in table.columns]
        }
        if table.primary_key:
            schema["primaryKey"] = [table.primary_key]
        resources.append(_resource(table.name, path.name, table.description, schema))
    for name, (header, rows) in polis_tables(session, campaign, author, votes).items():
        path = out_dir / f"{name}.csv"
        if name == "summary":  # Polis writes its summary as bare key,value lines
            _write_csv(path, None, rows)
            continue
        _write_csv(path, header, rows)
        resources.append(
            _resource(f"polis-{name}", path.name, POLIS_DESCRIPTIONS[name], _schema(header, rows))
        )
    title, url = LICENSES[license_id]
    package = {
        "profile": "tabular-data-package",
        "name": f"townhall-{campaign.hashtag}".lower().replace("_", "-"),
        "title": f"#{campaign.hashtag} — {campaign.title}",
        "description": campaign.challenge,
        "created": _iso(datetime.now(UTC)),
        "licenses": [{"name": license_id, "title": title, "path": url}],
        "contributors": [{"title": f"The residents of #{campaign.hashtag}", "role": "author"}],
        "sources": [{"title": "Townhall, an open-source facilitator for open town-hall planning"}],
        "resources": resources,
    }
    (out_dir / "datapackage.json").write_text(
        json.dumps(package, ensure_ascii=False, indent=2), encoding="utf-8"
    )
    (out_dir / "README.md").write_text(data_dictionary(campaign, license_id), encoding="utf-8")
    return out_dir / "datapackage.json"


def _checked(table: OpenDataTable, rows: Iterable[tuple[Any, ...]]) -> Iterable[tuple[Any, ...]]:
    """The rows, each checked to hold one value per column, so that a table's declaration and its rows
    cannot drift apart unnoticed."""
    for row in rows:
        if len(row) != len(table.columns):
            raise ValueError(f"{table.name}: a row has {len(row)} values for {len(table.columns)} columns")
        yield row


def _resource(name: str, path: str, description: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": name,
        "path": path,
        "profile": "tabular-data-resource",
        "format": "csv",
        "mediatype": "text/csv",
        "encoding": "utf-8",
        "description": description,
        "schema": schema,
    }


def _write_csv(path: Path, header: list[str] | None, rows: Iterable[Iterable[Any]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        if header is not None:
            writer.writerow(header)
        writer.writerows(["" if value is None else value for value in row] for row in rows)


def data_dictionary(campaign: Campaign, license_id: str) -> str:
    """The package's README: what each file holds, column by column."""
    title, url = LICENSES[license_id]
    lines = [
        f"# Open data of #{campaign.hashtag}: {campaign.title}",
        "",
        campaign.challenge,
        "",
        f"Licence: {title} ({url}). Attribution: the residents of #{campaign.hashtag}, via Townhall.",
        "Authors are pseudonymous ids, stable within this campaign and unlinkable to any account or to other",
        "campaigns. People who asked to be forgotten, and ideas moderators hid, are absent.",
        "What members wrote for their accountability pod stays with the pod: commitments carry their action,",
        "due day, status and percentage, not their progress notes; check-ins are published only as weekly",
        "counts, with no row per person and none of their words.",
        "`datapackage.json` describes every table (Frictionless Data Package); `comments.csv`, `votes.csv`,",
        "`participants-votes.csv` and `summary.csv` follow the layout of Polis exports.",
        "",
    ]
    for table in TABLES:
        lines += [
            f"## {table.name}.csv",
            "",
            table.description,
            "",
            "| column | type | meaning |",
            "|---|---|---|",
        ]
        lines += [f"| {c.name} | {c.type} | {c.description} |" for c in table.columns]
        lines.append("")
    return "\n".join(lines)


def archive(out_dir: Path) -> Path:
    """The export folder zipped beside itself, for sending as one file."""
    return Path(shutil.make_archive(str(out_dir), "zip", root_dir=out_dir))


commands = CommandSet()
EXPORTS_FOLDER = "exports"


def export_campaign(session: Session, campaign: Campaign, out_dir: Path, config: CoreConfig) -> Path:
    """The campaign's package as the bot and the command line both write it."""
    return write_package(session, campaign, out_dir, config.open_data_secret, config.open_data_license)


@commands.command(
    "export",
    N_("Publish the campaign's open data package as a file"),
    N_("/export [#hashtag]"),
    role=Role.FACILITATOR,
)
def export_command(ctx: Context, args: str) -> None:
    from facilitation.membership.campaigns import (
        resolve_campaign,  # campaigns' commands build on this module's tables
    )

    _ = ctx._
    campaign, _rest = resolve_campaign(ctx, args)
    ctx.require_facilitator(campaign)
    stamp = ctx.now().strftime("%Y%m%d-%H%M%S")
    out_dir = ctx.config.data_dir / EXPORTS_FOLDER / f"{campaign.hashtag}-{stamp}"
    export_campaign(ctx.session, campaign, out_dir, ctx.config)
    ctx.reply(
        _(
            "Open data of #{hashtag}: a Frictionless data package with Polis-format files, licensed {license}.",
            hashtag=campaign.hashtag,
            license=ctx.config.open_data_license,
        ),
        file_path=str(archive(out_dir)),
    )
