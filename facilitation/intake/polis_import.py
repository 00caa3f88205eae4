"""Importing a Polis conversation (an export folder as in compdemocracy/openData) into a campaign.

`comments.csv` statements become ideas (those moderated out, -1, imported hidden), their authors and the
voters of `votes.csv` become members known by the identity platform `polis`, and the latest vote of each
voter on each statement becomes that member's vote. Reading checks the whole folder first: a missing file
or column refuses it whole; each row that cannot be imported is reported with its file, line and reason.
Storing writes everything in the caller's one transaction, and a second import of the same folder finds
every statement and vote already there and adds nothing.

Polis numbers voters from 0 in every conversation, so a voter's identity is scoped by the conversation:
user id `<folder name>:<voter-id>`. Two conversations imported never merge two different people.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from sqlmodel import Session, col, select

from facilitation.kernel.context import CoreConfig
from facilitation.kernel.events import Sender
from facilitation.kernel.identity import member_for
from facilitation.kernel.text import IDEA_MAX_LENGTH, clean_user_text
from facilitation.planning.votes import AGREE, DISAGREE, PASS
from storage.models import Campaign, Idea, IdeaVote

POLIS_PLATFORM = "polis"
"""The identity platform of imported Polis participants, and the `source_platform` of their statements."""
SOURCE_NAME_MAX_LENGTH = 48
"""A conversation's folder name, as kept in identities and ideas (room is left for ':<voter-id>')."""
COMMENT_COLUMNS = ("timestamp", "comment-id", "author-id", "moderated", "comment-body")
VOTE_COLUMNS = ("timestamp", "comment-id", "voter-id", "vote")
CHOICE_OF_VOTE = {"1": AGREE, "-1": DISAGREE, "0": PASS}
MODERATED_OUT = "-1"
PROGRESS_EVERY = 500
"""Rows between two updates of the progress bar."""
HIDDEN_REASON = "moderated out in Polis"


class PolisFolderError(Exception):
    """The folder cannot be imported at all; the message says why."""


@dataclass(frozen=True)
class Statement:
    comment_id: str
    author_id: str
    text: str
    hidden: bool
    created_at: datetime


@dataclass(frozen=True)
class Vote:
    comment_id: str
    voter_id: str
    choice: str
    cast_at: datetime


@dataclass
class PolisPlan:
    """What the folder holds that can be imported, and each row left out with its reason."""

    source: str
    statements: list[Statement] = field(default_factory=list)
    votes: list[Vote] = field(default_factory=list)
    skipped: list[tuple[str, int, str]] = field(default_factory=list)
    """(file, line, reason)."""


@dataclass(frozen=True)
class PolisImport:
    ideas: int
    votes: int
    members: int


def user_id(source: str, polis_id: str) -> str:
    """The identity of Polis participant `polis_id` in the conversation `source`."""
    return f"{source}:{polis_id}"


def polis_id(identity_user_id: str) -> str:
    """The Polis participant id back from an identity's user id."""
    return identity_user_id.rpartition(":")[2]


def _rows(folder: Path, name: str, columns: tuple[str, ...]) -> Iterator[tuple[int, dict[str, str]]]:
    path = folder / name
    if not path.is_file():
        raise PolisFolderError(
            f"{folder} has no {name}: a Polis export folder holds comments.csv and votes.csv."
        )
    try:
        with path.open(encoding="utf-8-sig", newline="") as file:
            reader = csv.DictReader(file)
            missing = [column for column in columns if column not in (reader.fieldnames or [])]
            if missing:
                raise PolisFolderError(
                    f"{name} has no column {', '.join(missing)}; it needs {', '.join(columns)}."
                )
            for row in reader:
                yield reader.line_num, row
    except UnicodeDecodeError:
        raise PolisFolderError(f"{name} is not UTF-8 text.") from None
    except csv.Error as error:
        raise PolisFolderError(f"{name} is not a readable CSV file ({error}).") from None


def _moment(stamp: str) -> datetime:
    """A Polis timestamp (milliseconds since 1970) as a UTC time; ValueError when it is not one."""
    return datetime.fromtimestamp(int(stamp) / 1000, tz=UTC)


