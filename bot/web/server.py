"""Starting and stopping the dashboard's web server on the event loop Townhall already runs."""

from __future__ import annotations

import logging

from aiohttp import web

from bot.logs import STARTUP_LOG
from bot.web.app import Dashboard
from facilitation.kernel.core import Core
from facilitation.kernel.scheduling import Scheduler

log = logging.getLogger(__name__)
startup_log = logging.getLogger(STARTUP_LOG)


class WebServer:
    """The dashboard on `listen`:`port`; `port` 0 is refused by the caller (it means off)."""

    def __init__(self, core: Core, listen: str, port: int, scheduler: Scheduler | None = None) -> None:
        self.listen, self.port = listen, port
        self._runner = web.AppRunner(Dashboard(core, scheduler).application(), access_log=None)

    @property
    def address(self) -> str:
        host = f"[{self.listen}]" if ":" in self.listen else self.listen
        return f"http://{host}:{self.port}"

    async def start(self) -> bool:
        """Listen; a port taken by another program is said on one line and the bot runs without the
        dashboard. Whether it listens."""
        await self._runner.setup()
        try:
            await web.TCPSite(self._runner, self.listen, self.port).start()
        except OSError as error:
            startup_log.warning(
                "dashboard off: cannot listen on %s (%s)", self.address, error.strerror or error
            )
            await self._runner.cleanup()
            return False
        startup_log.info("dashboard on %s (open it with the link /dashboard sends)", self.address)
        log.info("dashboard listening address=%s", self.address)
        return True

    async def stop(self) -> None:
        await self._runner.cleanup()
