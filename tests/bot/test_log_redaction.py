"""LOG_LEVEL=DEBUG logs every request python-telegram-bot makes, yet the bot token never reaches the log."""

from __future__ import annotations

import asyncio
import logging
import signal
from urllib.parse import quote

from bot.log_redaction import MASK, RedactSecrets
from bot.testing.fake_telegram import TOKEN, FakeBotAPI
from bot.testing.harness import running_townhall


async def test_a_debug_log_of_a_telegram_bot_never_shows_its_token(environment, tmp_path):
    fake = await FakeBotAPI().start()
    try:
        env = {
            **environment,
            "TELEGRAM_BOT_TOKEN": TOKEN,
            "TELEGRAM_API_BASE_URL": fake.url,
            "LOG_LEVEL": "DEBUG",
        }
        process = running_townhall("run", env=env, cwd=tmp_path)
        await fake.wait_until(lambda: len(fake.calls_to("getUpdates")) >= 2, timeout=60)
        process.send_signal(signal.SIGTERM)
        _out, log = await asyncio.to_thread(process.communicate, timeout=60)
    finally:
        await fake.stop()
    assert "getUpdates" in log, "the debug log shows the requests"
    assert TOKEN not in log and TOKEN.split(":")[1] not in log


def test_secrets_are_masked_in_messages_arguments_and_tracebacks(tmp_path):
    log_file = tmp_path / "townhall.log"
    handler = logging.FileHandler(log_file, encoding="utf-8")
    handler.addFilter(RedactSecrets([TOKEN, ""]))
    logger = logging.getLogger("test.redaction")
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    try:
        logger.debug("POST https://api.telegram.org/bot%s/getMe", TOKEN)
        logger.info("encoded %s", quote(TOKEN))
        try:
            raise ValueError(f"bad url /bot{TOKEN}/sendMessage")
        except ValueError:
            logger.exception("request failed")
    finally:
        logger.removeHandler(handler)
        handler.close()
    written = log_file.read_text(encoding="utf-8")
    assert TOKEN not in written and quote(TOKEN) not in written
    assert written.count(MASK) == 3  # the message, the encoded form, the exception in the traceback
