"""Chat with Townhall in the terminal.

The local user is a facilitator; `/as <name>` speaks as a resident of that name (and `/as` alone returns),
so one person can try both roles; a resident's name is also their @handle (`/facilitator @bob`). Buttons are numbered and pressed with `/press <number>`. When standard
input is not a terminal, each line is one message and the adapter finishes at end of input, so a pipe or
a file can drive it.
"""

from __future__ import annotations

import asyncio
import sys
import threading
import uuid
from typing import ClassVar, TextIO

from adapters.base import (
    Adapter,
    Address,
    Capabilities,
    ChatKind,
    Incoming,
    IncomingHandler,
    Outgoing,
    Sender,
)
from facilitation.kernel.i18n import Translator

LOCAL_USER_ID = "local"
CONSOLE_CHAT_ID = "console"
PROMPT = "you › "
BOT_PREFIX = "townhall › "
SPEAKER_NAME_MAX_LENGTH = 32
"""Characters in a name given to `/as`: it becomes the resident's platform id (and @handle)."""


class ConsoleAdapter(Adapter):
    platform: ClassVar[str] = "console"
    capabilities: ClassVar[Capabilities] = Capabilities(
        max_text_length=4000, max_button_payload_bytes=64, supports_images=False
    )

    def __init__(
        self,
        stdin: TextIO | None = None,
        stdout: TextIO | None = None,
        interactive: bool | None = None,
        language: str = "en",
    ) -> None:
        super().__init__()
        self._stdin = stdin or sys.stdin
        self._stdout = stdout or sys.stdout
        self.interactive = self._stdin.isatty() if interactive is None else interactive
        self._ = Translator(language).gettext
        self._speaker = LOCAL_USER_ID
        self._buttons: dict[int, str] = {}
        self._lines: asyncio.Queue[str | None] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None
        self._answered = threading.Event()  # the prompt waits until the last line's replies are printed
        self._answered.set()

    async def start(self, on_incoming: IncomingHandler) -> None:
        if self.interactive:
            self._print(
                self._(
                    "Townhall console. You are the local facilitator. /help lists commands; "
                    "/as <name> speaks as a resident, /as returns to you, /press <number> presses a button, "
                    "/quit leaves."
                )
            )
        loop = asyncio.get_running_loop()
        # A daemon thread, not the loop's executor: a blocked read must not hold up the process's exit.
        threading.Thread(target=self._read_lines, args=(loop,), name="console-input", daemon=True).start()
        self._task = asyncio.create_task(self._serve(on_incoming), name="console-adapter")

    async def stop(self) -> None:
        if self._task is not None and not self._task.done():
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    def _read_lines(self, loop: asyncio.AbstractEventLoop) -> None:
        while True:
            if self.interactive:
                self._answered.wait()
                self._answered.clear()
                self._stdout.write(PROMPT)
                self._stdout.flush()
            line = self._stdin.readline()
            loop.call_soon_threadsafe(self._lines.put_nowait, line if line else None)
            if not line:
                return

    async def _serve(self, on_incoming: IncomingHandler) -> None:
        try:
            while (line := await self._lines.get()) is not None:
                text = line.rstrip("\r\n")
                try:
                    if not await self._handle_line(text, on_incoming):
                        break
                finally:
                    self._answered.set()
        finally:
            self.finished.set()

    async def _handle_line(self, text: str, on_incoming: IncomingHandler) -> bool:
        """Hand one typed line on; False when the user asked to quit."""
        if not text.strip():
            return True
        if not self.interactive:
            self._stdout.write(f"{PROMPT}{text}\n")
        if text.strip() == "/quit":
            return False
        incoming = self._local_command(text)
        if incoming is not None:
            await on_incoming(incoming)
        return True

    def _local_command(self, text: str) -> Incoming | None:
        """Console-only commands; returns the update to hand to the core, if any."""
        word, _, rest = text.strip().partition(" ")
        if word == "/as":
            name = rest.strip()
            if len(name) > SPEAKER_NAME_MAX_LENGTH:
                self._print(
                    self._(
                        "Please choose a name of at most {limit} characters.", limit=SPEAKER_NAME_MAX_LENGTH
                    )
                )
                return None
            self._speaker = name or LOCAL_USER_ID
            if self._speaker == LOCAL_USER_ID:
                self._print(self._("You speak as yourself, the local facilitator, again."))
            else:
                self._print(self._("You now speak as the resident {name}.", name=self._speaker))
            return None
        if word == "/press":
            number = rest.strip()
            token = self._buttons.get(int(number)) if number.isdigit() else None
            if token is None:
                self._print(self._("There is no button {number}.", number=number or "?"))
                return None
            return self._incoming("", button_token=token)
        return self._incoming(text)

    def _incoming(self, text: str, button_token: str | None = None) -> Incoming:
        return Incoming(
            sender=Sender(self.platform, self._speaker, display_name=self._speaker, username=self._speaker),
            address=Address(self.platform, CONSOLE_CHAT_ID),
            chat_kind=ChatKind.PRIVATE,
            text=text,
            button_token=button_token,
            message_id=uuid.uuid4().hex,
        )

    async def send(self, address: Address, message: Outgoing) -> str | None:
        lines = [message.text]
        for button in message.buttons:
            number = len(self._buttons) + 1
            self._buttons[number] = button.token
            lines.append(f"  [{number}] {button.label}")
        if message.buttons:  # the hint in the language of the message it follows
            _ = Translator(message.language).gettext if message.language else self._
            lines.append("  " + _("(press a button with /press <number>)"))
        for attachment in (message.image_path, message.file_path):
            if attachment:
                lines.append("  " + self._("File: {path}", path=attachment))
        self._print("\n".join(lines))
        return None

    def _print(self, text: str) -> None:
        self._stdout.write(BOT_PREFIX + text.replace("\n", "\n" + " " * len(BOT_PREFIX)) + "\n")
        self._stdout.flush()
