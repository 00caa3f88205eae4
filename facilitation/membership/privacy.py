"""What Townhall holds about a person, shown to them alone, and forgetting them on request.

Each capability declares what it stores about members (`CommandSet.holds(PersonalData(...))`): /me lists
every part, /forget has every part erased, then clears what the kernel keeps (messages, buttons, delivery
keys) and removes the member, their accounts and profile.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from sqlalchemy import delete, func
from sqlmodel import col, select

from facilitation.kernel.context import Context
from facilitation.kernel.forgetting import erase_kernel_traces, quoting
from facilitation.kernel.hooks import PERSONAL_DATA, Forgetting, PersonalData
from facilitation.kernel.i18n import N_
from facilitation.kernel.identity import remember_forgotten
from facilitation.kernel.router import CommandSet, UserError
from facilitation.membership.preferences import format_quiet, is_paused, local_day, quiet_window, show_day
from storage.db import scrub_deleted
from storage.models import (
    Campaign,
    CampaignFacilitator,
    ContributorNotice,
    Identity,
    Member,
    Membership,
    OutboxMessage,
)

commands = CommandSet()

FORGET_KEEP_IDEAS = "keep"
FORGET_DELETE_IDEAS = "delete"


def describe_profile(ctx: Context) -> list[str]:
    """The member's accounts, pseudonym, preferences, campaigns, roles, news and stored messages."""
    _ = ctx._
    member = ctx.member
    identities = ctx.session.exec(select(Identity).where(Identity.member_id == member.id)).all()
    campaigns = ctx.session.exec(
        select(Campaign.hashtag, Membership.left_at)
        .join(Membership, col(Membership.campaign_id) == col(Campaign.id))
        .where(Membership.member_id == member.id)
    ).all()
    facilitates = ctx.session.exec(
        select(Campaign.hashtag)
        .join(CampaignFacilitator, col(CampaignFacilitator.campaign_id) == col(Campaign.id))
        .where(CampaignFacilitator.member_id == member.id)
    ).all()
    news = ctx.session.exec(
        select(func.count()).where(
            ContributorNotice.member_id == member.id, col(ContributorNotice.sent_at).is_(None)
        )
    ).one()
    none = _("none")
    window = quiet_window(member, ctx.config)
    lines = [
        _("Pseudonym (shown with your ideas): {name}", name=member.pseudonym),
        _("Language: {language}; time zone: {timezone}", language=member.language, timezone=member.timezone),
        _(
            "Accounts: {accounts}",
            accounts=", ".join(
                f"{i.platform} {i.display_name or i.platform_user_id} ({i.platform_user_id})"
                for i in identities
            ),
        ),
        _(
            "Campaigns: {campaigns}",
            campaigns=", ".join(
                f"#{tag}" + ("" if left is None else " " + _("(left)")) for tag, left in campaigns
            )
            or none,
        ),
        _("Facilitator of: {campaigns}", campaigns=", ".join(f"#{tag}" for tag in facilitates) or none),
        _("Messages unasked: muted (/unmute)") if member.muted else _("Messages unasked: allowed (/mute)"),
        _("Quiet hours: {hours}", hours=format_quiet(window) if window else none),
        ctx.ngettext(
            "{count} piece of news about your ideas waiting",
            "{count} pieces of news about your ideas waiting",
            news,
        ),
        ctx.ngettext(
            "{count} message Townhall sent you, kept with its delivery status",
            "{count} messages Townhall sent you, kept with their delivery status",
            stored_messages(ctx),
        ),
    ]
    if is_paused(member, ctx.now()):
        assert member.paused_until is not None
        lines.append(
            _("Paused until {day}", day=show_day(member.language, local_day(member, member.paused_until)))
        )
    return lines


def stored_messages(ctx: Context) -> int:
    """Outbox messages addressed to the sender's accounts (their private chat's id is their user id)."""
    user_ids = select(Identity.platform_user_id).where(Identity.member_id == ctx.member.id)
    address = col(OutboxMessage.address)
    return ctx.session.exec(
        select(func.count()).where(
            address["user_id"].as_string().in_(user_ids) | address["chat_id"].as_string().in_(user_ids)
        )
    ).one()


