"""What civic holds about a member, for /me and /forget: goal measurements they recorded and the goals
they may measure; and the exports and reports written earlier that hold their words."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import delete, func
from sqlmodel import col, select

from facilitation.civic.opendata.export import EXPORTS_FOLDER
from facilitation.civic.report import REPORTS_FOLDER
from facilitation.kernel.context import Context
from facilitation.kernel.hooks import Forgetting, PersonalData
from facilitation.kernel.router import CommandSet
from storage.models import Campaign, Goal, GoalMeasurement, GoalRecorder

commands = CommandSet()


def describe(ctx: Context) -> list[str]:
    _ = ctx._
    member_id = ctx.member.id
    measured = ctx.session.exec(
        select(func.count()).select_from(GoalMeasurement).where(GoalMeasurement.member_id == member_id)
    ).one()
    allowed = ctx.session.exec(
        select(Goal.name)
        .join(GoalRecorder, col(GoalRecorder.goal_id) == col(Goal.id))
        .where(GoalRecorder.member_id == member_id)
    ).all()
    return [
        ctx.ngettext(
            "{count} goal measurement you recorded", "{count} goal measurements you recorded", measured
        ),
        _("Goals you may measure: {goals}", goals=", ".join(allowed) or _("none")),
    ]


def erase(ctx: Context, forgetting: Forgetting) -> None:
    """Measurements go, or stay without their author; permissions to measure go with the member."""
    if not forgetting.keep_contributions:
        ctx.session.exec(  # type: ignore[call-overload]
            delete(GoalMeasurement).where(col(GoalMeasurement.member_id) == forgetting.member_id)
        )


def files(ctx: Context, forgetting: Forgetting) -> list[Path]:
    """Open data packages (folders and zips) and citizen reports of the member's campaigns."""
    hashtags = ctx.session.exec(
        select(Campaign.hashtag).where(col(Campaign.id).in_(forgetting.campaign_ids))
    ).all()
    return [
        path
        for folder in (EXPORTS_FOLDER, REPORTS_FOLDER)
        for hashtag in hashtags
        for path in (ctx.config.data_dir / folder).glob(f"{hashtag}-*")
    ]


commands.holds(
    PersonalData(tables=("goalmeasurement", "goalrecorder"), describe=describe, erase=erase, files=files)
)
