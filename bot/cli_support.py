"""What the `townhall` subcommands share: exit codes, the database, finding a campaign, a progress bar."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

from bot.settings import Settings

EXIT_CONFIGURATION_ERROR = 2
EXIT_REFUSED = 1
"""The command could not do what was asked (bad file, unknown campaign); nothing was changed."""
PROGRESS_WIDTH = 30

Plan = TypeVar("Plan")


@contextlib.contextmanager
def database_for(settings: Settings) -> Iterator:
    from storage.db import Database

    database = Database(settings.effective_database_url)
    try:
        database.upgrade()
        yield database
    finally:
        database.dispose()


def campaign_named(session, hashtag: str):  # noqa: ANN001, ANN202 (imports stay lazy for a quick --help)
    """The open campaign with this hashtag, else the latest one that had it."""
    from sqlmodel import col, select

    from facilitation.kernel.text import normalise_hashtag
    from storage.models import Campaign

    return session.exec(
        select(Campaign)
        .where(Campaign.hashtag == normalise_hashtag(hashtag))
        .order_by(col(Campaign.status) != "open", col(Campaign.id).desc())
    ).first()


def import_into_open_campaign(
    settings: Settings,
    command: str,
    hashtag: str,
    read: Callable[[], Plan],
    refused: tuple[type[Exception], ...],
    store: Callable[[Any, Any, Plan], Any],
) -> tuple[Any, Plan, Any] | None:
    """Read what a `townhall <command>` imports, then `store` it in the open campaign `hashtag` in one
    transaction: `(campaign, plan, what store returned)`, or None after a one-line refusal (a file that
    `read` refuses with one of `refused`, or no such open campaign), nothing imported."""
    try:
        plan = read()
    except (*refused, OSError) as error:
        print(f"townhall {command}: {error} Nothing was imported.", file=sys.stderr)
        return None
    with database_for(settings) as database, database.session() as session:
        campaign = campaign_named(session, hashtag)
        if campaign is None or campaign.status != "open":
            print(
                f"townhall {command}: there is no open campaign {hashtag}. Nothing was imported.",
                file=sys.stderr,
            )
            return None
        return campaign, plan, store(session, campaign, plan)


def progress_bar(done: int, total: int) -> None:
    filled = PROGRESS_WIDTH * done // max(total, 1)
    end = "\n" if done == total else ""
    print(f"\r[{'#' * filled}{'.' * (PROGRESS_WIDTH - filled)}] {done}/{total}", end=end, file=sys.stderr)
