"""Migrations on SQLite and PostgreSQL: from empty to head, back, and with data kept across an upgrade."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlmodel import Session, SQLModel, select

import storage.models
from storage.db import Database, alembic_config, current_revision, downgrade, scrub_deleted, upgrade
from storage.models import Idea, Identity, Member, Membership


def head_revision(database: Database) -> str:
    return ScriptDirectory.from_config(alembic_config(database.engine)).get_current_head()


def test_upgrade_from_empty_to_head_creates_every_table(database_url):
    database = Database(database_url)
    database.upgrade()
    tables = set(sa.inspect(database.engine).get_table_names())
    assert set(SQLModel.metadata.tables) <= tables
    assert current_revision(database.engine) == head_revision(database)
    database.dispose()


def test_migrations_match_the_models(database_url):
    """A table or column changed without a migration shows up here."""
    database = Database(database_url)
    database.upgrade()
    with database.engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), SQLModel.metadata)
    database.dispose()
    assert differences == []


STORAGE_LAYERS = (
    "kernel",
    "membership",
    "intake",
    "intelligence",
    "planning",
    "accountability",
    "civic",
    "exchange",
    "dashboard",
)
"""storage's table modules, lowest first, in the order storage/models.py gives."""


def test_foreign_keys_point_to_a_table_of_the_same_storage_layer_or_one_below():
    """A capability's tables may name the tables below it, never above, so storage stays one-way."""
    layer = {
        model.__table__.name: STORAGE_LAYERS.index(model.__module__.removeprefix("storage."))
        for model in vars(storage.models).values()
        if isinstance(model, type) and issubclass(model, SQLModel) and hasattr(model, "__table__")
    }
    upward = [
        f"{key.parent.table.name}.{key.parent.name} -> {key.column.table.name}"
        for table in SQLModel.metadata.tables.values()
        for key in table.foreign_keys
        if layer[key.column.table.name] > layer[table.name]
    ]
    assert upward == []


def test_downgrade_to_base_and_up_again(database_url):
    database = Database(database_url)
    database.upgrade()
    downgrade(database.engine, "base")
    assert set(sa.inspect(database.engine).get_table_names()) <= {"alembic_version"}
    upgrade(database.engine)
    assert current_revision(database.engine) == head_revision(database)
    database.dispose()


FIRST_REVISION_ROWS = (
    "INSERT INTO member (id, pseudonym, language, timezone, created_at) VALUES (1, 'Calm Heron 101', 'en', 'UTC', :now)",
    "INSERT INTO identity (member_id, platform, platform_user_id, display_name, created_at) "
    "VALUES (1, 'console', 'local', 'Local', :now)",
    "INSERT INTO campaign (id, hashtag, title, challenge, status, created_at) "
    "VALUES (1, 'parks', 'Better parks', 'Welcoming parks?', 'open', :now)",
    "INSERT INTO membership (campaign_id, member_id, joined_at) VALUES (1, 1, :now)",
    "INSERT INTO idea (campaign_id, member_id, text, status, source_platform, source_chat_id, created_at) "
    "VALUES (1, 1, 'More benches', 'open', 'console', 'c', :now)",
)
"""Written with the first revision's columns only: today's models have more."""


def test_data_written_at_the_first_revision_survives_upgrading_to_head(database_url):
    database = Database(database_url)
    upgrade(database.engine, "0001")
    with database.engine.begin() as connection:
        for statement in FIRST_REVISION_ROWS:
            connection.execute(sa.text(statement), {"now": datetime(2026, 11, 1, 12, 0)})
    database.upgrade()
    with Session(database.engine) as session:
        [idea] = session.exec(select(Idea)).all()
        assert (idea.text, idea.member_id) == ("More benches", 1)  # a rebuilt table must not cascade
        assert session.exec(select(Member)).one().pseudonym == "Calm Heron 101"
        assert [m.member_id for m in session.exec(select(Membership))] == [1]
        assert [i.platform_user_id for i in session.exec(select(Identity))] == ["local"]
    database.dispose()


def test_times_come_back_in_utc_whatever_zone_they_were_written_in(database_url):
    database = Database(database_url)
    database.upgrade()
    montreal_noon = datetime(2026, 12, 1, 12, 0, tzinfo=timezone(timedelta(hours=-5)))
    with database.session() as session:
        session.add(
            Member(
                pseudonym="Quiet Owl 202",
                language="fr",
                timezone="America/Montreal",
                created_at=montreal_noon,
            )
        )
    with Session(database.engine) as session:
        stored = session.exec(select(Member)).one().created_at
    assert stored == montreal_noon and stored.tzinfo == UTC and stored.hour == 17
    database.dispose()


def test_sqlite_runs_in_wal_mode_with_foreign_keys(tmp_path):
    database = Database(f"sqlite:///{tmp_path / 'folder' / 'townhall.db'}")
    with database.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    database.dispose()


def test_what_is_deleted_on_sqlite_leaves_no_copy_in_the_database_files(tmp_path):
    """/forget relies on it: deleted rows are zeroed, and the write-ahead log is emptied afterwards."""
    database = Database(f"sqlite:///{tmp_path / 'townhall.db'}")
    database.upgrade()
    with database.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA secure_delete").scalar() == 1
    with database.session() as session:
        for number in range(20):
            session.add(Member(pseudonym=f"Quiet Heron {number:03}", language="en", timezone="UTC"))
    with database.session() as session:
        session.delete(session.exec(select(Member).where(Member.pseudonym == "Quiet Heron 007")).one())
    scrub_deleted(database.engine)
    files = b"".join(path.read_bytes() for path in tmp_path.iterdir())
    database.dispose()
    assert b"Quiet Heron 006" in files and b"Quiet Heron 007" not in files


def test_a_failed_transaction_leaves_nothing_behind(database_url):
    database = Database(database_url)
    database.upgrade()
    with pytest.raises(RuntimeError), database.session() as session:
        session.add(Member(pseudonym="Kind Wren 303", language="en", timezone="UTC"))
        session.flush()
        raise RuntimeError("downstream failure")
    with Session(database.engine) as session:
        assert session.exec(select(Member)).all() == []
    database.dispose()
