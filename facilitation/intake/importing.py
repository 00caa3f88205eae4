"""Importing ideas collected offline (sticky notes, a paper survey, another platform) from a CSV file.

Reading checks the whole file first: a file that is not UTF-8 or lacks the text column is refused as a
whole, and each row that cannot become an idea is reported with its line and the reason. Storing then
writes every good row in the caller's one transaction: nothing is half-imported.
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from sqlmodel import Session, select

from facilitation.kernel.context import CoreConfig
from facilitation.kernel.events import Sender
from facilitation.kernel.identity import member_for
from facilitation.kernel.text import IDEA_MAX_LENGTH, clean_user_text
from storage.models import Campaign, Idea

IMPORT_PLATFORM = "import"
"""The `source_platform` of imported ideas, and the platform of their authors' identities."""
DEFAULT_TEXT_COLUMN = "text"
DEFAULT_AUTHOR_COLUMN = "author"
SOURCE_NAME_MAX_LENGTH = 64
AUTHOR_MAX_LENGTH = 64


class ImportFileError(Exception):
    """The file cannot be imported at all; the message says why and what to do."""


@dataclass(frozen=True)
class ImportRow:
    line: int
    text: str
    author: str
    occurrence: int = 1
    """1 for the first row of the file with this text and author, 2 for the next one, and so on."""

    @property
    def key(self) -> str:
        """What identifies the row whatever the file is called: its author, text and occurrence, so that
        importing a file again, or a grown copy of it, adds only the rows not imported before."""
        content = "\x1f".join((self.author, self.text, str(self.occurrence)))
        return "row " + hashlib.sha256(content.encode()).hexdigest()[:40]


@dataclass
class ImportPlan:
    """The rows that will become ideas, and the lines skipped with the reason."""

    source: str
    rows: list[ImportRow] = field(default_factory=list)
    skipped: list[tuple[int, str]] = field(default_factory=list)


def read_ideas_csv(path: Path, text_column: str, author_column: str | None) -> ImportPlan:
    """Read and check a CSV file of ideas. `author_column` None means "author" if the file has one."""
    data = path.read_bytes()
    try:
        content = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise ImportFileError(
            f"{path.name} is not UTF-8 text (byte {error.start}, line {line}, cannot be read). "
            'Save it as UTF-8 ("CSV UTF-8" in a spreadsheet) and import it again.'
        ) from None
    unclosed = _line_of_unclosed_quote(content)
    if unclosed is not None:
        raise ImportFileError(
            f"{path.name} is not a readable CSV file: a quote opens on line {unclosed} and is never closed, "
            "so every line after it would become one idea. Close or remove that quote and import it again."
        )
    reader = csv.DictReader(io.StringIO(content, newline=""))
    header = reader.fieldnames or []
    if not header:
        raise ImportFileError(f"{path.name} is empty: it has no header line naming its columns.")
    if author_column is None:
        author_column = DEFAULT_AUTHOR_COLUMN if DEFAULT_AUTHOR_COLUMN in header else None
    for wanted, option in ((text_column, "--text-column"), (author_column, "--author-column")):
        if wanted is not None and wanted not in header:
            raise ImportFileError(
                f"{path.name} has no column {wanted!r}; its columns are: {', '.join(header)}. "
                f"Name the right one with {option}."
            )
    plan = ImportPlan(source=path.name[:SOURCE_NAME_MAX_LENGTH])
    occurrences: dict[tuple[str, str], int] = {}
    try:
        for row in reader:
            line = reader.line_num
            text = clean_user_text(row.get(text_column) or "")
            if not text:
                plan.skipped.append((line, "empty row" if not any(row.values()) else "no text"))
            elif len(text) > IDEA_MAX_LENGTH:
                plan.skipped.append((line, f"text longer than {IDEA_MAX_LENGTH} characters"))
            else:
                author = (
                    clean_user_text(row.get(author_column) or "")[:AUTHOR_MAX_LENGTH] if author_column else ""
                )
                occurrence = occurrences[author, text] = occurrences.get((author, text), 0) + 1
                plan.rows.append(ImportRow(line, text, author, occurrence))
    except csv.Error as error:
        raise ImportFileError(
            f"{path.name} is not a readable CSV file (line {reader.line_num}: {error})."
        ) from None
    return plan


def _line_of_unclosed_quote(content: str) -> int | None:
    """The line where a quoted field opens that no quote closes, if any. Reading stays lenient otherwise
    (a quote inside a word is kept as written); only the strict reader notices a quote still open at the
    end of the file."""
    reader = csv.reader(io.StringIO(content, newline=""), strict=True)
    row_start = 1
    try:
        for _row in reader:
            row_start = reader.line_num + 1
    except csv.Error as error:
        return row_start if "unexpected end of data" in str(error) else None
    return None


def import_ideas(
    session: Session,
    campaign: Campaign,
    plan: ImportPlan,
    config: CoreConfig,
    progress: Callable[[int], None] = lambda done: None,
) -> int:
    """Store the plan's rows as ideas of `campaign` in `session`; returns how many were stored.

    Each author becomes a member (known by the platform "import" and their name) with a pseudonym; a
    row already imported (the same key, from any file) is skipped and added to `plan.skipped`.
    """
    already = set(
        session.exec(
            select(Idea.source_message_id).where(
                Idea.campaign_id == campaign.id,
                Idea.source_platform == IMPORT_PLATFORM,
            )
        )
    )
    stored = 0
    members: dict[str, int | None] = {"": None}
    for done, row in enumerate(plan.rows, start=1):
        if row.key in already:
            plan.skipped.append((row.line, "already imported (the same text by the same author)"))
        else:
            if row.author not in members:
                members[row.author] = member_for(
                    session, Sender(IMPORT_PLATFORM, row.author, display_name=row.author), config
                ).member.id
            session.add(
                Idea(
                    campaign_id=campaign.id,
                    member_id=members[row.author],
                    text=row.text,
                    source_platform=IMPORT_PLATFORM,
                    source_chat_id=plan.source,
                    source_message_id=row.key,
                )
            )
            stored += 1
        progress(done)
    session.flush()
    plan.skipped.sort()
    return stored
