"""Who sent an update: the member behind a platform identity, created with a pseudonym on first contact.

Every update is answered as a member, so the kernel resolves them before any feature runs. An account
whose member used /forget is remembered only as a keyed digest of "platform:user_id" (the hash log lines
carry, whole: see kernel.log_ids) in `ForgottenAccount`; when it writes again, its new member is told, once,
that they start afresh, and the digest goes.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from typing import NamedTuple

from sqlmodel import Session, col, delete, select, update

from facilitation.kernel.context import CoreConfig
from facilitation.kernel.events import Sender
from facilitation.kernel.i18n import SUPPORTED_LANGUAGES
from facilitation.kernel.log_ids import keyed_digest
from storage.models import ForgottenAccount, Identity, Member

_PSEUDONYM_FIRST = (
    "Amber",
    "Bright",
    "Calm",
    "Cedar",
    "Clever",
    "Coral",
    "Daring",
    "Gentle",
    "Golden",
    "Hazel",
    "Jolly",
    "Kind",
    "Lively",
    "Maple",
    "Misty",
    "Nimble",
    "Quiet",
    "Rapid",
    "Silver",
    "Sunny",
)
_PSEUDONYM_SECOND = (
    "Badger",
    "Beaver",
    "Crane",
    "Falcon",
    "Finch",
    "Fox",
    "Hare",
    "Heron",
    "Lynx",
    "Marten",
    "Otter",
    "Owl",
    "Robin",
    "Salmon",
    "Sparrow",
    "Swift",
    "Thrush",
    "Turtle",
    "Wren",
    "Yak",
)


def new_pseudonym(session: Session) -> str:
    """A friendly name for everything published, unlinkable to the platform account."""
    while True:
        name = (
            f"{secrets.choice(_PSEUDONYM_FIRST)} {secrets.choice(_PSEUDONYM_SECOND)} "
            f"{secrets.randbelow(900) + 100}"
        )
        if session.exec(select(Member.id).where(Member.pseudonym == name)).first() is None:
            return name


class Resolved(NamedTuple):
    member: Member
    afresh: bool
    """The member was just created for an account whose earlier member used /forget."""


def member_for(session: Session, sender: Sender, config: CoreConfig) -> Resolved:
    """The member behind a platform identity, created on first contact (language from the platform's hint)."""
    identity = session.exec(
        select(Identity).where(
            Identity.platform == sender.platform, Identity.platform_user_id == sender.user_id
        )
    ).first()
    if identity is not None:
        if sender.display_name and identity.display_name != sender.display_name:
            identity.display_name = sender.display_name
        keep_handle(session, identity, sender)
        return Resolved(session.get_one(Member, identity.member_id), afresh=False)
    hint = (sender.language_hint or "").split("-")[0].lower()
    member = Member(
        pseudonym=new_pseudonym(session),
        language=hint if hint in SUPPORTED_LANGUAGES else config.default_language,
        timezone=config.default_timezone,
    )
    session.add(member)
    session.flush()
    identity = Identity(
        member_id=member.id,
        platform=sender.platform,
        platform_user_id=sender.user_id,
        display_name=sender.display_name,
    )
    session.add(identity)
    session.flush()
    keep_handle(session, identity, sender)
    forgotten = session.exec(  # type: ignore[call-overload]
        delete(ForgottenAccount).where(
            col(ForgottenAccount.digest) == account_digest(config, sender.platform, sender.user_id)
        )
    )
    return Resolved(member, afresh=forgotten.rowcount > 0)


def account_digest(config: CoreConfig, platform: str, user_id: str) -> str:
    """What is kept of a forgotten account: the keyed hash of "platform:user_id"."""
    return keyed_digest(config.open_data_secret, f"{platform}:{user_id}")


def remember_forgotten(session: Session, config: CoreConfig, accounts: Iterable[tuple[str, str]]) -> None:
    """Keep the digest of each (platform, user id) of a member being forgotten, and nothing else."""
    for platform, user_id in set(accounts):
        digest = account_digest(config, platform, user_id)
        if session.get(ForgottenAccount, digest) is None:
            session.add(ForgottenAccount(digest=digest))


def keep_handle(session: Session, identity: Identity, sender: Sender) -> None:
    """Record the handle the account goes by now; an account seen earlier with it lost it since (the
    platform lets a released handle be taken), so it no longer answers to it."""
    handle = sender.username.casefold() if sender.username else None
    if identity.username == handle:
        return
    if handle is not None:
        session.exec(
            update(Identity)
            .where(
                col(Identity.platform) == identity.platform,
                col(Identity.username) == handle,
                col(Identity.id) != identity.id,
            )
            .values(username=None)
        )
    identity.username = handle
    session.flush()
