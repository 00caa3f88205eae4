"""`townhall` as people run it: settings errors, the database command, the console through a pipe."""

from __future__ import annotations

import os

import pytest

from bot.cli import EXIT_REFUSED
from bot.settings import SettingsError, load_settings
from bot.testing.harness import townhall
from tests.conftest import ROOT

TOUR = [
    "/campaign #parks Better parks | How can we make our parks welcoming for everyone?",
    "/join #parks",
    "/idea More benches near the playground",
    "Plant shade trees along the path #parks",
    "/ideas",
]


def test_console_tour_through_a_pipe_then_a_second_run_lists_the_ideas_again(environment, tmp_path):
    first = townhall("run", stdin="\n".join(TOUR) + "\n", env=environment, cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    assert "Traceback" not in first.stdout + first.stderr
    out = first.stdout
    assert "Campaign #parks created: Better parks." in out
    assert "Welcome to #parks" in out
    assert "Idea i1 recorded in #parks" in out and "Idea i2 recorded in #parks" in out
    listing = out[out.rindex("Ideas in #parks") :]
    assert (
        "More benches near the playground" in listing and "Plant shade trees along the path #parks" in listing
    )

    second = townhall("run", stdin="/ideas\n", env=environment, cwd=tmp_path)
    assert second.returncode == 0, second.stderr
    assert "i1" in second.stdout and "More benches near the playground" in second.stdout
    assert "Plant shade trees along the path #parks" in second.stdout


def test_console_speaks_french_after_lang_fr(environment, tmp_path):
    result = townhall("run", stdin="/lang fr\n/help\n", env=environment, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "Je vous parlerai en français" in result.stdout and "Pour les animateurs" in result.stdout


def test_console_button_hint_follows_the_language_of_the_message(environment, tmp_path):
    """The console's own hint under buttons is in the reader's language, not the console's start-up one."""
    script = ["/lang fr", "/campaign #parcs Parcs | Des parcs accueillants ?", "/invite"]
    result = townhall("run", stdin="\n".join(script) + "\n", env=environment, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "(appuyez sur un bouton avec /press <numéro>)" in result.stdout
    assert "(press a button with /press <number>)" not in result.stdout


def test_console_can_speak_as_a_resident_and_press_buttons(environment, tmp_path):
    script = [
        "/campaign #parks Better parks | Welcoming parks?",
        "/invite",
        "/as Alice",
        "/press 1",
        "/campaign #other Other | Refused?",
    ]
    result = townhall("run", stdin="\n".join(script) + "\n", env=environment, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "[1] Join #parks" in result.stdout
    assert "You now speak as the resident Alice." in result.stdout
    assert "Welcome to #parks" in result.stdout
    assert "Only facilitators can do that" in result.stdout


def test_python_m_bot_cli_reaches_every_command_as_townhall_does(environment, tmp_path):
    """`townhall` is `python -m bot.cli`: the overview, a command's usage, and the import command itself."""
    overview = townhall("--help", env=environment, cwd=tmp_path)
    assert overview.returncode == 0, overview.stderr
    assert overview.stdout.startswith("usage: townhall")
    usage = townhall("import", "--help", env=environment, cwd=tmp_path)
    assert usage.returncode == 0, usage.stderr
    assert usage.stdout.startswith("usage: townhall import")
    refused = townhall("import", "#parks", "missing.csv", env=environment, cwd=tmp_path)
    assert refused.returncode == EXIT_REFUSED
    assert "Nothing was imported." in refused.stderr and "Traceback" not in refused.stderr


def test_db_upgrade_reports_the_revision(environment, tmp_path):
    result = townhall("db", "upgrade", env=environment, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "database revision:" in result.stdout


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("DEFAULT_TIMEZONE", "Mars/Olympus_Mons"),
        ("DEFAULT_LANGUAGE", "tlh"),
        ("FACILITATOR_IDS", "12345"),
        ("LOG_LEVEL", "LOUD"),
        ("DATABASE_URL", "mysql://somewhere/db"),
        ("OPEN_DATA_LICENSE", "all rights reserved"),
    ],
)
def test_a_bad_setting_stops_with_one_line_naming_it_and_exit_code_2(tmp_path, variable, value):
    env = {key: val for key, val in os.environ.items() if not key.endswith("_BOT_TOKEN")}
    env.update({variable: value, "PYTHONPATH": str(ROOT), "DATA_DIR": str(tmp_path / "data")})
    result = townhall("run", env=env, cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and variable in result.stderr
    assert "Traceback" not in result.stderr


def test_settings_read_facilitators_from_a_comma_separated_list(monkeypatch):
    monkeypatch.setenv("FACILITATOR_IDS", "telegram:12, discord:34")
    assert load_settings(_env_file=None).facilitator_identities() == {("telegram", "12"), ("discord", "34")}
    monkeypatch.setenv("FACILITATOR_IDS", "telegram")
    with pytest.raises(SettingsError, match="FACILITATOR_IDS"):
        load_settings(_env_file=None)


PLANNING_TOUR = [
    "/campaign #parks Better parks | How can we make our parks welcoming for everyone?",
    "/round 30m What would make the park safer at night?",
    "/idea More lights near the gate",
    "/idea Solar lamps along the dark path",
    "/idea A night patrol by neighbours",
    "/close",
    "/prototype i2 Night lights pilot",
    "/version p1 Added two solar lamps",
    "/feedback p1 4 Much better near the gate",
    "/prototype p1",
]


def test_console_planning_tour_round_close_prototype_version_feedback(environment, tmp_path):
    result = townhall("run", stdin="\n".join(PLANNING_TOUR) + "\n", env=environment, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    out = result.stdout
    assert "Brainstorm round r1 is open in #parks" in out
    assert "Idea i3 recorded in round r1 of #parks" in out
    closed = out[out.index("Round r1 of #parks is closed. 3 ideas were shared.") :]
    assert "i2 · Solar lamps along the dark path" in closed
    assert "New prototype p1 in #parks: Night lights pilot" in out
    assert "Prototype p1 (Night lights pilot) has a new version, v1: Added two solar lamps" in out
    shown = out[out.rindex("p1 · Night lights pilot (#parks)") :]
    assert "Added two solar lamps" in shown
    assert "1 rating · mean rating 4.0 / 5" in shown and "Much better near the gate" in shown


@pytest.mark.embeddings
def test_console_shows_a_close_idea_with_its_three_buttons(environment, tmp_path):
    environment.pop("EMBEDDING_MODEL")
    script = [
        "/campaign #parks Better parks | Welcoming parks?",
        "/idea More benches near the playground",
        "/as Bob",
        "/idea We need more benches by the playground",
    ]
    # the model loads while the script is read: the close idea comes as a follow-up before exit
    result = townhall("run", stdin="\n".join(script) + "\n", env=environment, cwd=tmp_path, timeout=300)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "Idea i2 recorded in #parks" in out
    assert "Close ideas already shared in #parks:" in out and "More benches near the playground" in out
    for label in ("Support i1", "Merge mine into i1", "Keep mine separate"):
        assert label in out
