"""Hooks: how the kernel, and a capability low in the stack, reach features above them without naming them.

A hook is a named point with a fixed signature. A capability subscribes to it on its `CommandSet`
(`@commands.on(CHAT_MOVED)`); the kernel, or the capability that owns the point, calls every subscriber
through `Hooks`, in the order the features are listed. Registries are hooks whose subscribers each return
a part (an invitation's paragraph, a list of texts), collected in that order.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Generic, TypeVar

if TYPE_CHECKING:
    from datetime import datetime

    from sqlmodel import Session

    from facilitation.kernel.context import Context, Effects
    from facilitation.kernel.events import Address, Incoming

H = TypeVar("H", bound=Callable[..., Any])


@dataclass(frozen=True)
class Hook(Generic[H]):
    """A named point subscribers attach to; `H` is the signature every subscriber has."""

    name: str


CHAT_MOVED: Hook[Callable[[Context, str], None]] = Hook("chat-moved")
"""A chat got a new id on its platform (a Telegram group became a supergroup): `(ctx, old_chat_id)`; the
update's address holds the new id. Whatever is stored under the old id follows."""

MESSAGE_EDITED: Hook[Callable[[Context], None]] = Hook("message-edited")
"""A message the bot received was edited; the update holds its new text."""

PLAIN_MESSAGE: Hook[Callable[[Context], bool]] = Hook("plain-message")
"""A message that is no command (it may carry a campaign's #hashtag): True when a subscriber took it."""

TEXTS_TO_EMBED: Hook[Callable[[Incoming], list[str]]] = Hook("texts-to-embed")
"""The texts of an update worth encoding before it waits for the worker thread, so that updates arriving
together are encoded in one batch."""

AFTER_UPDATE: Hook[Callable[[Context], None]] = Hook("after-update")
"""An update was handled without error, in its transaction: a last word may be added (a one-time notice)."""

MEMBER_TIMING_CHANGED: Hook[Callable[[Effects, Any], None]] = Hook("member-timing-changed")
"""A member's time zone or quiet hours changed: `(effects, member)`; prompts timed for them are re-timed."""

RECIPIENT_UNREACHABLE: Hook[Callable[[Effects, Address], None]] = Hook("recipient-unreachable")
"""A private message could not reach its user (their direct messages are closed): `(effects, address)`."""

LATE_VECTOR: Hook[Callable[[Context, Any, Any], None]] = Hook("late-vector")
"""An idea stored while the model was loading got its vector: `(ctx, idea, vector)`, ctx being the update
that shared it, so its author can be answered now."""

FOLLOWED_CHATS: Hook[Callable[[Session, str], Mapping[str, datetime]]] = Hook("followed-chats")
"""Registry: the chats of a platform that the bot follows, each with the moment it began to, `(session,
platform)`. A platform that reads back what it missed (Discord) reads a followed chat where nothing was
handled yet on from that moment."""

THEME_LEANINGS: Hook[
    Callable[[Effects, Any, Mapping[int, Sequence[int]], Callable[..., str]], Mapping[int, str]]
] = Hook("theme-leanings")
"""Registry: how opinion groups lean on each theme, `(effects, campaign, idea ids by theme id, gettext)`:
a line per theme id (the agree share of each group on its ideas), nothing when there are no groups."""

CAMPAIGN_SETTING: Hook[Callable[[Context, Any, str, str], bool]] = Hook("campaign-setting")
"""`/campaign #hashtag <name> <value>` for a setting owned by a capability above membership: `(ctx, campaign,
name, value)`, the sender being a facilitator of the campaign; True when a subscriber took the name."""

INVITATION_PARTS: Hook[Callable[[Context, Any], str | None]] = Hook("invitation-parts")
"""Registry: a paragraph for a campaign's open invitation, `(ctx, campaign)`, or None for nothing."""

GOAL_MEASURED: Hook[Callable[[Context, Any, float], None]] = Hook("goal-measured")
"""A shared goal got a new value: `(ctx, goal, value)`; what waits on the goal reaching a value follows."""