def erase_profile(ctx: Context, forgetting: Forgetting) -> None:
    """Notes the member's names and campaigns; the member row goes last (see `forget_confirmed`)."""
    identities = ctx.session.exec(select(Identity).where(Identity.member_id == ctx.member.id)).all()
    forgetting.accounts += [(identity.platform, identity.platform_user_id) for identity in identities]
    forgetting.names |= {ctx.member.pseudonym} | {i.display_name for i in identities if i.display_name}
    forgetting.campaign_ids |= set(
        ctx.session.exec(select(Membership.campaign_id).where(Membership.member_id == ctx.member.id)).all()
    )


commands.holds(
    PersonalData(
        tables=(
            "member",
            "identity",
            "membership",
            "campaignfacilitator",
            "campaign",
            "contributornotice",
            "sentprompt",
            "outboxmessage",
            "buttonaction",
            "handledupdate",
        ),
        describe=describe_profile,
        erase=erase_profile,
    )
)


@commands.command("me", N_("See, privately, everything Townhall holds about you"), options=())
def show_me(ctx: Context, args: str) -> None:
    lines = [ctx._("What Townhall holds about you:")]
    for part in ctx.hooks.subscribers(PERSONAL_DATA):
        lines += part.describe(ctx)
    lines.append(ctx._("/forget deletes all this."))
    ctx.reply("\n".join(lines), private=True)


@commands.command("forget", N_("Delete your profile, and choose what becomes of your ideas"), options=())
def forget(ctx: Context, args: str) -> None:
    _ = ctx._
    buttons = (
        ctx.button(
            _("Delete me, keep my ideas anonymously"),
            "forget",
            member_id=ctx.member.id,
            ideas=FORGET_KEEP_IDEAS,
        ),
        ctx.button(_("Delete me and my ideas"), "forget", member_id=ctx.member.id, ideas=FORGET_DELETE_IDEAS),
    )
    ctx.reply(
        _(
            "This deletes your accounts, profile, memberships and roles from Townhall, for good, with "
            "your commitments, pods, check-ins, votes and supports, and the messages Townhall sent you "
            "or that quoted you. Your ideas, feedback, versions and measurements can stay without your "
            "name, or go too. Ignore this message to keep everything."
        ),
        buttons=buttons,
        private=True,
    )


@commands.action("forget")
def forget_confirmed(ctx: Context, payload: dict) -> None:
    _ = ctx._
    if payload["member_id"] != ctx.member.id:
        raise UserError(_("Only the person who asked can confirm this."))
    forgetting = Forgetting(ctx.member.id, keep_contributions=payload["ideas"] == FORGET_KEEP_IDEAS)
    parts = ctx.hooks.subscribers(PERSONAL_DATA)
    for part in parts:
        part.erase(ctx, forgetting)
    files = [path for part in parts if part.files is not None for path in part.files(ctx, forgetting)]
    forgetting.files_removed = len(files)
    ctx.on_commit.append(lambda: remove_files(files))
    drop_news_quoting(ctx, forgetting)
    erase_kernel_traces(ctx.session, forgetting)
    remember_forgotten(ctx.session, ctx.config, forgetting.accounts)  # a digest each, to greet them if back
    ctx.session.exec(delete(Member).where(col(Member.id) == forgetting.member_id))  # the rest follows
    if forgetting.keep_contributions:
        text = _("Done: you are deleted; your ideas stay, without your name. Goodbye, and thank you.")
    else:
        text = _("Done: you and your ideas are deleted. Goodbye, and thank you.")
    if forgetting.files_removed:
        text += "\n" + ctx.ngettext(
            "{count} file made earlier with your words (an export, a report or a theme map) was removed; "
            "facilitators can make it again without you.",
            "{count} files made earlier with your words (exports, reports, theme maps) were removed; "
            "facilitators can make them again without you.",
            forgetting.files_removed,
        )
    ctx.reply(text, private=True, erase_when_sent=True)
    engine = ctx.session.get_bind()
    ctx.on_commit.append(lambda: scrub_deleted(engine))


def remove_files(paths: list[Path]) -> None:
    """Remove files and folders made earlier (exports are a folder beside their zip)."""
    for path in paths:
        if path.is_dir():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)


def drop_news_quoting(ctx: Context, forgetting: Forgetting) -> None:
    """Other members' news that quotes the forgotten member's words (a version's changes) goes."""
    quotes = quoting(forgetting)
    for notice in ctx.session.exec(
        select(ContributorNotice).where(ContributorNotice.member_id != forgetting.member_id)
    ):
        if any(isinstance(value, str) and quotes(value) for value in notice.details.values()):
            ctx.session.delete(notice)
