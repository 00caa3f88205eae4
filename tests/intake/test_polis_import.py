"""`townhall import-polis` and `townhall groups`, run as the command line on small made-up Polis folders."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from sqlmodel import Session, select

from bot.cli import EXIT_REFUSED, main
from facilitation.intake import polis_import
from storage.db import Database
from storage.models import Idea, IdeaVote, Identity

CAMP_A = [1, 1, -1, -1, 1, 0]
CAMP_B = [-1, -1, 1, 1, 1, 0]
STATEMENTS = [
    "Close the main street to cars on Sundays",
    "More bike lanes downtown",
    "Keep free parking by the market",
    "Widen the ring road",
    "Plant trees along every school route",
    "Move the bus depot",
]


def polis_folder(root: Path, name: str = "town-conversation") -> Path:
    """Sixteen voters in two camps on six statements, a statement moderated out, and a few bad rows."""
    folder = root / name
    folder.mkdir()
    with (folder / "comments.csv").open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(
            [
                "timestamp",
                "datetime",
                "comment-id",
                "author-id",
                "agrees",
                "disagrees",
                "moderated",
                "comment-body",
            ]
        )
        for number, text in enumerate(STATEMENTS):
            writer.writerow([1700000000000 + number, "", number, number % 3, 0, 0, 1, text])
        writer.writerow([1700000000100, "", 6, 2, 0, 0, -1, "Spam spam spam"])
        writer.writerow([1700000000200, "", 7, 1, 0, 0, 1, ""])
    with (folder / "votes.csv").open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(["timestamp", "datetime", "comment-id", "voter-id", "vote"])
        stamp = 1700000001000
        for voter in range(16):
            for statement, vote in enumerate(CAMP_A if voter < 8 else CAMP_B):
                stamp += 1
                writer.writerow([stamp, "", statement, voter, vote])
            writer.writerow([stamp + 1, "", 6, voter, 1])
        writer.writerow(
            [1700000000999, "", 0, 0, -1]
        )  # an older vote of voter 0 on statement 0: not the latest
        writer.writerow([stamp + 5, "", 0, 3, 2])  # not a vote
        writer.writerow([stamp + 6, "", 42, 3, 1])  # a statement the folder does not have
    return folder


def stored(database: Database) -> tuple[list[Idea], list[IdeaVote], list[Identity]]:
    with Session(database.engine) as session:
        return (
            list(session.exec(select(Idea).order_by(Idea.id))),
            list(session.exec(select(IdeaVote))),
            list(session.exec(select(Identity))),
        )


def test_a_polis_conversation_is_imported_once_with_a_report_of_what_was_skipped(cli, tmp_path, capsys):
    folder = polis_folder(tmp_path)
    assert main(["import-polis", str(folder), "#parks"]) == 0
    out = capsys.readouterr().out
    assert "Imported 7 statements as ideas and 112 votes from 16 Polis participants into #parks" in out
    assert "comments.csv line 9: no text" in out
    assert "votes.csv line 115: vote is not 1, -1 or 0" in out
    assert "votes.csv line 116: statement 42 is not imported" in out
    ideas, votes, identities = stored(cli)
    assert [idea.text for idea in ideas[:6]] == STATEMENTS
    assert ideas[6].status == "hidden" and ideas[6].hidden_reason == "moderated out in Polis"
    assert {identity.platform for identity in identities} == {"polis"}
    assert "town-conversation:15" in {identity.platform_user_id for identity in identities}
    voter_0 = next(i.member_id for i in identities if i.platform_user_id == "town-conversation:0")
    first_vote = next(v for v in votes if v.member_id == voter_0 and v.idea_id == ideas[0].id)
    assert first_vote.choice == "agree"  # the latest vote counts, not the older disagree

    assert main(["import-polis", str(folder), "#parks"]) == 0
    assert "Imported 0 statements as ideas and 0 votes" in capsys.readouterr().out
    assert [len(rows) for rows in stored(cli)] == [7, 112, 16]


def test_groups_prints_the_two_camps_and_writes_participant_rows(cli, tmp_path, capsys):
    assert main(["import-polis", str(polis_folder(tmp_path)), "#parks"]) == 0
    capsys.readouterr()
    assert main(["groups", "#parks"]) == 0
    out = capsys.readouterr().out
    assert "Opinion groups in #parks (16 voters grouped):" in out
    assert "Group A · 8 people" in out and "Group B · 8 people" in out
    assert "More bike lanes downtown (agree 100%, disagree 0%)" in out
    assert "What nearly everyone agrees on:\n  i5 · Plant trees along every school route (agree 100%" in out
    assert "Spam" not in out  # moderated out, so hidden and left out

    table = tmp_path / "groups.csv"
    assert main(["groups", "#parks", "--csv", str(table)]) == 0
    with table.open(encoding="utf-8") as file:
        rows = {row["participant"]: row["group"] for row in csv.DictReader(file)}
    assert sorted(rows, key=int) == [str(voter) for voter in range(16)]
    assert len({rows[str(v)] for v in range(8)}) == 1 and len({rows[str(v)] for v in range(8, 16)}) == 1
    assert rows["0"] != rows["8"]


@pytest.mark.parametrize(
    ("remove", "expected"),
    [("votes.csv", "has no votes.csv"), ("comments.csv:moderated", "comments.csv has no column moderated")],
    ids=["missing file", "missing column"],
)
def test_a_folder_missing_a_file_or_column_is_refused_whole(cli, tmp_path, capsys, remove, expected):
    folder = polis_folder(tmp_path)
    name, _, column = remove.partition(":")
    if column:
        with (folder / name).open(encoding="utf-8") as file:
            rows = list(csv.DictReader(file))
        with (folder / name).open("w", newline="", encoding="utf-8") as out:
            writer = csv.DictWriter(out, [c for c in rows[0] if c != column], extrasaction="ignore")
            writer.writeheader()
            writer.writerows(rows)
    else:
        (folder / name).unlink()
    assert main(["import-polis", str(folder), "#parks"]) == EXIT_REFUSED
    error = capsys.readouterr().err
    assert expected in error and "Nothing was imported." in error
    assert [len(rows) for rows in stored(cli)] == [0, 0, 0]


def test_a_failure_midway_leaves_nothing_half_imported(cli, tmp_path, monkeypatch):
    real = polis_import.import_polis

    def failing(session, campaign, plan, config, progress):  # noqa: ANN001
        def progress_then_fail(done: int, total: int) -> None:
            if done > 50:
                raise OSError("disk full")

        return real(session, campaign, plan, config, progress_then_fail)

    monkeypatch.setattr(polis_import, "import_polis", failing)
    with pytest.raises(OSError):
        main(["import-polis", str(polis_folder(tmp_path)), "#parks"])
    assert [len(rows) for rows in stored(cli)] == [0, 0, 0]


def test_groups_with_too_few_votes_says_how_many_more_are_needed(cli, capsys):
    assert main(["groups", "#parks"]) == 0
    assert (
        "Not enough votes yet in #parks to find opinion groups: 4 more voters and 2 more ideas with votes"
        in (capsys.readouterr().out)
    )
