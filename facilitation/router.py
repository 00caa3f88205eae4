"""Commands and button actions: how they are declared, who may use them, and how an update reaches one."""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from facilitation.context import Context

BUTTON_TOKEN_BYTES = 9
"""12 URL-safe characters: far inside Telegram's 64-byte callback_data and Discord's 100-character custom_id."""

COMMAND_PATTERN = re.compile(r"^/(\w{1,32})(?:@\w+)?(?:\s+(.*))?$", re.DOTALL)


class Role(StrEnum):
    RESIDENT = "resident"
    FACILITATOR = "facilitator"


class UserError(Exception):
    """A polite, already-translated answer to input the core cannot act on; nothing is stored."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class UsageError(UserError):
    """The command was malformed; the core adds the command's usage line to the answer."""


class Refusal(UserError):
    """The sender's role does not allow what they asked."""


Handler = Callable[["Context", str], None]
ActionHandler = Callable[["Context", dict[str, Any]], None]


@dataclass(frozen=True)
class Command:
    """A chat command. `summary` and `usage` are catalogue msgids (marked with N_), shown by /help."""

    name: str
    handler: Handler
    summary: str
    usage: str = ""
    role: Role = Role.RESIDENT


@dataclass
class CommandSet:
    """The commands and button actions of one feature module."""

    commands: dict[str, Command] = field(default_factory=dict)
    actions: dict[str, ActionHandler] = field(default_factory=dict)

    def command(
        self, name: str, summary: str, usage: str = "", role: Role = Role.RESIDENT
    ) -> Callable[[Handler], Handler]:
        def register(handler: Handler) -> Handler:
            self.commands[name] = Command(name, handler, summary, usage, role)
            return handler

        return register

    def action(self, name: str) -> Callable[[ActionHandler], ActionHandler]:
        def register(handler: ActionHandler) -> ActionHandler:
            self.actions[name] = handler
            return handler

        return register


class Router:
    """All commands and actions of the running core, merged from feature modules."""

    def __init__(self, command_sets: Iterable[CommandSet]) -> None:
        self.commands: dict[str, Command] = {}
        self.actions: dict[str, ActionHandler] = {}
        for command_set in command_sets:
            for name, command in command_set.commands.items():
                if name in self.commands:
                    raise ValueError(f"command /{name} is declared twice")
                self.commands[name] = command
            for name, action in command_set.actions.items():
                if name in self.actions:
                    raise ValueError(f"button action {name!r} is declared twice")
                self.actions[name] = action


def parse_command(text: str) -> tuple[str, str] | None:
    """`("name", "args")` for text starting with `/name` (a `@botname` suffix is dropped), else None."""
    match = COMMAND_PATTERN.match(text)
    if match is None:
        return None
    return match.group(1).casefold(), (match.group(2) or "").strip()


def new_button_token() -> str:
    return secrets.token_urlsafe(BUTTON_TOKEN_BYTES)
