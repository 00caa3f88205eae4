"""`townhall web` (the dashboard alone) and `townhall dashboard-link` (a link printed on the machine)."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import sys

from bot.cli_support import EXIT_CONFIGURATION_ERROR, EXIT_REFUSED, campaign_named, database_for
from bot.settings import Settings


def print_dashboard_link(settings: Settings, hashtag: str) -> int:
    """A single-use link to the campaign's dashboard for the operator at this machine (the console's
    local user, who facilitates everything)."""
    from adapters.console import ConsoleAdapter
    from adapters.console.adapter import LOCAL_USER_ID
    from bot.app import core_config
    from bot.web.app import dashboard_config
    from facilitation.dashboard.access import LINK_LIFETIME, issue_link
    from facilitation.kernel.events import Sender
    from facilitation.kernel.identity import member_for

    config = dashboard_config(core_config(settings, []))
    if not config.web_url:
        print("townhall dashboard-link: the dashboard is off (DASHBOARD_PORT is 0).", file=sys.stderr)
        return EXIT_CONFIGURATION_ERROR
    with database_for(settings) as database, database.session() as session:
        campaign = campaign_named(session, hashtag)
        if campaign is None:
            print(f"townhall dashboard-link: there is no campaign {hashtag}.", file=sys.stderr)
            return EXIT_REFUSED
        operator = member_for(session, Sender(ConsoleAdapter.platform, LOCAL_USER_ID), config)
        url = issue_link(session, config, operator, campaign)
    minutes = int(LINK_LIFETIME.total_seconds() // 60)
    print(f"{url}\n(works once, within {minutes} minutes, while `townhall run` or `townhall web` is running)")
    return 0


async def serve_alone(settings: Settings) -> None:
    """The dashboard without the chat platforms: what it changes (a hidden idea's word to its author)
    waits in the outbox for `townhall run` to deliver."""
    from bot.app import core_config, start_web
    from facilitation.features import FEATURES
    from facilitation.kernel.core import Core
    from storage.db import Database

    database = Database(settings.effective_database_url)
    core = Core(database, core_config(settings, []), features=FEATURES)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(signum, stop.set)
    async with contextlib.AsyncExitStack() as running:
        running.callback(database.dispose)
        running.callback(core.close)
        await asyncio.to_thread(database.upgrade)
        await start_web(settings, core, running)
        await stop.wait()
