"""The `townhall` command line."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys
from collections.abc import Sequence
from pathlib import Path

from adapters.base import AdapterStartError
from bot.cli_support import (
    EXIT_CONFIGURATION_ERROR,
    EXIT_REFUSED,
    campaign_named,
    database_for,
    import_into_open_campaign,
    progress_bar,
)
from bot.logs import configure_logging
from bot.opinion_cli import import_polis_folder, print_groups
from bot.settings import Settings, SettingsError, load_settings
from facilitation.kernel.i18n import SUPPORTED_LANGUAGES


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="townhall",
        description="A chat-bot facilitator for open town-hall planning. Settings come from the "
        "environment and .env (see .env.example).",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands.add_parser(
        "run",
        help="start the bot: every platform whose token is set, or the local console when none is",
    )
    commands.add_parser("web", help="serve the facilitators' web dashboard alone, without the chat platforms")
    link = commands.add_parser("dashboard-link", help="print a single-use link to a campaign's web dashboard")
    link.add_argument("hashtag", help="the campaign's hashtag, such as #parks")
    export = commands.add_parser(
        "export", help="write a campaign's open data package (Frictionless Data Package and Polis files)"
    )
    export.add_argument("hashtag", help="the campaign's hashtag, such as #parks")
    export.add_argument("--out", required=True, type=Path, help="folder to write the package into")
    report = commands.add_parser("report", help="write a campaign's citizen report as one HTML file")
    report.add_argument("hashtag", help="the campaign's hashtag, such as #parks")
    report.add_argument("--out", required=True, type=Path, help="the HTML file to write")
    report.add_argument(
        "--lang", choices=SUPPORTED_LANGUAGES, help="language of the report (default: DEFAULT_LANGUAGE)"
    )
    database = commands.add_parser("db", help="database maintenance")
    database_commands = database.add_subparsers(dest="db_command", metavar="ACTION", required=True)
    database_commands.add_parser("upgrade", help="apply all pending migrations")
    database_commands.add_parser("current", help="print the database's migration revision")
    importing = commands.add_parser(
        "import", help="import ideas collected offline from a UTF-8 CSV file, in one transaction"
    )
    importing.add_argument("hashtag", help="the open campaign, e.g. #parks")
    importing.add_argument("file", type=Path, help="the CSV file, with a header line")
    importing.add_argument("--text-column", default="text", help="the column holding the ideas (text)")
    importing.add_argument(
        "--author-column", default=None, help="the column naming each idea's author (author, if present)"
    )
    themes = commands.add_parser("themes", help="compute a campaign's themes and print the digest")
    themes.add_argument("hashtag", help="the campaign, e.g. #parks")
    themes.add_argument(
        "--csv",
        type=Path,
        default=None,
        help="write idea_id,theme_id,theme_label,subtheme_id,text here instead",
    )
    polis = commands.add_parser(
        "import-polis", help="import a Polis export folder (comments.csv, votes.csv) into a campaign"
    )
    polis.add_argument("folder", type=Path, help="the folder, as in compdemocracy/openData")
    polis.add_argument("hashtag", help="the open campaign, e.g. #parks")
    groups = commands.add_parser("groups", help="print a campaign's opinion groups")
    groups.add_argument("hashtag", help="the campaign, e.g. #parks")
    groups.add_argument("--csv", type=Path, default=None, help="write participant,group rows here instead")
    commands.add_parser(
        "demo",
        help="replay a real public consultation (Polis, Bowling Green) through Townhall: "
        "close ideas, themes and a theme map",
    )
    discord = commands.add_parser("discord", help="Discord maintenance (needs DISCORD_BOT_TOKEN)")
    discord_commands = discord.add_subparsers(dest="discord_command", metavar="ACTION", required=True)
    sync = discord_commands.add_parser(
        "sync",
        help="register the slash commands with Discord: in one server with --guild (instant), "
        "else globally (every server, may take up to an hour to appear)",
    )
    sync.add_argument("--guild", type=int, metavar="ID", help="the server (guild) id to register them in")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 0
    try:
        settings = load_settings()
        if args.command == "run":
            return _run(settings)
        if args.command == "web":
            from bot.web_cli import serve_alone

            configure_logging(settings, console_only=True)
            asyncio.run(serve_alone(settings))
            return 0
        if args.command == "dashboard-link":
            from bot.web_cli import print_dashboard_link

            return print_dashboard_link(settings, args.hashtag)
        if args.command == "import":
            return _import(settings, args.hashtag, args.file, args.text_column, args.author_column)
        if args.command == "themes":
            return _themes(settings, args.hashtag, args.csv)
        if args.command == "import-polis":
            return import_polis_folder(settings, args.folder, args.hashtag)
        if args.command == "groups":
            return print_groups(settings, args.hashtag, args.csv)
        if args.command == "demo":
            from bot.demo import run_demo

            configure_logging(settings, console_only=True)
            return asyncio.run(run_demo(settings))
        if args.command == "discord":
            return _discord_sync(settings, args.guild)
        if args.command in ("export", "report"):
            return _publish(settings, args)
        return _database(settings, args.db_command)
    except (SettingsError, AdapterStartError) as error:
        print(f"townhall: configuration error: {error}", file=sys.stderr)
        return EXIT_CONFIGURATION_ERROR


def _run(settings: Settings) -> int:
    from adapters.console import ConsoleAdapter
    from bot.app import Townhall, select_adapters

    adapters = select_adapters(settings)
    configure_logging(settings, console_only=all(isinstance(a, ConsoleAdapter) for a in adapters))
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(Townhall(settings, adapters).run_until_stopped())
    return 0


def _discord_sync(settings: Settings, guild_id: int | None) -> int:
    """Slash commands are registered on demand, not at every start: Discord limits how often they change."""
    from adapters.discord.adapter import sync_commands
    from bot.app import discord_adapter

    if not settings.discord_bot_token:
        raise SettingsError("DISCORD_BOT_TOKEN: set it to the bot's token to sync its slash commands")
    configure_logging(settings, console_only=False)
    names = asyncio.run(sync_commands(discord_adapter(settings), guild_id))
    where = f"server {guild_id}" if guild_id is not None else "every server (global; may take up to an hour)"
    print(f"synced {len(names)} slash commands to {where}: {', '.join('/' + name for name in names)}")
    return 0


def _publish(settings: Settings, args: argparse.Namespace) -> int:
    """`export` and `report`: read a campaign by hashtag and write its open data or its citizen report."""
    from sqlmodel import col, select

    from bot.app import core_config
    from facilitation.civic.opendata.export import export_campaign
    from facilitation.civic.report import render_report
    from facilitation.features import FEATURES
    from facilitation.kernel.router import Router
    from facilitation.kernel.text import normalise_hashtag
    from storage.db import Database
    from storage.models import Campaign

    database = Database(settings.effective_database_url)
    try:
        database.upgrade()
        with database.session() as session:
            campaigns = session.exec(
                select(Campaign)
                .where(Campaign.hashtag == normalise_hashtag(args.hashtag))
                .order_by(col(Campaign.status) == "open", col(Campaign.id))
            ).all()
            if not campaigns:
                print(f"townhall: no campaign {args.hashtag}", file=sys.stderr)
                return 1
            campaign = campaigns[-1]  # the open one if any, else the latest
            if args.command == "export":
                written = export_campaign(session, campaign, args.out, core_config(settings, []))
            else:
                language = args.lang or settings.default_language
                hooks = Router(FEATURES).hooks
                page = render_report(session, campaign, settings.open_data_license, language, hooks=hooks)
                args.out.parent.mkdir(parents=True, exist_ok=True)
                args.out.write_text(page, encoding="utf-8")
                written = args.out
    finally:
        database.dispose()
    print(f"written: {written}")
    return 0


def _database(settings: Settings, action: str) -> int:
    from storage.db import Database, current_revision

    database = Database(settings.effective_database_url)
    try:
        if action == "upgrade":
            database.upgrade()
        print(f"database revision: {current_revision(database.engine)}")
    finally:
        database.dispose()
    return 0


def _import(settings: Settings, hashtag: str, file: Path, text_column: str, author_column: str | None) -> int:
    from bot.app import core_config
    from facilitation.intake.importing import ImportFileError, import_ideas, read_ideas_csv

    imported = import_into_open_campaign(
        settings,
        "import",
        hashtag,
        lambda: read_ideas_csv(file, text_column, author_column),
        (ImportFileError,),
        lambda session, campaign, plan: import_ideas(
            session,
            campaign,
            plan,
            core_config(settings, []),
            lambda done: progress_bar(done, len(plan.rows)),
        ),
    )
    if imported is None:
        return EXIT_REFUSED
    campaign, plan, stored = imported
    print(f"Imported {stored} ideas into #{campaign.hashtag} from {file.name}.")
    if plan.skipped:
        print(f"Skipped {len(plan.skipped)} rows:")
        for line, reason in plan.skipped:
            print(f"  line {line}: {reason}")
    return 0


def _themes(settings: Settings, hashtag: str, csv_path: Path | None) -> int:
    from bot.app import core_config
    from facilitation.intelligence.embeddings import Embedder
    from facilitation.intelligence.similarity import needs_multilingual
    from facilitation.intelligence.themes import compute_themes, digest_text, draw_map
    from facilitation.kernel.context import Effects
    from facilitation.kernel.i18n import translator
    from facilitation.kernel.refs import IDEA, ref, theme_ref
    from facilitation.kernel.spreadsheets import write_csv

    if not settings.embedding_model:
        print("townhall themes: themes need EMBEDDING_MODEL, which is empty.", file=sys.stderr)
        return EXIT_CONFIGURATION_ERROR
    embedder: Embedder | None = None
    try:
        with database_for(settings) as database, database.session() as session:
            campaign = campaign_named(session, hashtag)
            if campaign is None:
                print(f"townhall themes: there is no campaign {hashtag}.", file=sys.stderr)
                return EXIT_REFUSED
            multilingual = settings.multilingual_embedding_model and needs_multilingual(campaign.language)
            model = settings.multilingual_embedding_model if multilingual else settings.embedding_model
            embedder = settings.new_embedder(model)
            if not embedder.wait_ready():
                print(f"townhall themes: the model {model!r} did not load.", file=sys.stderr)
                return EXIT_CONFIGURATION_ERROR
            # News for authors of newly placed ideas is stored here and sent by the running bot.
            effects = Effects(session=session, config=core_config(settings, []))
            result = compute_themes(effects, campaign, embedder)
        _, ngettext = translator(settings.default_language)
        if csv_path is None:
            print(digest_text(result, _, ngettext))
            path = draw_map(result, settings.data_dir, _)
            if path is not None:
                print(f"\nTheme map: {path}")
            return 0
        labels = {theme.id: theme.label for theme, _c in result.themes}
        methods = {theme.id: theme.label_source.get("method", "") for theme, _c in result.themes}
        rows = [["idea_id", "theme_id", "theme_label", "label_method", "subtheme_id", "text"]]
        for idea_id, idea in result.ideas.items():
            theme_id, subtheme_id = result.placement.get(idea_id, (None, None))
            rows.append(
                [
                    ref(IDEA, idea_id),
                    theme_ref(theme_id) if theme_id is not None else "other",
                    labels[theme_id] if theme_id is not None else _("other"),
                    methods[theme_id] if theme_id is not None else "",
                    theme_ref(subtheme_id) if subtheme_id is not None else "",
                    idea.text,
                ]
            )
        with csv_path.open("w", newline="", encoding="utf-8") as out:
            write_csv(out, rows)
        print(f"Wrote {len(result.ideas)} ideas in {len(result.themes)} themes to {csv_path}.")
        return 0
    finally:
        if embedder is not None:
            embedder.close()


if __name__ == "__main__":
    sys.exit(main())
