"""Commitments are public unless made private: /commit says so, and a private one's words reach its owner
alone (its pod and the open data see that it exists, how far it is, never what it says)."""

from __future__ import annotations

import csv
from datetime import UTC, datetime

from sqlmodel import Session

from bot.testing.harness import FACILITATOR, Clock, Harness
from facilitation.civic.opendata.package import write_package
from storage.models import Campaign, Commitment

AFTERNOON = datetime(2030, 10, 28, 18, tzinfo=UTC)  # a Monday, 14:00 in Montreal: outside quiet hours
SECRET_ACTION = "Call Mrs. Tremblay after each storm"


async def test_commit_says_it_is_public_and_a_private_commitment_keeps_its_words_to_its_owner(
    database_url, tmp_path
):
    clock = Clock(AFTERNOON)
    async with Harness.running(database_url, tmp_path, clock=clock) as harness:
        await harness.start_parks()
        for user in ("alice", "bob"):
            await harness.say("/timezone America/Montreal", user=user)
            await harness.say("/join #parks", user=user)
        public = await harness.reply_text("/commit Sweep the pond path by in 3 weeks", user="bob")
        assert "Commitments are public" in public and "/commit private" in public

        answers = await harness.say(f"/commit private {SECRET_ACTION} by in 3 weeks", user="alice")
        assert all(sent.message.private for sent in answers)
        text = "\n".join(sent.text for sent in answers)
        assert f"{SECRET_ACTION} — by" in text and "Private: only you see what it says" in text
        assert "Commitments are public" not in text
        [kept] = [row for row in harness.rows(Commitment) if row.private]
        assert kept.action == SECRET_ACTION
        mine = await harness.reply_text("/mine", user="alice")
        assert SECRET_ACTION in mine and "private" in mine

        await harness.say("/pods 2", user=FACILITATOR)
        await harness.run_due_jobs()
        bob_read = "\n".join(sent.text for sent in harness.adapter.sent if sent.address.user_id == "bob")
        assert "Your accountability pod" in bob_read and "a private commitment" in bob_read
        assert "Tremblay" not in bob_read
        done = await harness.say(f"/done c{kept.id}", user="alice")
        assert all(sent.message.private for sent in done) and SECRET_ACTION in done[0].text

        [campaign] = harness.rows(Campaign)
        with Session(harness.townhall.database.engine) as session:
            write_package(session, campaign, tmp_path / "open", "secret")
        with (tmp_path / "open" / "commitments.csv").open(encoding="utf-8", newline="") as handle:
            rows = {row["commitment_id"]: row for row in csv.DictReader(handle)}
        assert rows[str(kept.id)]["action"] == "" and rows[str(kept.id)]["status"] == "done"
        assert len(rows) == 2 and "Sweep the pond path" in {row["action"] for row in rows.values()}
        assert not any("Tremblay" in path.read_text("utf-8") for path in (tmp_path / "open").glob("*.csv"))

        await harness.say("/lang fr", user="alice")
        french = await harness.reply_text("/commit privé Appeler ma voisine d'ici demain", user="alice")
        assert "Privé : vous seul voyez ce qu'il dit" in french
        assert [row.private for row in harness.rows(Commitment) if "voisine" in row.action] == [True]
