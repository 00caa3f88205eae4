"""What handlers work with: a session, and the messages and jobs they produce, written when it commits.

`Effects` serves scheduled jobs; `Context` adds the update being answered and its sender.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from sqlmodel import Session, select

from facilitation.kernel.events import Address, Button, ChatKind, Incoming, Outgoing
from facilitation.kernel.hooks import Hooks
from facilitation.kernel.i18n import translator
from facilitation.kernel.log_ids import logged_id
from facilitation.kernel.router import Command, Refusal, UserError, new_button_token
from facilitation.kernel.scheduling import JobSpec
from storage.db import insert_if_absent
from storage.models import ButtonAction, Campaign, CampaignFacilitator, Member, SentPrompt, utcnow

if TYPE_CHECKING:
    import numpy as np

    from facilitation.intelligence.similarity import IdeaIndex


Row = TypeVar("Row")
T = TypeVar("T")


@dataclass(frozen=True)
class CoreConfig:
    """The settings the core needs, independent of how the bot reads them."""

    facilitator_identities: frozenset[tuple[str, str]] = frozenset()
    default_language: str = "en"
    default_timezone: str = "UTC"
    data_dir: Path = Path("data")
    """Where files made for people (exports, images) are written."""
    open_data_secret: str = ""
    open_data_license: str = "CC-BY-4.0"
    default_quiet_hours: str = "21:00-08:00"
    """Quiet hours of members who chose none, "HH:MM-HH:MM" in their time zone; "" for none."""
    clock: Callable[[], datetime] = utcnow
    """The present, as aware UTC; tests inject their own to walk through days in a moment."""
    web_url: str = ""
    """Where people reach Townhall's web pages (the dashboard), without a trailing slash; "" when off."""
    web_secret: str = ""
    """The key signing web links and forms, from the settings; "" to use the one stored in the database."""

    def log_id(self, value: str | None) -> str:
        """A user or chat id as log lines carry it: keyed by the pseudonym secret (see kernel.log_ids)."""
        return logged_id(self.open_data_secret, value)


@dataclass(frozen=True)
class Deferred:
    """A long computation that needs no database, done after its unit of work commits (see `defer`)."""

    compute: Callable[[], Any]
    finish: Callable[[Effects, Any], None]
    failed: Callable[[Effects], None]


@dataclass(kw_only=True)
class Effects:
    """A unit of work in one transaction: messages to send and jobs to schedule once it commits."""

    session: Session
    config: CoreConfig
    messages: list[tuple[Address, Outgoing]] = field(default_factory=list)
    scheduled: list[JobSpec] = field(default_factory=list)
    deferred: list[Deferred] = field(default_factory=list)
    index: IdeaIndex | None = None
    """Similar-idea lookups and the embedding model; None when similarity is off (no model configured)."""
    hooks: Hooks = field(default_factory=Hooks)
    """The running features' hook subscribers, for a feature that offers a hook point to those above it."""
    language: str | None = None
    """The language a job writes in when it speaks for someone (a round's reminder and digest, in the
    language of whoever opened it); None for the configured default. Replies use the sender's."""

    def now(self) -> datetime:
        """The present from the configured clock: use it for every time a handler decides or stores."""
        return self.config.clock()

    def send(
        self,
        address: Address,
        text: str,
        buttons: tuple[Button, ...] = (),
        private: bool = False,
        file_path: str | None = None,
        image_path: str | None = None,
        erase_when_sent: bool = False,
        language: str | None = None,
    ) -> None:
        """Queue a message to any address (proactive: digests, check-ins, nudges); `image_path` attaches a
        picture the core wrote (a theme map), sent with `text` as its caption; `erase_when_sent` leaves
        no copy in the outbox once delivered; `language` is the one `text` is written in, when known."""
        outgoing = Outgoing(
            text=text,
            buttons=buttons,
            private=private,
            file_path=file_path,
            image_path=image_path,
            erase_when_sent=erase_when_sent,
            language=language,
        )
        self.messages.append((address, outgoing))

    def button(self, label: str, action: str, *, link: bool = False, **payload: Any) -> Button:
        """A button whose press runs `action` with `payload`; the token is stored so it survives restarts.

        `link`: the platform may also offer the press as a shareable link (see `Button.link`).
        """
        token = new_button_token()
        self.session.add(ButtonAction(token=token, action=action, payload=payload, link=link))
        return Button(label=label, token=token, link=link)

    def record_prompt(self, key: str, member_id: int | None = None) -> bool:
        """Record a proactive prompt's idempotency key before its message goes to the outbox.

        True the first time; False when the key was already recorded, by this process or another
        (a concurrent insert of the same key waits for the other transaction, then yields), so the
        caller sends nothing. Keys name the prompt and its person: `checkin:4:17:2`, `nudge:31:18`.
        """
        table = SentPrompt.__table__  # type: ignore[attr-defined]
        return insert_if_absent(self.session, table, key=key, member_id=member_id, created_at=self.now())

    def schedule(self, job: JobSpec) -> None:
        """Run `job` at its time; handed to the scheduler only if this transaction commits."""
        self.scheduled.append(job)

    def defer(
        self,
        compute: Callable[[], T],
        finish: Callable[[Effects, T], None],
        failed: Callable[[Effects], None],
    ) -> None:
        """Once this transaction commits, run `compute()` on a thread of its own, not on the core's worker
        (grouping thousands of ideas), so nobody's updates wait for it; then `finish(effects, result)`
        in a transaction of its own, in the turn of whoever caused it, or `failed(effects)` if it raised.
        `compute` must not touch the session: give it the data it needs."""
        self.deferred.append(Deferred(compute, finish, failed))