WITHDRAWN_REF: Hook[Callable[[Context, str], bool]] = Hook("withdrawn-ref")
"""`/withdraw <ref>` named something other than an idea: True when a subscriber took the ref and withdrew it."""

COMMITTED: Hook[Callable[[Context, Any], list[str]]] = Hook("committed")
"""A commitment was just recorded and has its id, `(ctx, commitment)`: a subscriber may take words off its
action (`… as <organisation>`) and returns lines for the answer; a UserError refuses the commitment whole."""

REPORT_PARTS: Hook[Callable[[Effects, Any], list[str]]] = Hook("report-parts")
"""Registry: lines for /report and the citizen report's page, `(effects, campaign)`, written in the
reader's language (`texts_for`); in chat, campaign None stands for all the reader's campaigns."""

ROUND_CLOSED: Hook[Callable[[Effects, Any], list[str]]] = Hook("round-closed")
"""A brainstorm round closed, `(effects, round)`: each subscriber acts on it and returns lines for the
round's closing digest (or none)."""

PROTOTYPE_PARTS: Hook[Callable[[Effects, Any], list[str]]] = Hook("prototype-parts")
"""Registry: lines for the view of one prototype, `(effects, prototype)`, in the reader's language."""


@dataclass
class Forgetting:
    """One member being forgotten (/forget), handed to every `PersonalData.erase` in turn.

    Each capability erases what it holds and notes here what it found of the member that may have been
    copied elsewhere: `names` they were shown by (replaced wherever Townhall quoted them), `words` they
    wrote that go (removed from messages sent to others), `campaign_ids` whose files made earlier
    (exports, reports, theme maps) hold their words.
    """

    member_id: int
    keep_contributions: bool
    """The member chose to keep their contributions without their name; else they are deleted too."""
    accounts: list[tuple[str, str]] = field(default_factory=list)
    """`(platform, platform user id)` of each of the member's accounts."""
    names: set[str] = field(default_factory=set)
    words: set[str] = field(default_factory=set)
    campaign_ids: set[int] = field(default_factory=set)
    files_removed: int = 0
    """How many files made earlier were removed, for the answer."""


@dataclass(frozen=True)
class PersonalData:
    """What one capability stores about a member: what /me lists of it, and how /forget erases it."""

    tables: tuple[str, ...]
    """The tables that hold it; every table pointing at a member must be claimed by one (a test checks)."""
    describe: Callable[[Context], list[str]]
    """The lines /me shows the sender about this part, in their language."""
    erase: Callable[[Context, Forgetting], None]
    """Erase the sender's part (or, when they keep their contributions, strip their name from it)."""
    files: Callable[[Context, Forgetting], list[Path]] | None = None
    """Files this capability wrote earlier under the data folder that hold the member's words (exports of
    `Forgetting.campaign_ids`, once every part is erased): removed once the forgetting is committed."""


PERSONAL_DATA: Hook[Any] = Hook("personal-data")
"""Registry of `PersonalData`, filled with `CommandSet.holds`: /me lists each part, /forget erases each."""


class Hooks:
    """Every subscriber of every hook, in the order the features were listed."""

    def __init__(self, subscriptions: Iterable[Mapping[Hook[Any], list[Callable[..., Any]]]] = ()) -> None:
        self._subscribers: dict[Hook[Any], list[Callable[..., Any]]] = {}
        for mapping in subscriptions:
            for hook, handlers in mapping.items():
                self._subscribers.setdefault(hook, []).extend(handlers)

    def subscribers(self, hook: Hook[H]) -> list[H]:
        return list(self._subscribers.get(hook, ()))

    def call(self, hook: Hook[H], *args: Any) -> list[Any]:
        """Call every subscriber with `args`; their answers, in order."""
        return [handler(*args) for handler in self._subscribers.get(hook, ())]

    def first(self, hook: Hook[H], *args: Any) -> bool:
        """Offer `args` to each subscriber in turn until one answers True (it took them)."""
        return any(handler(*args) for handler in self._subscribers.get(hook, ()))
