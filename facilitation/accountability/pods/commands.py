"""The pods' chat commands: /pods shows the pods, forms them (asking before it re-forms running ones) or
sets their rotation (facilitators); /checkin answers the latest check-in in words."""

from __future__ import annotations

from sqlalchemy import func
from sqlmodel import col, select

from facilitation.accountability.pods.checkins import BLOCKED, NEED_HELP, ON_TRACK, record_answer
from facilitation.accountability.pods.forming import active_pods, form_pods, schedule_for
from facilitation.accountability.pods.grouping import MIN_POD_SIZE
from facilitation.accountability.pods.rotation import set_rotation
from facilitation.kernel.context import Context
from facilitation.kernel.i18n import N_
from facilitation.kernel.router import CommandSet, Role, UsageError, UserError
from facilitation.kernel.text import clean_user_text
from facilitation.membership.campaigns import resolve_optional_campaign
from facilitation.membership.preferences import local_day, show_day
from storage.models import Campaign, CheckIn, Member, Pod, PodMember, PodSchedule

commands = CommandSet()

MAX_POD_SIZE = 4
DEFAULT_POD_SIZE = 3
STATUS_WORDS = {
    ON_TRACK: ("on track", "en bonne voie", "ok"),
    NEED_HELP: ("need help", "besoin d'aide", "besoin d’aide", "help", "aide"),
    BLOCKED: ("blocked", "bloqué", "bloquée", "bloque"),
}


@commands.command(
    "pods",
    N_("Show the accountability pods, form them among members with commitments, or rotate them"),
    N_("/pods [#hashtag], /pods form [size 2-4] [#hashtag] or /pods rotate weekly|off"),
    role=Role.FACILITATOR,
)
def pods_command(ctx: Context, args: str) -> None:
    _ = ctx._
    campaign, rest = resolve_optional_campaign(ctx, clean_user_text(args))
    if campaign is not None:
        ctx.require_facilitator(campaign)
    schedule = schedule_for(ctx.session, campaign)
    word, _space, rest_of_it = rest.strip().partition(" ")
    if word.casefold() in ("rotate", "rotation"):
        set_rotation(ctx, schedule, rest_of_it)
        return
    if not word:
        show_pods(ctx, schedule)
        return
    size_word = rest_of_it.strip() if word.casefold() in ("form", "former") else word
    size = DEFAULT_POD_SIZE
    if size_word:
        if not size_word.isdigit() or not MIN_POD_SIZE <= int(size_word) <= MAX_POD_SIZE:
            raise UsageError(
                _("A pod has {low} to {high} members, e.g. /pods 3.", low=MIN_POD_SIZE, high=MAX_POD_SIZE)
            )
        size = int(size_word)
    if active_pods(ctx.session, schedule):
        button = ctx.button(_("Re-form the pods"), "pods_reform", schedule_id=schedule.id, size=size)
        ctx.reply(
            _(
                "Pods are formed already. Re-forming them gives everyone new peers and a new introduction; "
                "/pods shows the current ones."
            ),
            buttons=(button,),
            private=True,
        )
        return
    form_and_tell(ctx, schedule, size)


@commands.action("pods_reform")
def reform_confirmed(ctx: Context, payload: dict) -> None:
    schedule = ctx.pressed_row(PodSchedule, payload["schedule_id"])
    campaign = ctx.session.get(Campaign, schedule.campaign_id) if schedule.campaign_id is not None else None
    ctx.require_facilitator(campaign)
    form_and_tell(ctx, schedule, payload["size"])


def show_pods(ctx: Context, schedule: PodSchedule) -> None:
    """The pods now running in the scope, one line each; forming them is another command."""
    _ = ctx._
    pods = active_pods(ctx.session, schedule)
    if not pods:
        ctx.reply(_("No pods yet. /pods form [size 2-4] forms them among members with open commitments."))
        return
    lines = [
        ctx.ngettext(
            "{count} pod (rotation {rotation}):",
            "{count} pods (rotation {rotation}):",
            len(pods),
            rotation=schedule.rotation,
        )
    ]
    for pod in pods:
        members = ctx.session.exec(
            select(Member.pseudonym)
            .join(PodMember, col(PodMember.member_id) == col(Member.id))
            .where(PodMember.pod_id == pod.id)
            .order_by(col(Member.pseudonym))
        ).all()
        lines.append(" · ".join(members))
    lines.append(_("/pods form re-forms them; /pods rotate weekly changes them every week."))
    ctx.reply("\n".join(lines))


def form_and_tell(ctx: Context, schedule: PodSchedule, size: int) -> None:
    _ = ctx._
    schedule.size = size
    formed = form_pods(ctx, schedule)
    if formed is None:
        raise UserError(
            _("Pods need at least two members with open commitments. Invite people to make one with /commit.")
        )
    lines = [
        ctx.ngettext(
            "{count} pod formed (rotation {rotation}); each member now knows their pod and their peers' commitments:",
            "{count} pods formed (rotation {rotation}); each member now knows their pod and their peers' commitments:",
            len(formed),
            rotation=schedule.rotation,
        )
    ]
    lines += [" · ".join(member.pseudonym for member in members) for members in formed]
    lines.append(
        _(
            "Check-ins come every week at a reasonable local hour. /pods rotate weekly changes pods every week."
        )
    )
    ctx.reply("\n".join(lines))


@commands.command(
    "checkin", N_("Answer your latest check-in in words"), N_("/checkin [on track|need help|blocked] <news>")
)
def checkin_command(ctx: Context, args: str) -> None:
    _ = ctx._
    text = clean_user_text(args)
    checkin = ctx.session.exec(
        select(CheckIn).where(CheckIn.member_id == ctx.member.id).order_by(col(CheckIn.sent_at).desc())
    ).first()
    if checkin is None:
        first = ctx.session.exec(
            select(func.min(PodMember.next_checkin_at))
            .join(Pod, col(Pod.id) == col(PodMember.pod_id))
            .where(PodMember.member_id == ctx.member.id, col(Pod.ended_at).is_(None))
        ).one()
        if first is not None:
            day = show_day(ctx.member.language, local_day(ctx.member, first))
            raise UserError(_("Your first check-in comes on {day}: answer it then.", day=day))
        raise UserError(_("You have no check-in yet. It comes once you are in a pod."))
    status = None
    lowered = text.casefold()
    for candidate, words in STATUS_WORDS.items():
        for word in words:
            if lowered.startswith(word) and not lowered[len(word) : len(word) + 1].isalnum():
                status, text = candidate, text[len(word) :].strip(" :,-")
                break
        if status is not None:
            break
    if status is None and not text:
        raise UsageError(_("Write a few words after /checkin, e.g. /checkin on track, crew found."))
    record_answer(ctx, checkin, status, text)
