"""Commands and button actions: how they are declared, who may use them, and how an update reaches one."""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any, TypeVar

from facilitation.kernel.hooks import PERSONAL_DATA, Hook, Hooks, PersonalData
from facilitation.kernel.i18n import N_, Translator
from storage.models import HASHTAG_MAX_LENGTH

if TYPE_CHECKING:
    from sqlmodel import Session

    from facilitation.kernel.context import Context, Effects
    from facilitation.kernel.scheduling import JobSpec

BUTTON_TOKEN_BYTES = 9
"""12 URL-safe characters: far inside Telegram's 64-byte callback_data and Discord's 100-character custom_id."""

H = TypeVar("H", bound=Callable[..., Any])

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


class OptionKind(StrEnum):
    """What an option holds, so that platforms with structured commands can type their fields."""

    TEXT = "text"
    INTEGER = "integer"
    """A whole number, 1 or more."""
    HASHTAG = "hashtag"
    """A campaign's hashtag; the leading # is added when missing."""
    USER = "user"
    """A person; the adapter passes the chosen user as a mention and their name as the value."""


@dataclass(frozen=True)
class Option:
    """One field of a command, for platforms that ask for arguments as fields (Discord slash commands).

    `description` is a catalogue msgid (marked with N_). `separator` is written before the value when the
    fields are joined back into the argument text the handler parses (see `Command.arguments`).
    """

    name: str
    description: str
    kind: OptionKind = OptionKind.TEXT
    required: bool = False
    choices: tuple[str, ...] = ()
    separator: str = " "
    max_length: int | None = None
    """The longest value accepted, for platforms that check it as the user types."""


HASHTAG_OPTION = Option(
    "hashtag",
    N_("The campaign's hashtag; by default this chat's or yours"),
    OptionKind.HASHTAG,
    max_length=HASHTAG_MAX_LENGTH,
)
"""The optional campaign field most commands share."""

FREE_TEXT_OPTION = "arguments"

Handler = Callable[["Context", str], None]
ActionHandler = Callable[["Context", dict[str, Any]], None]
JobHandler = Callable[["Effects", dict[str, Any]], None]
Reconciler = Callable[["Session", datetime], Iterable["JobSpec"]]


@dataclass(frozen=True)
class Command:
    """A chat command. `summary` and `usage` are catalogue msgids (marked with N_), shown by /help."""

    name: str
    handler: Handler
    summary: str
    usage: str = ""
    role: Role = Role.RESIDENT
    options: tuple[Option, ...] | None = None
    """The command's fields in argument order; None when undeclared (one free-text field then)."""

    def fields(self) -> tuple[Option, ...]:
        """The declared options, or one free-text field described by the usage line."""
        if self.options is not None:
            return self.options
        return (Option(FREE_TEXT_OPTION, self.usage or self.summary),)

    def arguments(self, values: Mapping[str, object]) -> str:
        """The argument text a chat user would have typed, from `fields()` values given by name."""
        text = ""
        for option in self.fields():
            value = values.get(option.name)
            if value is None or str(value).strip() == "":
                continue
            value = str(value).strip()
            if option.kind is OptionKind.HASHTAG:
                value = "#" + value.lstrip("#")
            text = f"{text}{option.separator}{value}" if text else value
        return text


@dataclass
class CommandSet:
    """What one feature module brings to the core: its commands, button actions, scheduled jobs, the
    reconcilers that list the jobs its stored state calls for, and its subscriptions to kernel hooks."""

    commands: dict[str, Command] = field(default_factory=dict)
    actions: dict[str, ActionHandler] = field(default_factory=dict)
    jobs: dict[str, JobHandler] = field(default_factory=dict)
    reconcilers: list[Reconciler] = field(default_factory=list)
    subscriptions: dict[Hook[Any], list[Callable[..., Any]]] = field(default_factory=dict)

    def command(
        self,
        name: str,
        summary: str,
        usage: str = "",
        role: Role = Role.RESIDENT,
        options: tuple[Option, ...] | None = None,
    ) -> Callable[[Handler], Handler]:
        def register(handler: Handler) -> Handler:
            self.commands[name] = Command(name, handler, summary, usage, role, options)
            return handler

        return register

    def action(self, name: str) -> Callable[[ActionHandler], ActionHandler]:
        def register(handler: ActionHandler) -> ActionHandler:
            self.actions[name] = handler
            return handler

        return register

    def job(self, kind: str) -> Callable[[JobHandler], JobHandler]:
        """Declare the handler of a scheduled job kind; it must be idempotent (see facilitation.kernel.scheduling)."""

        def register(handler: JobHandler) -> JobHandler:
            self.jobs[kind] = handler
            return handler

        return register

    def reconciler(self, function: Reconciler) -> Reconciler:
        """Declare a function listing the jobs the stored state calls for, given the session and now."""
        self.reconcilers.append(function)
        return function

    def on(self, hook: Hook[H]) -> Callable[[H], H]:
        """Subscribe the decorated function to `hook` (see facilitation.kernel.hooks for each signature)."""

        def register(handler: H) -> H:
            self.subscriptions.setdefault(hook, []).append(handler)
            return handler

        return register

    def holds(self, personal_data: PersonalData) -> PersonalData:
        """Declare what this feature stores about members, for /me and /forget."""
        self.subscriptions.setdefault(PERSONAL_DATA, []).append(personal_data)
        return personal_data


class Router:
    """All commands, actions and jobs of the running core, merged from feature modules."""

    def __init__(self, command_sets: Iterable[CommandSet]) -> None:
        self.commands: dict[str, Command] = {}
        self.actions: dict[str, ActionHandler] = {}
        self.jobs: dict[str, JobHandler] = {}
        self.reconcilers: list[Reconciler] = []
        command_sets = list(command_sets)
        self.hooks = Hooks(command_set.subscriptions for command_set in command_sets)
        for command_set in command_sets:
            _merge(self.commands, command_set.commands, "command")
            _merge(self.actions, command_set.actions, "button action")
            _merge(self.jobs, command_set.jobs, "job kind")
            self.reconcilers.extend(command_set.reconcilers)


def _merge(into: dict[str, Any], items: dict[str, Any], what: str) -> None:
    for name, item in items.items():
        if name in into:
            raise ValueError(f"{what} {name!r} is declared twice")
        into[name] = item


def parse_command(text: str) -> tuple[str, str] | None:
    """`("name", "args")` for text starting with `/name` (a `@botname` suffix is dropped), else None."""
    match = COMMAND_PATTERN.match(text)
    if match is None:
        return None
    return match.group(1).casefold(), (match.group(2) or "").strip()


def new_button_token() -> str:
    return secrets.token_urlsafe(BUTTON_TOKEN_BYTES)


def command_menu(commands: Mapping[str, Command], language: str) -> list[tuple[str, str]]:
    """Each command's name and summary in `language`, for platforms that show commands in a menu."""
    _ = Translator(language).gettext
    return [(name, _(command.summary)) for name, command in commands.items()]
