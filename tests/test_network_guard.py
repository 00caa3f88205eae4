"""The guard that keeps every test on loopback really fails a connection beyond it."""

from __future__ import annotations

import asyncio
import socket

import pytest

from tests.conftest import NonLoopbackConnection


def test_connecting_beyond_loopback_fails_before_any_packet_leaves():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock, pytest.raises(NonLoopbackConnection):
        sock.connect(("192.0.2.1", 443))  # TEST-NET-1: documentation range


def test_hostnames_other_than_localhost_are_refused():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock, pytest.raises(NonLoopbackConnection):
        sock.connect_ex(("example.org", 80))


async def test_loopback_connections_still_work():
    server = await asyncio.start_server(lambda r, w: w.close(), "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    with socket.create_connection(("127.0.0.1", port), timeout=5):
        pass
    server.close()
    await server.wait_closed()


async def test_asyncio_connections_beyond_loopback_fail_too():
    with pytest.raises(NonLoopbackConnection):
        await asyncio.open_connection("192.0.2.1", 443)
