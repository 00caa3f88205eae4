"""Rotation: how often a scope's pods are formed anew (`/pods rotate weekly`, `toutes les 2 semaines`,
`off`), and the job that forms the next pods at that time, once."""

from __future__ import annotations

from datetime import timedelta

from facilitation.accountability.pods.forming import form_pods
from facilitation.accountability.pods.jobs import ROTATION_JOB, rotation_spec
from facilitation.kernel.context import Context, Effects
from facilitation.kernel.router import CommandSet, UsageError
from facilitation.membership.preferences import EARLY_TOLERANCE, local_day, show_day
from storage.models import PodSchedule

commands = CommandSet()

ROTATION_WORDS = {
    "weekly": 7,
    "hebdomadaire": 7,
    "hebdo": 7,
    "fortnightly": 14,
    "biweekly": 14,
    "quinzaine": 14,
    "monthly": 28,
    "mensuel": 28,
    "mensuelle": 28,
}
ROTATION_OFF_WORDS = ("off", "stop", "arrêt", "arret", "non")
MAX_ROTATION_DAYS = 90


def parse_rotation(text: str) -> int | None:
    """Days between rotations from `weekly`, `hebdomadaire`, `every 2 weeks` or `10`; None when unreadable."""
    words = text.casefold().split()
    joined = " ".join(
        word for word in words if word not in ("every", "each", "chaque", "toutes", "tous", "les")
    )
    if joined in ROTATION_WORDS:
        return ROTATION_WORDS[joined]
    if joined in ("week", "semaine"):
        return 7
    if joined in ("month", "mois"):
        return 28
    number, _space, unit = joined.partition(" ")
    if number.isdigit():
        factor = {"": 1, "day": 1, "days": 1, "jours": 1, "weeks": 7, "semaines": 7}.get(unit)
        if factor is not None and 1 <= int(number) * factor <= MAX_ROTATION_DAYS:
            return int(number) * factor
    return None


def set_rotation(ctx: Context, schedule: PodSchedule, text: str) -> None:
    """`/pods rotate <how often>|off`: set or stop the scope's rotation, and plan the next one."""
    _ = ctx._
    if text.strip().casefold().partition(" ")[0] in ROTATION_OFF_WORDS:
        schedule.rotate_days = schedule.next_rotation_at = None
        ctx.reply(_("Pods will not rotate any more; the current pods stay."))
        return
    days = parse_rotation(text)
    if days is None:
        raise UsageError(
            _("Say how often: /pods rotate weekly, fortnightly, monthly, a number of days, or off.")
        )
    schedule.rotate_days = days
    schedule.next_rotation_at = ctx.now() + timedelta(days=days)
    ctx.schedule(rotation_spec(schedule))
    ctx.reply(
        ctx.ngettext(
            "Pods will rotate every {count} day, next on {day}, avoiding pairs who already met.",
            "Pods will rotate every {count} days, next on {day}, avoiding pairs who already met.",
            days,
            day=show_day(ctx.member.language, local_day(ctx.member, schedule.next_rotation_at)),
        )
    )


@commands.job(ROTATION_JOB)
def rotate_pods(effects: Effects, payload: dict) -> None:
    """Form the scope's next pods at the rotation time, once."""
    schedule = effects.session.get(PodSchedule, payload["schedule_id"])
    if schedule is None or schedule.rotate_days is None or schedule.next_rotation_at is None:
        return
    now = effects.now()
    if schedule.next_rotation_at > now + EARLY_TOLERANCE:
        effects.schedule(rotation_spec(schedule))
        return
    if not effects.record_prompt(f"rotation:{schedule.id}:{schedule.rotation + 1}"):
        return
    form_pods(effects, schedule)
    step = timedelta(days=schedule.rotate_days)
    while schedule.next_rotation_at <= now:
        schedule.next_rotation_at += step
    effects.schedule(rotation_spec(schedule))
