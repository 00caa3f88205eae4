"""Members and their platform identities, pseudonyms, language, and the commands about people."""

from __future__ import annotations

import re
from collections.abc import Callable

from sqlmodel import Session, col, select

from facilitation.kernel.context import Context, Effects
from facilitation.kernel.events import Address, Button
from facilitation.kernel.i18n import N_, SUPPORTED_LANGUAGES, translator
from facilitation.kernel.router import (
    HASHTAG_OPTION,
    CommandSet,
    Option,
    OptionKind,
    Role,
    UsageError,
    UserError,
)
from facilitation.membership.campaigns import resolve_campaign
from storage.models import CampaignFacilitator, Identity, Member

commands = CommandSet()

HANDLE = re.compile(r"@\w{1,64}")
"""An `@handle` as written in a message (Telegram's @username)."""


def direct_address(identity: Identity) -> Address:
    """Where a private message to this account goes: its one-to-one chat with the bot.

    By convention `chat_id == user_id` means "a direct message"; adapters open the conversation if their
    platform needs one (Telegram's private chat id is the user id already).
    """
    return Address(identity.platform, identity.platform_user_id, user_id=identity.platform_user_id)


def notify_member(
    effects: Effects,
    member: Member,
    compose: Callable[[Callable[..., str]], str],
    buttons: tuple[Button, ...] = (),
) -> bool:
    """A proactive private message to a member, in their language, on their first account.

    `compose` receives the member's gettext, as in `notify_member(ctx, author, lambda _: _("Text {x}", x=1))`,
    so the text is both extracted for the catalogue and translated for its reader. False if it cannot
    reach them: they muted, or have no account left.
    """
    address = member_address(effects.session, member)
    if address is None:
        return False
    gettext, _ngettext = translator(member.language)
    effects.send(address, compose(gettext), buttons, private=True)
    return True


def member_address(session: Session, member: Member) -> Address | None:
    """Where proactive prompts (check-ins, reminders, nudges) reach a member: their first account,
    directly; None if they have none or muted proactive messages (/mute)."""
    if member.muted:
        return None
    identity = session.exec(
        select(Identity).where(Identity.member_id == member.id).order_by(col(Identity.id))
    ).first()
    return direct_address(identity) if identity is not None else None


def named_member(ctx: Context, words: str) -> Member:
    """The member a command names, by platform account only: a mention the platform resolved (or a
    picker's choice), an `@handle` the platform keeps unique, or, when `words` name no one, the author of
    the message replied to. A display name or pseudonym names no one: anyone may choose anyone's.

    Raises a polite UserError when `words` are not such a name, or the account never wrote to the bot.
    """
    _ = ctx._
    incoming = ctx.incoming
    written = words.strip()
    named = incoming.mentions[0] if incoming.mentions else None
    if named is None and HANDLE.fullmatch(written):
        identity = ctx.session.exec(
            select(Identity).where(
                Identity.platform == incoming.platform, Identity.username == written[1:].casefold()
            )
        ).first()
        return _known(ctx, identity, written)
    if named is None and not written:
        named = incoming.reply_to
    if named is None and written:
        raise UserError(
            _(
                "I can't tell who {name} is from a name. Mention them (their @username, or pick them "
                "from the list), or answer one of their messages with this command.",
                name=written,
            )
        )
    if named is None:
        raise UsageError(
            _("Whom do you mean? Mention them, or answer one of their messages with this command.")
        )
    identity = ctx.session.exec(
        select(Identity).where(
            Identity.platform == incoming.platform, Identity.platform_user_id == named.user_id
        )
    ).first()
    return _known(ctx, identity, named.display_name or written or "?")


def _known(ctx: Context, identity: Identity | None, name: str) -> Member:
    """The member behind an account named by id or handle; one the bot never met cannot be named yet."""
    if identity is None:
        raise UserError(ctx._("I don't know {name} yet: they need to write to me once first.", name=name))
    return ctx.session.get_one(Member, identity.member_id)


@commands.command(
    "lang",
    N_("Choose your language: /lang en or /lang fr"),
    N_("/lang en|fr"),
    options=(
        Option("language", N_("en for English, fr for French"), required=True, choices=SUPPORTED_LANGUAGES),
    ),
)
def set_language(ctx: Context, args: str) -> None:
    _ = ctx._
    language = args.strip().lower()
    if language not in SUPPORTED_LANGUAGES:
        raise UserError(
            _(
                "Please choose one of: {languages}. For example: /lang fr",
                languages=", ".join(SUPPORTED_LANGUAGES),
            )
        )
    ctx.set_language(language)
    ctx.reply(ctx._("I will speak English with you from now on."))


@commands.command(
    "facilitator",
    N_("Make someone a facilitator of a campaign"),
    N_("/facilitator <@mention> [#hashtag], or in answer to one of their messages"),
    role=Role.FACILITATOR,
    options=(
        Option("person", N_("The person to make a facilitator"), OptionKind.USER, required=True),
        HASHTAG_OPTION,
    ),
)
def name_facilitator(ctx: Context, args: str) -> None:
    _ = ctx._
    campaign, rest = resolve_campaign(ctx, args)
    ctx.require_facilitator(campaign)
    member = named_member(ctx, rest)
    exists = ctx.session.get(CampaignFacilitator, (campaign.id, member.id))
    if exists is None:
        ctx.session.add(
            CampaignFacilitator(
                campaign_id=campaign.id, member_id=member.id, granted_by_member_id=ctx.member.id
            )
        )
    ctx.reply(_("{name} now facilitates #{hashtag}.", name=member.pseudonym, hashtag=campaign.hashtag))


@commands.command("mute", N_("Stop all messages I would send you unasked (digests, check-ins, reminders)"))
def mute(ctx: Context, args: str) -> None:
    ctx.member.muted = True
    ctx.reply(ctx._("Muted: I will only answer when you write to me. /unmute undoes it."), private=True)


@commands.command("unmute", N_("Receive digests, check-ins and reminders again"))
def unmute(ctx: Context, args: str) -> None:
    ctx.member.muted = False
    ctx.reply(ctx._("Unmuted: you will receive digests, check-ins and reminders again."), private=True)


def pseudonyms(session: Session, member_ids: list[int]) -> list[str]:
    """The published names of members, in the order given."""
    if not member_ids:
        return []
    names = dict(
        session.exec(select(Member.id, Member.pseudonym).where(col(Member.id).in_(member_ids))).all()
    )
    return [names[member_id] for member_id in member_ids if member_id in names]
