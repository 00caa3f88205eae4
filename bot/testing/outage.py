"""A database made unreachable for a while, for fault tests: PostgreSQL cut off behind a proxy on
127.0.0.1, SQLite locked by another connection."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import AsyncIterator, Coroutine
from contextlib import asynccontextmanager
from typing import Any, TypeVar

from sqlalchemy.engine import make_url

T = TypeVar("T")


class CuttableProxy:
    """Forwards TCP connections on 127.0.0.1 to a database server, until it is cut: then every open
    connection is closed and new ones are closed at once, as if the server had gone away.

    It runs its own event loop on a thread: Townhall also reaches the database from its loop's thread.
    """

    def __init__(self, host: str, port: int) -> None:
        self.target = (host, port)
        self.cut = False
        self._writers: set[asyncio.StreamWriter] = set()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="db-proxy", daemon=True)
        self.port = 0

    def __enter__(self) -> CuttableProxy:
        self._thread.start()
        self._server = self._call(asyncio.start_server(self._accept, "127.0.0.1", 0))
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    def __exit__(self, *_exc: object) -> None:
        self.cut_off()
        self._server.close()
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join()

    def _call(self, coroutine: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result()

    def cut_off(self) -> None:
        async def cut() -> None:
            self.cut = True
            for writer in list(self._writers):
                writer.close()
            self._writers.clear()

        self._call(cut())

    def restore(self) -> None:
        self.cut = False

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self.cut:
            writer.close()
            return
        upstream_reader, upstream_writer = await asyncio.open_connection(*self.target)
        self._writers |= {writer, upstream_writer}
        await asyncio.gather(
            self._pipe(reader, upstream_writer), self._pipe(upstream_reader, writer), return_exceptions=True
        )

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        finally:
            self._writers.discard(writer)
            writer.close()


class Outage:
    """Makes the test database unavailable, then available again."""

    def __init__(self, database_url: str, proxy: CuttableProxy | None) -> None:
        self.database_url = database_url
        self.proxy = proxy
        self._lock: sqlite3.Connection | None = None

    def begin(self) -> None:
        if self.proxy is not None:
            self.proxy.cut_off()
            return
        self._lock = sqlite3.connect(make_url(self.database_url).database, isolation_level=None)
        self._lock.execute("BEGIN IMMEDIATE")  # holds the write lock until `end`

    def end(self) -> None:
        if self.proxy is not None:
            self.proxy.restore()
            return
        assert self._lock is not None
        self._lock.execute("ROLLBACK")
        self._lock.close()


@asynccontextmanager
async def outage_for(database_url: str) -> AsyncIterator[tuple[str, Outage]]:
    """The URL Townhall should use, and the outage to start and end; PostgreSQL is reached via a proxy."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        yield database_url, Outage(database_url, None)
        return
    with CuttableProxy(url.host or "127.0.0.1", url.port or 5432) as proxy:
        proxied = url.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
        yield proxied, Outage(database_url, proxy)
