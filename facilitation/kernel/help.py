"""/help: the commands the sender's role allows, in their language."""

from __future__ import annotations

from facilitation.kernel.context import Context
from facilitation.kernel.i18n import N_
from facilitation.kernel.router import CommandSet, Role

commands = CommandSet()


@commands.command("help", N_("Show what I can do for you"), options=())
def show_help(ctx: Context, args: str) -> None:
    _ = ctx._
    facilitator = ctx.is_facilitator()
    lines = [_("Townhall gathers ideas for shared challenges. Commands:")]
    for command in ctx.commands.values():
        if command.role is Role.FACILITATOR:
            continue
        lines.append(f"{_(command.usage) if command.usage else '/' + command.name} — {_(command.summary)}")
    if facilitator:
        lines.append("")
        lines.append(_("For facilitators:"))
        for command in ctx.commands.values():
            if command.role is Role.FACILITATOR:
                lines.append(
                    f"{_(command.usage) if command.usage else '/' + command.name} — {_(command.summary)}"
                )
    lines.append("")
    lines.append(_("Any message with a campaign's #hashtag is shared as an idea."))
    ctx.reply("\n".join(lines))
