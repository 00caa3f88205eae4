"""/status: what a facilitator needs to see that the bot is healthy (delivery above all); the dashboard's
delivery page shows the same `delivery_health`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func
from sqlmodel import Session, col, select

from facilitation.kernel.context import Context
from facilitation.kernel.i18n import N_
from facilitation.kernel.router import CommandSet, Refusal, Role
from facilitation.kernel.text import shorten
from storage.models import Campaign, Idea, Member, OutboxMessage

commands = CommandSet()

RECENT_FAILURES_SHOWN = 5
FAILURE_REASON_WIDTH = 120


@dataclass(frozen=True)
class Failure:
    created_at: datetime
    platform: str
    reason: str


@dataclass(frozen=True)
class DeliveryHealth:
    sent: int
    pending: int
    failed: int
    open_campaigns: int
    members: int
    ideas: int
    failures: list[Failure]
    """The latest permanent delivery failures, newest first."""


def delivery_health(session: Session) -> DeliveryHealth:
    counts = dict(
        session.exec(select(OutboxMessage.status, func.count()).group_by(col(OutboxMessage.status))).all()
    )
    failures = session.exec(
        select(OutboxMessage)
        .where(OutboxMessage.status == "failed")
        .order_by(col(OutboxMessage.id).desc())
        .limit(RECENT_FAILURES_SHOWN)
    ).all()
    return DeliveryHealth(
        sent=counts.get("sent", 0),
        pending=counts.get("pending", 0),
        failed=counts.get("failed", 0),
        open_campaigns=session.exec(select(func.count()).where(Campaign.status == "open")).one(),
        members=session.exec(select(func.count()).select_from(Member)).one(),
        ideas=session.exec(select(func.count()).select_from(Idea)).one(),
        failures=[
            Failure(row.created_at, row.platform, shorten(row.last_error or "?", FAILURE_REASON_WIDTH))
            for row in failures
        ],
    )


@commands.command(
    "status",
    N_("Check delivery and activity (facilitators named in the settings)"),
    role=Role.FACILITATOR,
    options=(),
)
def show_status(ctx: Context, args: str) -> None:
    _, ngettext = ctx._, ctx.ngettext
    if not ctx.is_configured_facilitator():
        raise Refusal(
            _("Only facilitators named in Townhall's settings can see its status. Nothing was changed.")
        )
    health = delivery_health(ctx.session)
    lines = [
        _("Townhall status"),
        _(
            "Messages: {sent} delivered, {pending} waiting, {failed} failed.",
            sent=health.sent,
            pending=health.pending,
            failed=health.failed,
        ),
        ", ".join(
            (
                ngettext("{count} open campaign", "{count} open campaigns", health.open_campaigns),
                ngettext("{count} member", "{count} members", health.members),
                ngettext("{count} idea", "{count} ideas", health.ideas),
            )
        ),
    ]
    if health.failures:
        lines.append(_("Latest delivery failures:"))
        for failure in health.failures:
            when = failure.created_at.strftime("%Y-%m-%d %H:%M UTC")
            lines.append(f"- {when} {failure.platform}: {failure.reason}")
    ctx.reply("\n".join(lines), private=True)
