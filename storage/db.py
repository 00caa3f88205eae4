"""Engine, sessions and migrations for SQLite (the default) and PostgreSQL, with one code path."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Engine, make_url
from sqlmodel import Session

from storage.leader import ADVISORY_KEY

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
SQLITE_BUSY_TIMEOUT_MS = 10_000


def normalise_url(url: str) -> str:
    """Use psycopg 3 for plain postgresql:// URLs, the driver Townhall installs."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


def create_db_engine(url: str) -> Engine:
    """An engine with Townhall's connection settings; creates the SQLite file's folder if needed."""
    url = normalise_url(url)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = sa.create_engine(url, connect_args={"check_same_thread": False})
        sa.event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    # Room for the inbox workers: each holds a connection for its chat lock beside its session.
    return sa.create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=30)


def _sqlite_pragmas(dbapi_connection, _record) -> None:  # noqa: ANN001 (DB-API types)
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    # With WAL, NORMAL survives any crash of the process; only a power cut may drop the last commits.
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    # Deleted rows are overwritten with zeros, so that what /forget deletes is not left in the file.
    cursor.execute("PRAGMA secure_delete=ON")
    cursor.close()


def scrub_deleted(engine: Engine) -> None:
    """After deleting someone's data: on SQLite, copy the write-ahead log into the database and empty it,
    so that no earlier version of the deleted rows stays in the log file (the database's own pages were
    zeroed by secure_delete). PostgreSQL keeps dead rows out of reach of any query until vacuumed."""
    if engine.dialect.name != "sqlite":
        return
    with engine.connect() as connection:
        connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")


SQLITE_UNAVAILABLE_MESSAGES = ("locked", "busy", "unable to open", "disk i/o", "database or disk is full")
"""SQLite errors that pass (another process holds the lock, the disk hiccups or fills up until someone
frees space); "no such table" does not."""


def unavailable(error: BaseException) -> bool:
    """Whether `error` means the database cannot be reached or is busy for now, so that the same work
    should be tried again later, rather than a mistake that would fail again.

    A full disk counts (SQLITE_FULL; PostgreSQL's SQLSTATE 53100, an OperationalError like every
    connection failure): the work waits, held, until space is freed, instead of being answered as a bug.
    """
    if isinstance(error, sa.exc.DBAPIError) and error.connection_invalidated:
        return True
    if not isinstance(error, (sa.exc.OperationalError, sa.exc.InterfaceError)):
        return False
    if isinstance(error.orig, sqlite3.Error):
        return any(message in str(error.orig).lower() for message in SQLITE_UNAVAILABLE_MESSAGES)
    return True


def alembic_config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["engine"] = engine
    return config


MIGRATION_LOCK_NAME = "townhall-migrations"


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Apply migrations up to `revision` (all of them by default). On PostgreSQL, processes started
    together take turns (an advisory lock, per schema): the first migrates, the others find it done
    instead of colliding on the same new tables."""
    if engine.dialect.name != "postgresql":
        command.upgrade(alembic_config(engine), revision)
        return
    with engine.connect() as connection:
        lock = {"name": MIGRATION_LOCK_NAME}
        connection.execute(sa.text(f"SELECT pg_advisory_lock({ADVISORY_KEY})"), lock)
        connection.commit()
        try:
            command.upgrade(alembic_config(engine), revision)
        finally:
            connection.execute(sa.text(f"SELECT pg_advisory_unlock({ADVISORY_KEY})"), lock)
            connection.commit()


def downgrade(engine: Engine, revision: str) -> None:
    command.downgrade(alembic_config(engine), revision)


def current_revision(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def insert_if_absent(
    session: Session, table: sa.Table, unique: tuple[str, ...] | None = None, **values: object
) -> bool:
    """Insert a row unless its primary key (or the `unique` columns) exists; True if this call inserted it.

    `INSERT ... ON CONFLICT DO NOTHING` on both backends: on PostgreSQL a concurrent insert of the same
    key waits for the other transaction and then does nothing, so exactly one caller gets True. No
    savepoint is needed (pysqlite's savepoints could commit the enclosing transaction early). RETURNING
    tells whether a row went in: the row count is not reliable through the ORM session.
    """
    insert = postgresql_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    key = list(table.primary_key.columns)
    conflict = list(unique) if unique is not None else key
    statement = insert(table).values(**values).on_conflict_do_nothing(index_elements=conflict).returning(*key)
    return session.execute(statement).first() is not None


class Database:
    """The engine plus a session factory; one per process."""

    def __init__(self, url: str) -> None:
        self.engine = create_db_engine(url)

    def upgrade(self) -> None:
        upgrade(self.engine)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session that commits on success and rolls back on any error, so nothing is half-written."""
        with Session(self.engine, expire_on_commit=False) as session:
            try:
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise

    def dispose(self) -> None:
        self.engine.dispose()
