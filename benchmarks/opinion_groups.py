"""Opinion groups measured against Polis's own published groups, with red-dwarf beside them.

For each Polis conversation in ../shared/data/polis_conversations/ (CC BY 4.0, The Computational
Democracy Project): the latest vote of each voter on each statement counts, and Townhall's groups and
red-dwarf's (0.4, run in this process on the same votes, statements moderated out (-1) given as such)
are compared with the `group-id` Polis published in participants-votes.csv by the adjusted Rand index,
over the participants Polis grouped (someone a method did not group counts as a group of their own).
Moderated statements are treated as Polis treats them (votes on them count toward who is grouped, their
columns zeroed on the map), as `townhall import-polis` then `townhall groups` does: imported hidden, they
weigh as the chat weighs its hidden ideas.
Then the time and peak memory of Townhall's groups at 2,000 participants × 1,000 ideas (synthetic,
seeded). Run: python benchmarks/opinion_groups.py [--data DIR]
"""

from __future__ import annotations

import argparse
import csv
import time
import tracemalloc
from pathlib import Path

import numpy as np
from sklearn.metrics import adjusted_rand_score

from facilitation.intelligence.opinion_groups import OpinionMap, opinion_map

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "polis_conversations"


def latest_votes(folder: Path) -> list[dict]:
    """The latest vote of each voter on each statement, as red-dwarf's vote dicts."""
    latest: dict[tuple[int, int], tuple[int, int]] = {}
    with open(folder / "votes.csv", encoding="utf-8", newline="") as file:
        for row in csv.DictReader(file):
            key = (int(row["voter-id"]), int(row["comment-id"]))
            stamp = int(row["timestamp"])
            if key not in latest or stamp >= latest[key][0]:
                latest[key] = (stamp, int(row["vote"]))
    return [
        {"participant_id": p, "statement_id": s, "vote": v, "modified": t}
        for (p, s), (t, v) in latest.items()
    ]


def moderated_out(folder: Path) -> set[int]:
    with open(folder / "comments.csv", encoding="utf-8", newline="") as file:
        return {int(row["comment-id"]) for row in csv.DictReader(file) if row["moderated"] == "-1"}


def polis_groups(folder: Path) -> dict[int, int]:
    with open(folder / "participants-votes.csv", encoding="utf-8", newline="") as file:
        return {
            int(row["participant"]): int(float(row["group-id"]))
            for row in csv.DictReader(file)
            if row["group-id"] not in ("", None)
        }


def vote_matrix(votes: list[dict], left_out: set[int]) -> tuple[np.ndarray, list[int]]:
    participants = sorted({v["participant_id"] for v in votes})
    statements = sorted({v["statement_id"] for v in votes} - left_out)
    row = {p: i for i, p in enumerate(participants)}
    column = {s: j for j, s in enumerate(statements)}
    matrix = np.full((len(participants), len(statements)), np.nan)
    for vote in votes:
        if vote["statement_id"] in column:
            matrix[row[vote["participant_id"]], column[vote["statement_id"]]] = vote["vote"]
    return matrix, participants


def townhall_groups(votes: list[dict], left_out: set[int]) -> dict[int, int]:
    """Townhall's groups, with moderated statements weighed as Polis weighs them."""
    matrix, participants = vote_matrix(votes, set())
    statements = sorted({v["statement_id"] for v in votes})
    moderated = np.array([s in left_out for s in statements])
    result = opinion_map(matrix, participants, moderated=moderated if moderated.any() else None)
    assert isinstance(result, OpinionMap)
    return {p: int(g) for p, g in zip(participants, result.labels, strict=True) if g >= 0}


def red_dwarf_groups(votes: list[dict], left_out: set[int]) -> dict[int, int]:
    from reddwarf.implementations.polis import run_pipeline  # noqa: PLC0415 (test extra, benchmark only)

    result = run_pipeline(votes=votes, mod_out_statement_ids=sorted(left_out), random_state=0)
    frame = result.participants_df
    return {int(p): int(g) for p, g in frame["cluster_id"].dropna().items()}


def ari(found: dict[int, int], reference: dict[int, int]) -> float:
    people = sorted(reference)
    return adjusted_rand_score([reference[p] for p in people], [found.get(p, -1) for p in people])


def timed(function, *args):
    start = time.perf_counter()
    result = function(*args)
    return result, time.perf_counter() - start


def evaluate(folder: Path) -> str:
    votes, left_out, reference = latest_votes(folder), moderated_out(folder), polis_groups(folder)
    ours, our_time = timed(townhall_groups, votes, left_out)
    theirs, their_time = timed(red_dwarf_groups, votes, left_out)
    return (
        f"{folder.name[:32]:32} ARI townhall {ari(ours, reference):.3f} red-dwarf {ari(theirs, reference):.3f}"
        f" | groups polis {len(set(reference.values()))} townhall {len(set(ours.values()))}"
        f" red-dwarf {len(set(theirs.values()))} | time townhall {our_time:.2f} s red-dwarf {their_time:.2f} s"
    )


def synthetic(participants: int = 2000, ideas: int = 1000, seed: int = 7) -> np.ndarray:
    """Three camps voting on a sparse share of the ideas, seeded."""
    rng = np.random.default_rng(seed)
    leanings = rng.choice([-1.0, 0.0, 1.0], size=(3, ideas))
    camp = rng.integers(0, 3, participants)
    votes = np.where(rng.random((participants, ideas)) < 0.8, leanings[camp], -leanings[camp])
    votes[rng.random((participants, ideas)) < 0.1] = 0
    votes[rng.random((participants, ideas)) > 0.15] = np.nan
    return votes


def scale_line() -> str:
    votes = synthetic()
    tracemalloc.start()
    start = time.perf_counter()
    result = opinion_map(votes)
    elapsed = time.perf_counter() - start
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert isinstance(result, OpinionMap)
    return (
        f"synthetic 2,000 participants x 1,000 ideas (15% voted): {elapsed:.2f} s, "
        f"peak {peak / 2**20:.0f} MiB traced, {len(result.group_ids)} groups"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DATA)
    args = parser.parse_args()
    for folder in sorted(p for p in args.data.iterdir() if (p / "votes.csv").exists()):
        print(evaluate(folder), flush=True)
    print(scale_line())


if __name__ == "__main__":
    main()
