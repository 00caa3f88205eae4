"""A campaign's opinion groups: computed in the background from its stored votes, stored, and read back.

The `opinion-groups` job (asked for by votes, see `regrouping`) reads the campaign's vote matrix on the
core's worker and hands the computation to a thread of its own (`Effects.defer`); its ending stores the
groups, the map and each idea's extremity with the algorithm, its seed and the time (`OpinionGroupState`).
/groups, /mygroup, /vote and open data read that with `stored_groups` and never compute; they learn
there whether votes came since (`stale`). The reconciler re-schedules the job of a campaign whose votes
are newer than its stored groups (a job lost in a crash, votes imported by `townhall import-polis`).

Ideas out of sight are treated as Polis treats statements moderated out: votes on them count toward who
is grouped, and weigh nothing on the map; they appear in no digest.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
from sqlalchemy import func
from sqlmodel import Session, col, select

from facilitation.intelligence.opinion_groups import (
    ALGORITHM_VERSION,
    SEED,
    GroupingState,
    NotEnoughVotes,
    OpinionMap,
    enough_votes,
    opinion_map,
)
from facilitation.kernel.context import Effects
from facilitation.kernel.router import CommandSet
from facilitation.kernel.scheduling import JobSpec
from facilitation.planning.regrouping import GROUPS_JOB, groups_job, request_groups
from facilitation.planning.votes import vote_matrix
from storage.models import Campaign, Idea, IdeaVote, OpinionGroupState, utcnow

log = logging.getLogger(__name__)

commands = CommandSet()


def votes_key(member_ids: list[int], idea_ids: list[int], votes: np.ndarray, moderated: np.ndarray) -> str:
    """A short name for exactly these votes: the same key means nothing changed since last time."""
    digest = hashlib.sha256()
    digest.update(np.asarray(member_ids, dtype=np.int64).tobytes())
    digest.update(np.asarray(idea_ids, dtype=np.int64).tobytes())
    digest.update(np.nan_to_num(votes, nan=9.0).astype(np.int8).tobytes())
    digest.update(np.asarray(moderated, dtype=bool).tobytes())
    return digest.hexdigest()


@dataclass(frozen=True)
class MapInputs:
    """What a computation of a campaign's groups reads: every idea with votes, those out of sight marked
    `moderated`, and the state the last computation returned."""

    campaign_id: int
    member_ids: list[int]
    idea_ids: list[int]
    votes: np.ndarray
    moderated: np.ndarray
    key: str
    votes_at: datetime | None
    read_at: datetime
    state: dict[str, Any]

    def compute(self) -> OpinionMap | NotEnoughVotes:
        """The groups (no database: safe on a thread of its own)."""
        moderated = self.moderated if self.moderated.any() else None
        return opinion_map(self.votes, self.member_ids, GroupingState.from_json(self.state), moderated)


def map_inputs(session: Session, campaign_id: int, now: datetime) -> MapInputs:
    member_ids, idea_ids, votes = vote_matrix(session, campaign_id, out_of_sight=True)
    in_sight = set(session.exec(select(Idea.id).where(col(Idea.id).in_(idea_ids), Idea.shown())))
    moderated = np.array([idea_id not in in_sight for idea_id in idea_ids], dtype=bool)
    votes_at = session.exec(
        select(func.max(IdeaVote.updated_at))
        .join(Idea, col(Idea.id) == col(IdeaVote.idea_id))
        .where(Idea.campaign_id == campaign_id)
    ).one()
    stored = session.get(OpinionGroupState, campaign_id)
    state = stored.state if stored is not None and stored.algorithm == ALGORITHM_VERSION else {}
    key = votes_key(member_ids, idea_ids, votes, moderated)
    return MapInputs(campaign_id, member_ids, idea_ids, votes, moderated, key, votes_at, now, state)


def unchanged(stored: OpinionGroupState | None, inputs: MapInputs) -> bool:
    return (
        stored is not None
        and stored.computed_at is not None
        and stored.algorithm == ALGORITHM_VERSION
        and stored.votes_key == inputs.key
    )


def store_groups(session: Session, inputs: MapInputs, found: OpinionMap | NotEnoughVotes) -> None:
    """Keep what a computation found, as of the moment its votes were read."""
    stored = session.get(OpinionGroupState, inputs.campaign_id)
    if stored is None:
        stored = OpinionGroupState(campaign_id=inputs.campaign_id, algorithm=ALGORITHM_VERSION, seed=SEED)
    stored.algorithm, stored.seed, stored.votes_key = ALGORITHM_VERSION, SEED, inputs.key
    stored.votes_at, stored.computed_at = inputs.votes_at, inputs.read_at
    if isinstance(found, OpinionMap):
        stored.state = found.state.as_json()
        stored.labels = {
            str(m): int(g) for m, g in zip(inputs.member_ids, found.labels, strict=True) if g >= 0
        }
        stored.coordinates = {
            str(m): [round(float(x), 6), round(float(y), 6)]
            for m, (x, y) in zip(inputs.member_ids, found.coordinates, strict=True)
        }
        stored.extremity = {
            str(i): round(float(e), 6)
            for i, e, out in zip(inputs.idea_ids, found.extremity, inputs.moderated, strict=True)
            if not out
        }
    else:
        stored.labels, stored.coordinates, stored.extremity = {}, {}, {}
    session.add(stored)


def refresh_groups(session: Session, campaign_id: int, now: datetime) -> None:
    """Compute and store the campaign's groups here and now, unless its votes are those of the stored
    ones (`townhall groups` after an import; the chat never computes on an update's path)."""
    inputs = map_inputs(session, campaign_id, now)
    stored = session.get(OpinionGroupState, campaign_id)
    if unchanged(stored, inputs):
        assert stored is not None
        stored.votes_at, stored.computed_at = inputs.votes_at, now
        return
    store_groups(session, inputs, inputs.compute())


@commands.job(GROUPS_JOB)
def recompute_groups(effects: Effects, payload: dict) -> None:
    """Read the votes now, group them off the core's worker, store what was found."""
    campaign_id = payload["campaign_id"]
    if effects.session.get(Campaign, campaign_id) is None:
        return
    inputs = map_inputs(effects.session, campaign_id, effects.now())
    stored = effects.session.get(OpinionGroupState, campaign_id)
    if unchanged(stored, inputs):
        assert stored is not None
        stored.votes_at, stored.computed_at = inputs.votes_at, inputs.read_at
        return

    def finish(later: Effects, found: OpinionMap | NotEnoughVotes) -> None:
        if later.session.get(Campaign, campaign_id) is not None:
            store_groups(later.session, inputs, found)

    def failed(_later: Effects) -> None:
        log.error("opinion groups not computed campaign=%s: the reconciler will try again", campaign_id)

    effects.defer(inputs.compute, finish, failed)


@commands.reconciler
def groups_behind_votes(session: Session, now: datetime) -> Iterable[JobSpec]:
    """A recomputation for each campaign whose latest vote is newer than its stored groups."""
    latest = session.exec(
        select(Idea.campaign_id, func.max(IdeaVote.updated_at))
        .join(Idea, col(Idea.id) == col(IdeaVote.idea_id))
        .group_by(col(Idea.campaign_id))
    ).all()
    stored = {row.campaign_id: row for row in session.exec(select(OpinionGroupState))}
    for campaign_id, voted_at in latest:
        groups = stored.get(campaign_id)
        if groups is None or groups.votes_at is None or voted_at > groups.votes_at:
            yield groups_job(campaign_id, now)


@dataclass(frozen=True)
class CampaignGroups:
    """A campaign's matrix (members × ideas in sight, as now) and its groups as last stored.

    `found` is None while the first computation is still to come; `stale` says votes changed since the
    stored groups were computed (they are being updated)."""

    campaign: Campaign
    member_ids: list[int]
    ideas: list[Idea]
    votes: np.ndarray
    found: OpinionMap | NotEnoughVotes | None
    stale: bool

    def group_of(self) -> dict[int, int]:
        """Member id → group id, for the grouped members."""
        if not isinstance(self.found, OpinionMap):
            return {}
        return {m: int(g) for m, g in zip(self.member_ids, self.found.labels, strict=True) if g >= 0}


def stored_groups(session: Session, campaign: Campaign) -> CampaignGroups:
    """The campaign's stored groups over its current votes on ideas in sight; nothing is computed."""
    assert campaign.id is not None
    inputs = map_inputs(session, campaign.id, utcnow())  # read, not stored: any clock does
    in_sight = ~inputs.moderated
    votes = inputs.votes[:, in_sight]
    voters = ~np.isnan(votes).all(axis=1)
    votes = votes[voters]
    member_ids = [m for m, voted in zip(inputs.member_ids, voters, strict=True) if voted]
    idea_ids = [i for i, shown in zip(inputs.idea_ids, in_sight, strict=True) if shown]
    by_id = {idea.id: idea for idea in session.exec(select(Idea).where(col(Idea.id).in_(idea_ids)))}
    stored = session.get(OpinionGroupState, campaign.id)
    found: OpinionMap | NotEnoughVotes | None = enough_votes(votes)
    if found is None and stored is not None and stored.computed_at is not None and stored.labels:
        found = OpinionMap(
            coordinates=np.array(
                [stored.coordinates.get(str(m), [np.nan, np.nan]) for m in member_ids], dtype=float
            ).reshape(-1, 2),
            labels=np.array([stored.labels.get(str(m), -1) for m in member_ids], dtype=int),
            state=GroupingState.from_json(stored.state),
            extremity=np.array([stored.extremity.get(str(i), 0.0) for i in idea_ids], dtype=float),
        )
    stale = not unchanged(stored, inputs)
    return CampaignGroups(campaign, member_ids, [by_id[i] for i in idea_ids], votes, found, stale)


def forget_member(session: Session, member_id: int, now: datetime) -> list[JobSpec]:
    """A member being forgotten leaves the stored groups at once (their group, their place on the map),
    and each campaign they were in is recomputed without their votes: the jobs to schedule."""
    key = str(member_id)
    jobs = []
    for stored in session.exec(select(OpinionGroupState)).all():
        if key not in stored.coordinates and key not in stored.labels:
            continue
        stored.labels = {m: g for m, g in stored.labels.items() if m != key}
        stored.coordinates = {m: xy for m, xy in stored.coordinates.items() if m != key}
        state = dict(stored.state)
        state["grouped"] = [m for m in state.get("grouped", []) if m != member_id]
        state["members"] = {
            g: [m for m in ms if m != member_id] for g, ms in state.get("members", {}).items()
        }
        stored.state = state
        session.add(stored)
        jobs.append(request_groups(session, stored.campaign_id, now))
    return jobs
