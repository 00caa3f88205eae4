"""/progress reads a percentage however a member writes it, refuses what is no percentage, and says what it
stored."""

from __future__ import annotations

from bot.testing.harness import Clock, Harness
from storage.models import Commitment
from tests.accountability.test_accountability import START


async def test_each_way_of_writing_a_percentage_is_read_and_the_answer_says_what_was_stored(
    database_url, tmp_path
):
    async with Harness.running(database_url, tmp_path, clock=Clock(START)) as harness:
        await harness.say("/commit Clear the snow for two seniors by friday")
        assert "noted: 50%." in await harness.reply_text("/progress c1 50")
        assert "noted: 30%." in await harness.reply_text("/progress c1 30 %")
        answer = await harness.reply_text("/progress c1 75 % two seniors done")
        assert "noted: 75%." in answer and "two seniors done" in answer
        news = await harness.reply_text("/progress c1 2 volunteers found")
        assert "noted: 75%." in news and "2 volunteers found" in news
        [commitment] = harness.rows(Commitment)
        assert (commitment.progress_percent, commitment.progress_note) == (75, "2 volunteers found")


async def test_a_percentage_out_of_range_changes_nothing(database_url, tmp_path):
    async with Harness.running(database_url, tmp_path, clock=Clock(START)) as harness:
        await harness.say("/commit Clear the snow by friday")
        await harness.say("/progress c1 40%")
        for wrong in ("-20%", "150", "12.5 %", "99999999999999999999%"):
            assert "from 0 to 100" in await harness.reply_text(f"/progress c1 {wrong}")
        [commitment] = harness.rows(Commitment)
        assert (commitment.progress_percent, commitment.progress_note) == (40, None)
        assert "You have no commitment c99999999999999999999" in await harness.reply_text(
            "/progress c99999999999999999999 10%"
        )
        assert "40%" in await harness.reply_text("/mine")
