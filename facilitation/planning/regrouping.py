"""When a campaign's opinion groups are recomputed: in the background, some seconds after votes.

A vote asks for new groups (`request_groups`): the campaign's `opinion-groups:<id>` job is put
`RECOMPUTE_DELAY` after it, so a burst of votes moves one job along and is grouped once, but never later
than `RECOMPUTE_MAX_WAIT` after the first vote the stored groups lack, so a steady stream of votes still
updates them. The request is stored (`OpinionGroupState.requested_at`) in the vote's transaction: a job
lost in a crash is found again by the reconciler in `group_store`, which computes and stores the groups.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel import Session

from facilitation.intelligence.opinion_groups import ALGORITHM_VERSION, SEED
from facilitation.kernel.scheduling import JobSpec
from storage.db import insert_if_absent
from storage.models import OpinionGroupState

GROUPS_JOB = "opinion-groups"
RECOMPUTE_DELAY = timedelta(seconds=10)
"""Groups are recomputed this long after the last vote of a burst."""
RECOMPUTE_MAX_WAIT = timedelta(minutes=1)
"""...and at the latest this long after the first vote they lack."""


def groups_job(campaign_id: int, run_at: datetime) -> JobSpec:
    return JobSpec(f"{GROUPS_JOB}:{campaign_id}", GROUPS_JOB, run_at, {"campaign_id": campaign_id})


def waiting(stored: OpinionGroupState) -> bool:
    """A vote asked for groups newer than the stored ones, and no recomputation has run since."""
    return stored.requested_at is not None and (
        stored.computed_at is None or stored.requested_at > stored.computed_at
    )


def request_groups(session: Session, campaign_id: int, now: datetime) -> JobSpec:
    """Note that the campaign's votes changed; the job that will recompute its groups (to schedule)."""
    stored = session.get(OpinionGroupState, campaign_id)
    if stored is None:
        table = OpinionGroupState.__table__  # type: ignore[attr-defined]
        insert_if_absent(
            session,
            table,
            campaign_id=campaign_id,
            algorithm=ALGORITHM_VERSION,
            seed=SEED,
            votes_key="",
            state={},
            labels={},
            coordinates={},
            extremity={},
            requested_at=now,
        )
        stored = session.get(OpinionGroupState, campaign_id)
    if stored is not None and not waiting(stored):
        stored.requested_at = now
    first = stored.requested_at if stored is not None and stored.requested_at is not None else now
    return groups_job(campaign_id, min(now + RECOMPUTE_DELAY, max(now, first + RECOMPUTE_MAX_WAIT)))
