"""How long pod grouping takes and how often it repeats a pairing, over several rotations.

Run: python -m benchmarks.pods_grouping
Members get UTC offsets from a few regions and some share a theme; each rotation feeds the pairs already
met into the next, as /pods rotate does.
"""

from __future__ import annotations

import random
import time
from collections import Counter
from itertools import combinations

from facilitation.pods import Pair, Person, group_members

OFFSETS = (-8.0, -5.0, -4.0, 0.0, 1.0, 2.0, 5.5, 9.0)
ROTATIONS = 4


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


def main() -> None:
    print("members  size  rotations  seconds/rotation  repeated pairs  pairs >3h apart")
    for count in (30, 300, 1000, 3000):
        for size in (3,):
            crowd = people(count)
            offsets = {person.member_id: person.offset_hours for person in crowd}
            met: Counter[Pair] = Counter()
            started = time.perf_counter()
            for _rotation in range(ROTATIONS):
                for group in group_members(crowd, size, met):
                    met.update(frozenset(pair) for pair in combinations(group, 2))
            seconds = (time.perf_counter() - started) / ROTATIONS
            repeats = sum(times - 1 for times in met.values() if times > 1)
            far = sum(
                times for pair, times in met.items() if abs(offsets[min(pair)] - offsets[max(pair)]) > 3
            )
            print(f"{count:7}  {size:4}  {ROTATIONS:9}  {seconds:16.2f}  {repeats:14}  {far:15}")


if __name__ == "__main__":
    main()
