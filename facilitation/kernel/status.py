"""/status: what a facilitator needs to see that the bot is healthy (delivery above all)."""

from __future__ import annotations

from sqlalchemy import func
from sqlmodel import col, select

from facilitation.kernel.context import Context
from facilitation.kernel.i18n import N_
from facilitation.kernel.router import CommandSet, Refusal, Role
from facilitation.kernel.text import shorten
from storage.models import Campaign, Idea, Member, OutboxMessage

commands = CommandSet()

RECENT_FAILURES_SHOWN = 5
FAILURE_REASON_WIDTH = 120


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
    counts = dict(
        ctx.session.exec(select(OutboxMessage.status, func.count()).group_by(col(OutboxMessage.status))).all()
    )
    lines = [
        _("Townhall status"),
        _(
            "Messages: {sent} delivered, {pending} waiting, {failed} failed.",
            sent=counts.get("sent", 0),
            pending=counts.get("pending", 0),
            failed=counts.get("failed", 0),
        ),
        ", ".join(
            (
                ngettext(
                    "{count} open campaign",
                    "{count} open campaigns",
                    ctx.session.exec(select(func.count()).where(Campaign.status == "open")).one(),
                ),
                ngettext(
                    "{count} member",
                    "{count} members",
                    ctx.session.exec(select(func.count()).select_from(Member)).one(),
                ),
                ngettext(
                    "{count} idea",
                    "{count} ideas",
                    ctx.session.exec(select(func.count()).select_from(Idea)).one(),
                ),
            )
        ),
    ]
    failures = ctx.session.exec(
        select(OutboxMessage)
        .where(OutboxMessage.status == "failed")
        .order_by(col(OutboxMessage.id).desc())
        .limit(RECENT_FAILURES_SHOWN)
    ).all()
    if failures:
        lines.append(_("Latest delivery failures:"))
        for row in failures:
            when = row.created_at.strftime("%Y-%m-%d %H:%M UTC")
            reason = shorten(row.last_error or "?", FAILURE_REASON_WIDTH)
            lines.append(f"- {when} {row.platform}: {reason}")
    ctx.reply("\n".join(lines), private=True)
