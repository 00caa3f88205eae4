"""Killed mid-burst with SIGKILL, Townhall keeps every confirmed idea once and delivers every queued reply."""

from __future__ import annotations

import re
import signal
import subprocess
from collections import Counter
from datetime import UTC, datetime

import sqlalchemy as sa

from bot.testing.harness import running_townhall, townhall
from storage.db import create_db_engine
from storage.models import OutboxMessage

BURST = 200
KILL_AFTER_CONFIRMATIONS = 20


def test_sigkill_in_a_burst_of_ideas_loses_and_doubles_nothing(environment, tmp_path, database_url):
    lines = ["/campaign #parks Better parks | Welcoming parks?"]
    lines += [f"Idea number {number} for the park #parks" for number in range(BURST)]
    process = running_townhall(
        "run", env=environment, cwd=tmp_path, stdin=subprocess.PIPE, stdout=subprocess.PIPE
    )
    assert process.stdin is not None and process.stdout is not None
    process.stdin.write("\n".join(lines) + "\n")
    process.stdin.flush()
    confirmed: list[str] = []
    for line in process.stdout:
        confirmed += re.findall(r"Idea (i\d+) recorded", line)
        if len(confirmed) >= KILL_AFTER_CONFIRMATIONS:
            process.send_signal(signal.SIGKILL)
            break
    process.wait(timeout=60)
    assert process.returncode == -signal.SIGKILL

    engine = create_db_engine(database_url)
    restarted = townhall("run", stdin="", env=environment, cwd=tmp_path)
    assert restarted.returncode == 0, restarted.stderr
    with engine.begin() as connection:
        in_flight = connection.execute(
            sa.text("SELECT count(*) FROM outboxmessage WHERE status = 'pending'")
        ).scalar()
        assert in_flight <= 1, "only a message in flight at the kill may wait for its claim to lapse"
        # Let the claim lapse, as 30 seconds would, and start once more.
        connection.execute(
            sa.update(OutboxMessage)
            .where(OutboxMessage.status == "pending")
            .values(next_attempt_at=datetime(2000, 1, 1, tzinfo=UTC))
        )
    again = townhall("run", stdin="", env=environment, cwd=tmp_path)
    assert again.returncode == 0, again.stderr

    with engine.connect() as connection:
        ideas = connection.execute(sa.text("SELECT id, text FROM idea")).all()
        pending = connection.execute(
            sa.text("SELECT count(*) FROM outboxmessage WHERE status <> 'sent'")
        ).scalar()
        replies = [row.payload for row in connection.execute(sa.text("SELECT payload FROM outboxmessage"))]
    engine.dispose()
    stored_ids = {f"i{idea_id}" for idea_id, _text in ideas}
    assert set(confirmed) <= stored_ids, "a confirmed idea was lost"
    assert max(Counter(text for _id, text in ideas).values()) == 1, "an idea was stored twice"
    assert pending == 0, "a queued reply was not delivered after the restart"
    confirmations = sum("recorded in #parks" in str(payload) for payload in replies)
    assert confirmations == len(ideas), "every stored idea has its confirmation in the outbox"
