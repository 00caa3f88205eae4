"""What Townhall holds about a person, shown to them alone, and forgetting them on request."""

from __future__ import annotations

from sqlalchemy import delete, func
from sqlmodel import col, select

from facilitation.kernel.context import Context
from facilitation.kernel.i18n import N_
from facilitation.kernel.refs import COMMITMENT, IDEA, PROTOTYPE, ref
from facilitation.kernel.router import CommandSet, UserError
from facilitation.membership.preferences import format_quiet, is_paused, local_day, quiet_window, show_day
from storage.models import (
    Campaign,
    CampaignFacilitator,
    CheckIn,
    Commitment,
    Feedback,
    Idea,
    IdeaVote,
    Identity,
    Member,
    Membership,
    PrototypeMember,
)

commands = CommandSet()

FORGET_KEEP_IDEAS = "keep"
FORGET_DELETE_IDEAS = "delete"


@commands.command("me", N_("See, privately, everything Townhall holds about you"), options=())
def show_me(ctx: Context, args: str) -> None:
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
    ideas = ctx.session.exec(select(Idea.id).where(Idea.member_id == member.id).order_by(col(Idea.id))).all()
    teams = ctx.session.exec(
        select(PrototypeMember.prototype_id).where(PrototypeMember.member_id == member.id)
    ).all()

    def count_of(model: type, condition: object) -> int:
        return ctx.session.exec(select(func.count()).select_from(model).where(condition)).one()

    none = _("none")
    lines = [
        _("What Townhall holds about you:"),
        _("Pseudonym (shown with your ideas): {name}", name=member.pseudonym),
        _("Language: {language}; time zone: {timezone}", language=member.language, timezone=member.timezone),
        _(
            "Accounts: {accounts}",
            accounts=", ".join(f"{i.platform} {i.display_name or i.platform_user_id}" for i in identities),
        ),
        _(
            "Campaigns: {campaigns}",
            campaigns=", ".join(
                f"#{tag}" + ("" if left is None else " " + _("(left)")) for tag, left in campaigns
            )
            or none,
        ),
        _("Facilitator of: {campaigns}", campaigns=", ".join(f"#{tag}" for tag in facilitates) or none),
        _("Your ideas: {ideas}", ideas=", ".join(ref(IDEA, idea_id) for idea_id in ideas) or none),
        _(
            "Your votes: {votes}; your feedback on prototypes: {feedback}; prototype teams: {teams}",
            votes=count_of(IdeaVote, IdeaVote.member_id == member.id),
            feedback=count_of(Feedback, Feedback.member_id == member.id),
            teams=", ".join(ref(PROTOTYPE, prototype_id) for prototype_id in teams) or none,
        ),
        _("Messages unasked: muted (/unmute)") if member.muted else _("Messages unasked: allowed (/mute)"),
        *accountability_lines(ctx, none),
        _("/forget deletes all this."),
    ]
    ctx.reply("\n".join(lines), private=True)


def accountability_lines(ctx: Context, none: str) -> list[str]:
    """Quiet hours, pause, commitments and check-in answers: what the accountability features hold."""
    _ = ctx._
    member = ctx.member
    window = quiet_window(member, ctx.config)
    commitments = ctx.session.exec(
        select(Commitment.id).where(Commitment.member_id == member.id).order_by(col(Commitment.id))
    ).all()
    answers = ctx.session.exec(
        select(CheckIn.id).where(CheckIn.member_id == member.id, col(CheckIn.answered_at).is_not(None))
    ).all()
    lines = [
        _("Quiet hours: {hours}", hours=format_quiet(window) if window else none),
        _(
            "Your commitments: {commitments}",
            commitments=", ".join(ref(COMMITMENT, cid) for cid in commitments) or none,
        ),
        ctx.ngettext("{count} check-in answered", "{count} check-ins answered", len(answers)),
    ]
    if is_paused(member, ctx.now()):
        assert member.paused_until is not None
        lines.append(
            _("Paused until {day}", day=show_day(member.language, local_day(member, member.paused_until)))
        )
    return lines


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
            "This deletes your accounts, profile, memberships and roles from Townhall, for good. "
            "Your ideas can stay without your name, or go too. Ignore this message to keep everything."
        ),
        buttons=buttons,
        private=True,
    )


@commands.action("forget")
def forget_confirmed(ctx: Context, payload: dict) -> None:
    _ = ctx._
    if payload["member_id"] != ctx.member.id:
        raise UserError(_("Only the person who asked can confirm this."))
    member_id = ctx.member.id
    if payload["ideas"] == FORGET_DELETE_IDEAS:
        ctx.session.exec(delete(Idea).where(col(Idea.member_id) == member_id))
        ctx.session.exec(delete(Feedback).where(col(Feedback.member_id) == member_id))
        text = _("Done: you and your ideas are deleted. Goodbye, and thank you.")
    else:
        text = _("Done: you are deleted; your ideas stay, without your name. Goodbye, and thank you.")
    ctx.session.exec(
        delete(Member).where(col(Member.id) == member_id)
    )  # identities, memberships, roles follow
    ctx.reply(text, private=True)
