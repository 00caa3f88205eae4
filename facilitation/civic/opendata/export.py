"""/export: a facilitator publishes the campaign's open data package in chat, as a zip."""

from __future__ import annotations

from pathlib import Path

from sqlmodel import Session

from facilitation.civic.opendata.package import archive, write_package
from facilitation.kernel.context import Context, CoreConfig
from facilitation.kernel.i18n import N_
from facilitation.kernel.router import CommandSet, Role
from facilitation.membership.campaigns import resolve_campaign
from storage.models import Campaign

commands = CommandSet()
EXPORTS_FOLDER = "exports"


def export_campaign(session: Session, campaign: Campaign, out_dir: Path, config: CoreConfig) -> Path:
    """The campaign's package as the bot and the command line both write it."""
    return write_package(session, campaign, out_dir, config.open_data_secret, config.open_data_license)


def export_archive(session: Session, campaign: Campaign, config: CoreConfig) -> Path:
    """The package written under the data folder and zipped, as /export and the dashboard hand it out
    (/forget removes these files when they hold a forgotten member's words)."""
    stamp = config.clock().strftime("%Y%m%d-%H%M%S")
    out_dir = config.data_dir / EXPORTS_FOLDER / f"{campaign.hashtag}-{stamp}"
    export_campaign(session, campaign, out_dir, config)
    return archive(out_dir)


@commands.command(
    "export",
    N_("Publish the campaign's open data package as a file"),
    N_("/export [#hashtag]"),
    role=Role.FACILITATOR,
)
def export_command(ctx: Context, args: str) -> None:
    _ = ctx._
    campaign, _rest = resolve_campaign(ctx, args)
    ctx.require_facilitator(campaign)
    ctx.reply(
        _(
            "Open data of #{hashtag}: a Frictionless data package with Polis-format files, licensed {license}.",
            hashtag=campaign.hashtag,
            license=ctx.config.open_data_license,
        ),
        file_path=str(export_archive(ctx.session, campaign, ctx.config)),
    )
