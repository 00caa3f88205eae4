"""The command line run in-process against a real database with an open #parks campaign."""

from __future__ import annotations

from pathlib import Path

import pytest

from storage.db import Database
from storage.models import Campaign


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, database_url: str) -> Database:
    """Settings for in-process `townhall` runs, and a database with an open #parks campaign."""
    monkeypatch.chdir(tmp_path)  # no .env from the developer's folder
    for name in ("TELEGRAM_BOT_TOKEN", "DISCORD_BOT_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("DATABASE_URL", database_url)
    database = Database(database_url)
    database.upgrade()
    with database.session() as session:
        session.add(Campaign(hashtag="parks", title="Better parks", challenge="Welcoming parks?"))
    yield database
    database.dispose()
