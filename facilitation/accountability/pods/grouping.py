"""Grouping members into pods: pure functions over plain data (no storage, no session), as cheap as a
local search finds, so that the maths can be tested and benchmarked on its own (benchmarks/pods_grouping.py).
"""

from __future__ import annotations

import math
import random
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

MIN_POD_SIZE = 2
"""Nobody is left alone: a pod that would be smaller grows another by one instead."""

# Grouping weights: a repeat pairing costs most, then time-zone distance beyond a tolerance; shared links help.
REPEAT_COST = 100.0
ZONE_TOLERANCE_HOURS = 3.0
ZONE_COST_PER_HOUR = 5.0
SHARED_LINK_BONUS = 3.0
IMPROVEMENT_PASSES = 6
RESTARTS = 8
RESTART_MAX_PEOPLE = 60
"""Scopes up to this size try `RESTARTS` seeded orders; larger ones, one (the time-zone order)."""
SWAP_WINDOW = 10
"""Swaps are tried between groups this close in the placement order, which keeps grouping near-linear."""


@dataclass(frozen=True)
class Person:
    """What grouping needs of a member: id, current UTC offset in hours, and what their commitments serve."""

    member_id: int
    offset_hours: float
    links: frozenset[str] = frozenset()


Pair = frozenset[int]


def pair_cost(a: Person, b: Person, met: Counter[Pair]) -> float:
    cost = REPEAT_COST * met[frozenset((a.member_id, b.member_id))]
    cost += ZONE_COST_PER_HOUR * max(0.0, abs(a.offset_hours - b.offset_hours) - ZONE_TOLERANCE_HOURS)
    return cost - SHARED_LINK_BONUS * len(a.links & b.links)


class _Costs:
    """Pair costs, each computed once per grouping (the search asks for the same pairs many times)."""

    def __init__(self, met: Counter[Pair]) -> None:
        self.met = met
        self.known: dict[tuple[int, int], float] = {}

    def pair(self, a: Person, b: Person) -> float:
        key = (a.member_id, b.member_id) if a.member_id < b.member_id else (b.member_id, a.member_id)
        cost = self.known.get(key)
        if cost is None:
            cost = self.known[key] = pair_cost(a, b, self.met)
        return cost

    def with_group(self, person: Person, group: Sequence[Person], without: Person | None = None) -> float:
        return sum(
            self.pair(person, other) for other in group if other is not person and other is not without
        )


def group_members(people: Sequence[Person], size: int, met: Counter[Pair]) -> list[list[int]]:
    """Split people into groups of at most `size` (and at least 2), as cheap as local search finds.

    Greedy placement in `_placement_order`, then pairwise swaps between nearby groups while they lower the
    total cost; small
    scopes also try a few seeded shuffles and keep the cheapest. Deterministic for the same input.
    """
    ordered = sorted(people, key=_placement_order)
    count = max(1, math.ceil(len(ordered) / size))
    while count > 1 and len(ordered) // count < MIN_POD_SIZE:
        count -= 1  # nobody is left alone: a pod grows by one instead
    capacities = [
        len(ordered) // count + (1 if index < len(ordered) % count else 0) for index in range(count)
    ]
    costs = _Costs(met)
    best: list[list[Person]] | None = None
    best_cost = math.inf
    for attempt in range(RESTARTS if len(ordered) <= RESTART_MAX_PEOPLE else 1):
        order = list(ordered)
        if attempt:
            random.Random(attempt).shuffle(order)
        groups = _place(order, capacities, costs)
        for _pass in range(IMPROVEMENT_PASSES):
            if not _improve(groups, costs):
                break
        cost = sum(costs.with_group(person, group) for group in groups for person in group) / 2
        if cost < best_cost - 1e-9:
            best, best_cost = groups, cost
    assert best is not None
    return [sorted(person.member_id for person in group) for group in best]


def _placement_order(person: Person) -> tuple[float, str, float, int]:
    """Time-zone bands no wider than the tolerance, kindred people next to each other in each band: the
    greedy placement then starts from pods that keep both, and swaps only need to mend the edges."""
    band = person.offset_hours // ZONE_TOLERANCE_HOURS
    return band, min(person.links, default=""), person.offset_hours, person.member_id


def _place(order: Sequence[Person], capacities: list[int], costs: _Costs) -> list[list[Person]]:
    """Each person, in turn, joins the started group where they add the least cost, or the next empty one."""
    groups: list[list[Person]] = [[] for _ in capacities]
    started: list[int] = []
    next_empty = 0
    for person in order:
        candidates = [index for index in started if len(groups[index]) < capacities[index]]
        if next_empty < len(groups):
            candidates.append(next_empty)
        chosen = min(
            candidates, key=lambda index: (costs.with_group(person, groups[index]), not groups[index])
        )
        if chosen == next_empty:
            started.append(chosen)
            next_empty += 1
        groups[chosen].append(person)
    return groups


def _improve(groups: list[list[Person]], costs: _Costs) -> bool:
    """One pass of swaps between nearby groups, each taken when it lowers the cost; True if any did."""
    improved = False
    for i, first in enumerate(groups):
        for j in range(i + 1, min(len(groups), i + 1 + SWAP_WINDOW)):
            second = groups[j]
            for a_index, a in enumerate(first):
                for b_index, b in enumerate(second):
                    delta = (
                        costs.with_group(b, first, without=a)
                        - costs.with_group(a, first)
                        + costs.with_group(a, second, without=b)
                        - costs.with_group(b, second)
                    )
                    if delta < -1e-9:
                        first[a_index], second[b_index] = b, a
                        a = b
                        improved = True
    return improved
