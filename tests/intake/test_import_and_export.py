"""`townhall import` and `townhall themes --csv`, run as the command line with a real database."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from sqlmodel import Session, select

from bot.cli import EXIT_REFUSED, main
from bot.demo import demo_statements
from facilitation.intake import importing
from storage.db import Database
from storage.models import Idea, Identity


def ideas(database: Database) -> list[Idea]:
    with Session(database.engine) as session:
        return list(session.exec(select(Idea).order_by(Idea.id)))


def write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode(encoding))
    return path


def test_import_stores_every_row_with_its_author_and_reports_empty_rows(cli, tmp_path, capsys):
    file = write(
        tmp_path / "notes.csv",
        "text,author\nMore benches near the playground,Ana\n,\nPlant shade trees,Ben\n   ,Ana\nA café kiosk,Ana\n",
    )
    assert main(["import", "#parks", str(file)]) == 0
    out = capsys.readouterr().out
    assert "Imported 3 ideas into #parks from notes.csv." in out
    assert "line 3: empty row" in out and "line 5: no text" in out
    stored = ideas(cli)
    assert [idea.text for idea in stored] == [
        "More benches near the playground",
        "Plant shade trees",
        "A café kiosk",
    ]
    assert stored[0].member_id == stored[2].member_id != stored[1].member_id
    with Session(cli.engine) as session:
        names = {identity.display_name for identity in session.exec(select(Identity))}
    assert names == {"Ana", "Ben"}

    assert main(["import", "#parks", str(file)]) == 0  # the same file again adds nothing
    assert "Imported 0 ideas" in capsys.readouterr().out and len(ideas(cli)) == 3


def test_files_of_the_same_name_are_told_apart_by_their_rows_and_a_grown_file_adds_only_its_new_rows(
    cli, tmp_path, capsys
):
    first = write(tmp_path / "a" / "notes.csv", "text,author\nMore benches,Ana\nPlant shade trees,Ben\n")
    second = write(tmp_path / "b" / "notes.csv", "text,author\nA café kiosk,Cleo\nMore benches,Ana\n")
    assert main(["import", "#parks", str(first)]) == 0
    capsys.readouterr()
    assert main(["import", "#parks", str(second)]) == 0
    out = capsys.readouterr().out
    assert "Imported 1 ideas into #parks from notes.csv." in out
    assert "line 3: already imported (the same text by the same author)" in out
    write(first, "text,author\nMore benches,Ana\nPlant shade trees,Ben\nMore benches,Ana\nLonger hours,Ana\n")
    assert main(["import", "#parks", str(first)]) == 0  # a grown file: its new rows only
    assert [idea.text for idea in ideas(cli)] == [
        "More benches",
        "Plant shade trees",
        "A café kiosk",
        "More benches",
        "Longer hours",
    ]


def test_a_custom_text_column_is_used(cli, tmp_path, capsys):
    file = write(tmp_path / "survey.csv", "id,answer\n1,Longer opening hours\n")
    assert main(["import", "#parks", str(file), "--text-column", "answer"]) == 0
    assert [idea.text for idea in ideas(cli)] == ["Longer opening hours"]


@pytest.mark.parametrize(
    ("content", "encoding", "expected"),
    [
        ("idea,who\nMore benches,Ana\n", "utf-8", "has no column 'text'; its columns are: idea, who"),
        ("text\nUn café près du lac\n", "latin-1", "is not UTF-8 text (byte 11, line 2"),
        ("", "utf-8", "is empty"),
        (
            'text\nMore benches\n"Shade trees, and\nA water fountain\nBins that close\n',
            "utf-8",
            "a quote opens on line 3 and is never closed",
        ),
    ],
    ids=["missing column", "bad encoding", "empty file", "unterminated quote"],
)
def test_a_bad_file_is_refused_whole_with_the_reason(cli, tmp_path, capsys, content, encoding, expected):
    file = write(tmp_path / "bad.csv", content, encoding)
    assert main(["import", "#parks", str(file)]) == EXIT_REFUSED
    error = capsys.readouterr().err
    assert expected in error and "Nothing was imported." in error
    assert ideas(cli) == []


def test_a_failure_midway_leaves_nothing_half_imported(cli, tmp_path, monkeypatch):
    file = write(tmp_path / "notes.csv", "text\nOne\nTwo\nThree\n")
    real = importing.import_ideas

    def failing(session, campaign, plan, config, progress):  # noqa: ANN001
        def progress_then_fail(done: int) -> None:
            if done == 2:
                raise OSError("disk full")

        return real(session, campaign, plan, config, progress_then_fail)

    monkeypatch.setattr(importing, "import_ideas", failing)
    with pytest.raises(OSError):
        main(["import", "#parks", str(file)])
    assert ideas(cli) == []


def test_import_into_an_unknown_campaign_is_refused(cli, tmp_path, capsys):
    file = write(tmp_path / "notes.csv", "text\nOne\n")
    assert main(["import", "#nope", str(file)]) == EXIT_REFUSED
    assert "there is no open campaign #nope" in capsys.readouterr().err


@pytest.mark.embeddings
def test_themes_csv_has_one_row_per_idea_with_its_theme_and_formulas_as_text(cli, tmp_path, capsys):
    statements = [*demo_statements()[:29], '=HYPERLINK("http://evil.example","More benches")']
    file = tmp_path / "bowling.csv"
    with file.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(["text"])
        writer.writerows([text] for text in statements)
    assert main(["import", "#parks", str(file)]) == 0
    export = tmp_path / "themes.csv"
    assert main(["themes", "#parks", "--csv", str(export)]) == 0
    with export.open(encoding="utf-8", newline="") as read:
        rows = list(csv.DictReader(read))
    assert list(rows[0]) == ["idea_id", "theme_id", "theme_label", "label_method", "subtheme_id", "text"]
    assert [row["text"] for row in rows] == [*statements[:29], "'" + statements[29]]  # a formula, as text
    assert all(row["idea_id"].startswith("i") for row in rows)
    assert all(row["theme_id"] == "other" or row["theme_id"].startswith("t") for row in rows)
    assert all(row["theme_label"] for row in rows)
    # how each label was picked by the program: a phrase of the theme's ideas, or its central idea's opening
    assert {row["label_method"] for row in rows if row["theme_id"] != "other"} <= {"phrase", "opening"}
    assert all(row["label_method"] for row in rows if row["theme_id"] != "other")

    assert main(["themes", "#parks"]) == 0
    out = capsys.readouterr().out
    assert "Themes in #parks — 30 ideas" in out and "Verbatim, i" in out
    map_path = Path(out.rsplit("Theme map: ", 1)[1].strip())
    assert map_path.is_file() and map_path.is_relative_to(tmp_path / "data")
