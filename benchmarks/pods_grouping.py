"""How long pod grouping takes, how often it repeats a pairing, and how well it keeps kindred people
together, over several rotations.

Run: python -m benchmarks.pods_grouping
Members get UTC offsets from a few regions and some back a theme; each rotation feeds the pairs already
met into the next, as /pods rotate does. "links kept" counts the members who find in their pod someone
backing what they back, out of those who could (such a member within the time-zone tolerance, not met
yet), in the first rotation and over the later ones.
"""

from __future__ import annotations

import random
import time
from collections import Counter
from itertools import combinations

from facilitation.accountability.pods.grouping import ZONE_TOLERANCE_HOURS, Pair, Person, group_members

OFFSETS = (-8.0, -5.0, -4.0, 0.0, 1.0, 2.0, 5.5, 9.0)
ROTATIONS = 4
COUNTS = (30, 300, 1000, 3000)


def people(count: int, seed: int = 7) -> list[Person]:
    chance = random.Random(seed)
    return [
        Person(
            member_id,
            chance.choice(OFFSETS),
            frozenset({f"theme:{chance.randrange(count // 10 + 1)}"})
            if chance.random() < 0.5
            else frozenset(),
        )
        for member_id in range(count)
    ]


def links_kept(crowd: list[Person], groups: list[list[int]], met: Counter[Pair]) -> tuple[int, int]:
    """How many members find in their pod someone who backs what they back, out of how many could: those
    with such a member within the time-zone tolerance whom they have not met yet (`met`: before this
    rotation)."""
    by_id = {person.member_id: person for person in crowd}
    kept = could = 0
    for group in groups:
        for member_id in group:
            person = by_id[member_id]
            if any(
                person.links & other.links
                and abs(person.offset_hours - other.offset_hours) <= ZONE_TOLERANCE_HOURS
                and not met[frozenset((member_id, other.member_id))]
                for other in crowd
                if other is not person
            ):
                could += 1
                kept += any(person.links & by_id[peer].links for peer in group if peer != member_id)
    return kept, could


def main() -> None:
    print(
        "members  size  rotations  seconds/rotation  repeated pairs  pairs >3h apart"
        "  links kept (1st)  links kept (later)"
    )
    for count in COUNTS:
        for size in (3,):
            crowd = people(count)
            offsets = {person.member_id: person.offset_hours for person in crowd}
            met: Counter[Pair] = Counter()
            seconds = 0.0
            kept: list[tuple[int, int]] = []
            for _rotation in range(ROTATIONS):
                started = time.perf_counter()
                groups = group_members(crowd, size, met)
                seconds += (time.perf_counter() - started) / ROTATIONS
                kept.append(links_kept(crowd, groups, met))
                for group in groups:
                    met.update(frozenset(pair) for pair in combinations(group, 2))
            repeats = sum(times - 1 for times in met.values() if times > 1)
            far = sum(
                times
                for pair, times in met.items()
                if abs(offsets[min(pair)] - offsets[max(pair)]) > ZONE_TOLERANCE_HOURS
            )
            later = [sum(counts) for counts in zip(*kept[1:], strict=True)]
            print(
                f"{count:7}  {size:4}  {ROTATIONS:9}  {seconds:16.2f}  {repeats:14}  {far:15}"
                f"  {share(*kept[0]):>16}  {share(*later):>18}"
            )


def share(part: int, whole: int) -> str:
    return f"{part}/{whole} {part / whole:.0%}" if whole else "-"


if __name__ == "__main__":
    main()
