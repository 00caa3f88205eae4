"""Open data: a campaign released as a validated Frictionless Data Package, plus Polis-format files.

Nothing in an export names a person or a chat: authors are pseudonyms from a keyed hash of the member and
the campaign, stable within a campaign and unlinkable across campaigns; forgotten members are absent
because their rows are gone. Each table is declared once (`OpenDataTable`) and yields its CSV, its
Table Schema in `datapackage.json`, and its entry in the README's data dictionary.
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

from sqlmodel import Session, col, select

from facilitation.context import Context, CoreConfig
from facilitation.i18n import N_
from facilitation.router import CommandSet, Role
from facilitation.votes import MATRIX_VALUES
from storage.models import Campaign, Goal, GoalMeasurement, Idea, IdeaVote

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
    type: str  # a Table Schema type: string, integer, number, datetime
    description: str


@dataclass(frozen=True)
class OpenDataTable:
    """One CSV of the package: its columns and how to read its rows for a campaign."""

    name: str
    description: str
    columns: tuple[Column, ...]
    rows: Callable[[Session, Campaign, Pseudonyms], Iterable[tuple[Any, ...]]]
    primary_key: tuple[str, ...] = ()


def _iso(moment: datetime | None) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if moment else ""


def visible_ideas(session: Session, campaign: Campaign) -> list[Idea]:
    """Ideas that may be published: those neither hidden by a moderator nor withdrawn."""
    return list(
        session.exec(select(Idea).where(Idea.campaign_id == campaign.id, Idea.shown()).order_by(col(Idea.id)))
    )


def _campaign_rows(session: Session, campaign: Campaign, author: Pseudonyms) -> Iterable[tuple[Any, ...]]:
    yield (
        f"#{campaign.hashtag}",
        campaign.title,
        campaign.challenge,
        campaign.status,
        _iso(campaign.created_at),
    )


def _goal_rows(session: Session, campaign: Campaign, author: Pseudonyms) -> Iterable[tuple[Any, ...]]:
    for goal in session.exec(select(Goal).where(Goal.campaign_id == campaign.id).order_by(col(Goal.id))):
        yield (goal.id, goal.name, goal.target, goal.unit, _iso(goal.created_at))


def _measurement_rows(session: Session, campaign: Campaign, author: Pseudonyms) -> Iterable[tuple[Any, ...]]:
    statement = (
        select(GoalMeasurement)
        .join(Goal, col(Goal.id) == col(GoalMeasurement.goal_id))
        .where(Goal.campaign_id == campaign.id)
        .order_by(col(GoalMeasurement.recorded_at), col(GoalMeasurement.id))
    )
    for measurement in session.exec(statement):
        yield (measurement.id, measurement.goal_id, measurement.value, _iso(measurement.recorded_at))


def _idea_rows(session: Session, campaign: Campaign, author: Pseudonyms) -> Iterable[tuple[Any, ...]]:
    for idea in visible_ideas(session, campaign):
        yield (
            idea.id,
            _iso(idea.created_at),
            author(idea.member_id),
            idea.status,
            idea.merged_into_id,
            idea.text,
        )


TABLES: tuple[OpenDataTable, ...] = (
    OpenDataTable(
        "campaign",
        "The campaign: its hashtag, title and the challenge it invites everyone to.",
        (
            Column("hashtag", "string", "The campaign's hashtag, which tags the mission"),
            Column("title", "string", "Short title"),
            Column("challenge", "string", "The shared challenge, as stated in the open invitation"),
            Column("status", "string", "open or closed"),
            Column("created_at", "datetime", "When the campaign started (UTC)"),
        ),
        _campaign_rows,
        ("hashtag",),
    ),
    OpenDataTable(
        "goals",
        "Shared, measurable goals of the campaign.",
        (
            Column("goal_id", "integer", "Goal identifier"),
            Column("name", "string", "Short name of the goal"),
            Column("target", "number", "Value to reach"),
            Column("unit", "string", "Unit of the target and of the measurements"),
            Column("created_at", "datetime", "When the goal was set (UTC)"),
        ),
        _goal_rows,
        ("goal_id",),
    ),
    OpenDataTable(
        "goal_measurements",
        "Every recorded value of every goal: the goals' history.",
        (
            Column("measurement_id", "integer", "Measurement identifier"),
            Column("goal_id", "integer", "The goal measured (goals.goal_id)"),
            Column("value", "number", "Value recorded, in the goal's unit"),
            Column("recorded_at", "datetime", "When it was recorded (UTC)"),
        ),
        _measurement_rows,
        ("measurement_id",),
    ),
    OpenDataTable(
        "ideas",
        "Every idea residents contributed, verbatim, under a pseudonymous author id.",
        (
            Column("idea_id", "integer", "Idea identifier (shown in chat as i<id>)"),
            Column("created_at", "datetime", "When the idea was posted (UTC)"),
            Column("author", "string", "Pseudonymous author id, stable within this campaign only"),
            Column("status", "string", "open, or merged into another idea"),
            Column("merged_into", "integer", "The idea this one joined, if merged"),
            Column("text", "string", "The idea as its author wrote it"),
        ),
        _idea_rows,
        ("idea_id",),
    ),
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
        _write_csv(path, [column.name for column in table.columns], table.rows(session, campaign, author))
        schema: dict[str, Any] = {
            "fields": [{"name": c.name, "type": c.type, "description": c.description} for c in table.columns]
        }
        if table.primary_key:
            schema["primaryKey"] = list(table.primary_key)
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
    from facilitation.campaigns import resolve_campaign  # campaigns' commands build on this module's tables

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
