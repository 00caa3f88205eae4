"""The Polis-layout files of the package: comments, votes, the participants × votes matrix and the summary.

Laid out as Polis exports them, so that tools reading Polis conversations read a campaign too; authors
and voters are Polis's integer participant ids, drawn from the campaign's pseudonyms.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlmodel import Session, col, select

from facilitation.civic.opendata.tables import Pseudonyms
from facilitation.planning.group_store import stored_groups
from facilitation.planning.votes import MATRIX_VALUES
from storage.models import Campaign, Idea, IdeaVote, visible_ideas


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
    voters = {vote.member_id for vote in cast}
    group_of = {
        participant(member_id): group
        for member_id, group in stored_groups(session, campaign).group_of().items()
        if member_id in voters
    }
    ordered_ids = sorted(idea_ids)
    participant_rows = []
    for key in sorted({*matrix, *authored}):
        row_votes = matrix.get(key, {})
        participant_rows.append(
            [
                key,
                group_of.get(key, ""),
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
        ["groups", len(set(group_of.values())) or ""],
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
    "participants-votes": (
        "The participant × idea vote matrix, one row per participant; group-id is the participant's "
        "opinion group (0 for group A, 1 for B...), empty when not grouped."
    ),
}


POLIS_FIELD_DESCRIPTIONS = {
    "group-id": "The participant's opinion group (0 for group A, 1 for B...); empty when not grouped.",
}


def polis_schema(header: list[str], rows: list[list[Any]]) -> dict[str, Any]:
    """A Table Schema for a Polis file, typed from its values."""

    def field_type(index: int) -> str:
        values = [row[index] for row in rows if row[index] != ""]
        return "integer" if values and all(isinstance(value, int) for value in values) else "string"

    fields = [{"name": name, "type": field_type(index)} for index, name in enumerate(header)]
    for field in fields:
        if field["name"] in POLIS_FIELD_DESCRIPTIONS:
            field["description"] = POLIS_FIELD_DESCRIPTIONS[field["name"]]
    return {"fields": fields}