def read_polis_folder(folder: Path) -> PolisPlan:
    """Read and check a Polis export folder: statements, and the latest vote per voter and statement."""
    plan = PolisPlan(source=folder.resolve().name[:SOURCE_NAME_MAX_LENGTH])
    statements: dict[str, Statement] = {}
    for line, row in _rows(folder, "comments.csv", COMMENT_COLUMNS):
        text = clean_user_text(row["comment-body"] or "")
        comment_id, author_id = (row["comment-id"] or "").strip(), (row["author-id"] or "").strip()
        try:
            created_at = _moment(row["timestamp"])
        except (TypeError, ValueError):
            plan.skipped.append(("comments.csv", line, "no valid timestamp"))
            continue
        if not comment_id.isdigit() or not author_id.isdigit():
            plan.skipped.append(("comments.csv", line, "no valid comment-id or author-id"))
        elif not text:
            plan.skipped.append(("comments.csv", line, "no text"))
        elif len(text) > IDEA_MAX_LENGTH:
            plan.skipped.append(("comments.csv", line, f"text longer than {IDEA_MAX_LENGTH} characters"))
        elif comment_id in statements:
            plan.skipped.append(("comments.csv", line, f"comment-id {comment_id} appears twice"))
        else:
            hidden = (row["moderated"] or "").strip() == MODERATED_OUT
            statements[comment_id] = Statement(comment_id, author_id, text, hidden, created_at)
    plan.statements = list(statements.values())
    latest: dict[tuple[str, str], Vote] = {}
    for line, row in _rows(folder, "votes.csv", VOTE_COLUMNS):
        comment_id, voter_id = (row["comment-id"] or "").strip(), (row["voter-id"] or "").strip()
        choice = CHOICE_OF_VOTE.get((row["vote"] or "").strip())
        try:
            cast_at = _moment(row["timestamp"])
        except (TypeError, ValueError):
            plan.skipped.append(("votes.csv", line, "no valid timestamp"))
            continue
        if not voter_id.isdigit():
            plan.skipped.append(("votes.csv", line, "no valid voter-id"))
        elif choice is None:
            plan.skipped.append(("votes.csv", line, "vote is not 1, -1 or 0"))
        elif comment_id not in statements:
            plan.skipped.append(("votes.csv", line, f"statement {comment_id or '?'} is not imported"))
        else:
            vote = Vote(comment_id, voter_id, choice, cast_at)
            previous = latest.get((voter_id, comment_id))
            if previous is None or vote.cast_at >= previous.cast_at:
                latest[(voter_id, comment_id)] = vote
    plan.votes = list(latest.values())
    return plan


def import_polis(
    session: Session,
    campaign: Campaign,
    plan: PolisPlan,
    config: CoreConfig,
    progress: Callable[[int, int], None] = lambda done, total: None,
) -> PolisImport:
    """Store the plan in `campaign` within `session`; what is already there is left as it is."""
    existing = {
        idea.source_message_id: idea
        for idea in session.exec(
            select(Idea).where(
                Idea.campaign_id == campaign.id,
                Idea.source_platform == POLIS_PLATFORM,
                Idea.source_chat_id == plan.source,
            )
        )
    }
    members: dict[str, int] = {}

    def member(participant: str) -> int:
        if participant not in members:
            sender = Sender(POLIS_PLATFORM, user_id(plan.source, participant), display_name="")
            found = member_for(session, sender, config).member
            assert found.id is not None
            members[participant] = found.id
        return members[participant]

    total = len(plan.statements) + len(plan.votes)
    new_ideas = 0
    for done, statement in enumerate(plan.statements, start=1):
        if statement.comment_id not in existing:
            idea = Idea(
                campaign_id=campaign.id,
                member_id=member(statement.author_id),
                text=statement.text,
                status="hidden" if statement.hidden else "open",
                hidden_reason=HIDDEN_REASON if statement.hidden else None,
                source_platform=POLIS_PLATFORM,
                source_chat_id=plan.source,
                source_message_id=statement.comment_id,
                created_at=statement.created_at,
            )
            session.add(idea)
            existing[statement.comment_id] = idea
            new_ideas += 1
        if done % PROGRESS_EVERY == 0:
            progress(done, total)
    session.flush()
    ideas = {comment_id: idea.id for comment_id, idea in existing.items()}
    already = set(
        session.exec(
            select(IdeaVote.idea_id, IdeaVote.member_id).where(
                col(IdeaVote.idea_id).in_(list(ideas.values()))
            )
        )
    )
    new_votes = 0
    for done, vote in enumerate(plan.votes, start=len(plan.statements) + 1):
        key = (ideas[vote.comment_id], member(vote.voter_id))
        if key not in already:
            session.add(
                IdeaVote(
                    idea_id=key[0],
                    member_id=key[1],
                    choice=vote.choice,
                    created_at=vote.cast_at,
                    updated_at=vote.cast_at,
                )
            )
            already.add(key)
            new_votes += 1
        if done % PROGRESS_EVERY == 0 or done == total:
            progress(done, total)
    session.flush()
    return PolisImport(ideas=new_ideas, votes=new_votes, members=len(members))
