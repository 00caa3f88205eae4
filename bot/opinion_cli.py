"""`townhall import-polis` and `townhall groups`: a Polis conversation into a campaign, and its opinion groups."""

from __future__ import annotations

import csv
import sys
from pathlib import Path

from bot.cli_support import (
    EXIT_REFUSED,
    campaign_named,
    database_for,
    import_into_open_campaign,
    progress_bar,
)
from bot.settings import Settings


def import_polis_folder(settings: Settings, folder: Path, hashtag: str) -> int:
    """Import a Polis export folder into the open campaign `hashtag`, in one transaction, and report."""
    from bot.app import core_config
    from facilitation.intake.polis_import import PolisFolderError, import_polis, read_polis_folder

    imported = import_into_open_campaign(
        settings,
        "import-polis",
        hashtag,
        lambda: read_polis_folder(folder),
        (PolisFolderError,),
        lambda session, campaign, plan: import_polis(
            session, campaign, plan, core_config(settings, []), progress_bar
        ),
    )
    if imported is None:
        return EXIT_REFUSED
    campaign, plan, done = imported
    print(
        f"Imported {done.ideas} statements as ideas and {done.votes} votes from {done.members} Polis "
        f"participants into #{campaign.hashtag} from {plan.source}."
    )
    if plan.skipped:
        print(f"Skipped {len(plan.skipped)} rows:")
        for file, line, reason in plan.skipped:
            print(f"  {file} line {line}: {reason}")
    return 0


def print_groups(settings: Settings, hashtag: str, csv_path: Path | None) -> int:
    """Print a campaign's opinion groups, or write `participant,group` rows to `csv_path`."""
    from sqlmodel import col, select

    from facilitation.intake.polis_import import POLIS_PLATFORM, polis_id
    from facilitation.kernel.i18n import translator
    from facilitation.planning.group_store import refresh_groups, stored_groups
    from facilitation.planning.opinions import group_name, groups_text
    from storage.models import Identity, Member, utcnow

    with database_for(settings) as database, database.session() as session:
        campaign = campaign_named(session, hashtag)
        if campaign is None:
            print(f"townhall groups: there is no campaign {hashtag}.", file=sys.stderr)
            return EXIT_REFUSED
        assert campaign.id is not None
        refresh_groups(session, campaign.id, utcnow())
        groups = stored_groups(session, campaign)
        if csv_path is None:
            print(groups_text(groups, *translator(settings.default_language)))
            return 0
        names = {
            member_id: pseudonym
            for member_id, pseudonym in session.exec(
                select(Member.id, Member.pseudonym).where(col(Member.id).in_(groups.member_ids))
            )
        }
        for member_id, user_id in session.exec(
            select(Identity.member_id, Identity.platform_user_id).where(
                Identity.platform == POLIS_PLATFORM, col(Identity.member_id).in_(groups.member_ids)
            )
        ):
            names[member_id] = polis_id(user_id)
        group_of = groups.group_of()
        with csv_path.open("w", newline="", encoding="utf-8") as out:
            writer = csv.writer(out)
            writer.writerow(["participant", "group"])
            for member_id in groups.member_ids:
                group = group_of.get(member_id)
                writer.writerow([names[member_id], group_name(group) if group is not None else ""])
    print(
        f"Wrote {len(groups.member_ids)} participants in {len(set(group_of.values()))} groups to {csv_path}."
    )
    return 0
