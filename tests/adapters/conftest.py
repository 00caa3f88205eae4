"""What the Telegram tests share: a Bot API on 127.0.0.1, and sends without Telegram's pace."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace

import pytest

from adapters.telegram import TelegramAdapter
from bot.testing.fake_telegram import FakeBotAPI


@pytest.fixture(autouse=True)
def unpaced(monkeypatch: pytest.MonkeyPatch) -> None:
    """In-process tests send without Telegram's one-a-second pace (tests/kernel/test_outbox.py covers
    pacing); the `townhall run` test keeps it."""
    fast = replace(TelegramAdapter.capabilities, per_chat_interval=0.0, global_interval=0.0)
    monkeypatch.setattr(TelegramAdapter, "capabilities", fast)


@pytest.fixture
async def api() -> AsyncIterator[FakeBotAPI]:
    server = await FakeBotAPI().start()
    yield server
    await server.stop()