@dataclass(kw_only=True)
class Context(Effects):
    """One update being handled, inside one database transaction."""

    incoming: Incoming
    member: Member
    commands: Mapping[str, Command]
    current_command: Command | None = None
    vectors: Mapping[str, np.ndarray] = field(default_factory=dict)
    """Vectors of this update's idea texts, encoded (batched with other updates) before the transaction."""
    on_commit: list[Callable[[], None]] = field(default_factory=list)
    """Run by the core once the update's transaction is committed (never after a rollback)."""

    def __post_init__(self) -> None:
        self._, self.ngettext = translator(self.member.language)

    def set_language(self, language: str) -> None:
        self.member.language = language
        self._, self.ngettext = translator(language)

    @property
    def is_private_chat(self) -> bool:
        return self.incoming.chat_kind is ChatKind.PRIVATE

    def reply(
        self,
        text: str,
        buttons: tuple[Button, ...] = (),
        private: bool = False,
        file_path: str | None = None,
        image_path: str | None = None,
        erase_when_sent: bool = False,
    ) -> None:
        """Answer in the chat the update came from; `private` shows it to the sender alone where possible."""
        address = self.incoming.address
        if private and address.user_id is None:
            address = Address(
                address.platform,
                address.chat_id,
                address.thread_id,
                self.incoming.sender.user_id,
                address.reply_handle,
            )
        self.send(
            address, text, buttons, private, file_path, image_path, erase_when_sent, self.member.language
        )

    def pressed_row(self, model: type[Row], key: Any) -> Row:
        """The row a button press names, or the polite answer that the button expired (the row is gone)."""
        row = self.session.get(model, key)
        if row is None:
            raise UserError(self._("This button has expired. Please use the command again."))
        return row

    def is_configured_facilitator(self) -> bool:
        sender = self.incoming.sender
        return (sender.platform, sender.user_id) in self.config.facilitator_identities

    def is_facilitator(self, campaign: Campaign | None = None) -> bool:
        """Configured facilitators facilitate everything; others the campaigns they created or were named for.

        Without a campaign: whether the sender facilitates any campaign at all.
        """
        if self.is_configured_facilitator():
            return True
        statement = select(CampaignFacilitator).where(CampaignFacilitator.member_id == self.member.id)
        if campaign is not None:
            statement = statement.where(CampaignFacilitator.campaign_id == campaign.id)
        return self.session.exec(statement).first() is not None

    def require_facilitator(self, campaign: Campaign | None = None) -> None:
        if not self.is_facilitator(campaign):
            if campaign is None:
                raise Refusal(self._("Only facilitators can do that. Nothing was changed."))
            raise Refusal(
                self._(
                    "Only facilitators of #{hashtag} can do that. Nothing was changed.",
                    hashtag=campaign.hashtag,
                )
            )


def texts_for(effects: Effects) -> tuple[Callable[..., str], Callable[..., str]]:
    """`(_, ngettext)`: the sender's language when answering someone, else the job's (see
    `Effects.language`) or the configured default."""
    if isinstance(effects, Context):
        return effects._, effects.ngettext
    return translator(effects.language or effects.config.default_language)


def reader_language(effects: Effects) -> str:
    """The language of the sender when answering someone, else the job's or the configured default."""
    if isinstance(effects, Context):
        return effects.member.language
    return effects.language or effects.config.default_language
