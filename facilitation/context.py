"""What a command or action handler works with: the update, the sender as a member, a session, replies."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlmodel import Session, select

from facilitation.events import Address, Button, ChatKind, Incoming, Outgoing
from facilitation.i18n import translator
from facilitation.router import Command, Refusal, new_button_token
from storage.models import ButtonAction, Campaign, CampaignFacilitator, Member

if TYPE_CHECKING:
    import numpy as np

    from facilitation.similarity import IdeaIndex


@dataclass(frozen=True)
class CoreConfig:
    """The settings the core needs, independent of how the bot reads them."""

    facilitator_identities: frozenset[tuple[str, str]] = frozenset()
    default_language: str = "en"
    default_timezone: str = "UTC"
    data_dir: Path = Path("data")
    """Where generated files (theme maps) are written."""


@dataclass
class Context:
    """One update being handled, inside one database transaction."""

    session: Session
    incoming: Incoming
    member: Member
    config: CoreConfig
    commands: Mapping[str, Command]
    replies: list[tuple[Address, Outgoing]] = field(default_factory=list)
    current_command: Command | None = None
    index: IdeaIndex | None = None
    """Similar-idea lookups; None when similarity is off (no model configured)."""
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
        image_path: str | None = None,
    ) -> None:
        """Answer in the chat the update came from; `private` shows it to the sender alone where possible.

        `image_path` attaches a picture (a file the core wrote), sent with `text` as its caption."""
        address = self.incoming.address
        if private and address.user_id is None:
            address = Address(
                address.platform,
                address.chat_id,
                address.thread_id,
                self.incoming.sender.user_id,
                address.reply_handle,
            )
        self.replies.append(
            (address, Outgoing(text=text, buttons=buttons, private=private, image_path=image_path))
        )

    def button(self, label: str, action: str, **payload: Any) -> Button:
        """A button whose press runs `action` with `payload`; the token is stored so it survives restarts."""
        token = new_button_token()
        self.session.add(ButtonAction(token=token, action=action, payload=payload))
        return Button(label=label, token=token)

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
