"""The pods' chat commands: /pods forms pods or sets their rotation (facilitators), /checkin answers
the latest check-in in words."""

from __future__ import annotations

from sqlmodel import col, select

from facilitation.accountability.pods.checkins import BLOCKED, NEED_HELP, ON_TRACK, record_answer
from facilitation.accountability.pods.forming import form_pods, schedule_for
from facilitation.accountability.pods.grouping import MIN_POD_SIZE
from facilitation.accountability.pods.rotation import set_rotation
from facilitation.kernel.context import Context
from facilitation.kernel.i18n import N_
from facilitation.kernel.router import CommandSet, Role, UsageError, UserError
from facilitation.kernel.text import clean_user_text
from facilitation.membership.campaigns import resolve_optional_campaign
from storage.models import CheckIn

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
    N_("Form accountability pods among members with open commitments, or set their rotation"),
    N_("/pods [size 2-4] [#hashtag] or /pods rotate weekly|off"),
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
    if word:
        if not word.isdigit() or not MIN_POD_SIZE <= int(word) <= MAX_POD_SIZE:
            raise UsageError(
                _("A pod has {low} to {high} members, e.g. /pods 3.", low=MIN_POD_SIZE, high=MAX_POD_SIZE)
            )
        schedule.size = int(word)
    else:
        schedule.size = DEFAULT_POD_SIZE
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
