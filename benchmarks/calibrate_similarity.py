"""Calibrate the close-idea threshold (facilitation/similarity.py SIMILAR_THRESHOLD) on real text.

Run from the repository root: ``python benchmarks/calibrate_similarity.py [--data ../shared/data]``.

1. Banking77 (customer requests labelled with 77 intents): every pair among a random sample is
   "the same idea" when both requests share an intent. Precision and recall of "cosine >= t" at each
   candidate threshold, over all pairs, and for what the bot does: the top 3 others above t.
2. UK petition titles (no labels; the size and style of chat ideas): how often a new title would be
   shown close ideas among 20,000 earlier ones, and example pairs just above the threshold.
3. Repeats (REPEAT_THRESHOLD): petition titles that are the same after lower-casing and dropping
   punctuation, against the closest *different* titles.
"""

from __future__ import annotations

import argparse
import csv
import random
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from facilitation.intake.recording import comparable  # noqa: E402
from facilitation.intelligence.embeddings import Embedder  # noqa: E402
from facilitation.intelligence.similarity import REPEAT_THRESHOLD, SIMILAR_SHOWN, SIMILAR_THRESHOLD  # noqa: E402

THRESHOLDS = (0.45, 0.5, 0.55, 0.6, 0.62, 0.65, 0.7, 0.75, 0.8)
SAMPLE = 3000
PETITION_POOL = 20_000
PETITION_QUERIES = 1000


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as file:
        return list(csv.DictReader(file))


def banking77(embedder: Embedder, data: Path, rng: random.Random) -> None:
    rows = rng.sample(read_csv(data / "banking77.csv"), SAMPLE)
    labels = np.array([row["label"] for row in rows])
    vectors = embedder.encode([row["text"] for row in rows])
    scores = vectors @ vectors.T
    same = labels[:, None] == labels[None, :]
    upper = np.triu(np.ones_like(same, dtype=bool), k=1)
    pair_scores, pair_same = scores[upper], same[upper]
    np.fill_diagonal(scores, -np.inf)
    top = np.argsort(-scores, axis=1)[:, :SIMILAR_SHOWN]
    top_scores = np.take_along_axis(scores, top, axis=1)
    top_same = np.take_along_axis(same, top, axis=1)
    has_twin = same.sum(axis=1) > 1
    print(f"Banking77: {SAMPLE} requests, {pair_same.sum()} same-intent pairs of {len(pair_same)}")
    print("threshold  pair precision  pair recall  shown precision  queries shown a same-intent request")
    for threshold in THRESHOLDS:
        chosen = pair_scores >= threshold
        precision = pair_same[chosen].mean() if chosen.any() else float("nan")
        recall = pair_same[chosen].sum() / pair_same.sum()
        shown = top_scores >= threshold
        shown_precision = top_same[shown].mean() if shown.any() else float("nan")
        found = (shown & top_same).any(axis=1)[has_twin].mean()
        print(
            f"  {threshold:.2f}     {precision:6.3f}          {recall:6.3f}       {shown_precision:6.3f}           {found:6.3f}"
        )


def petitions(embedder: Embedder, data: Path, rng: random.Random) -> None:
    titles = list(dict.fromkeys(row["text"].strip() for row in read_csv(data / "uk_petition_titles.csv")))
    titles = [title for title in titles if title]
    rng.shuffle(titles)
    pool, queries = titles[:PETITION_POOL], titles[PETITION_POOL : PETITION_POOL + PETITION_QUERIES]
    pool_vectors = embedder.encode(pool)
    query_vectors = embedder.encode(queries)
    scores = query_vectors @ pool_vectors.T
    print(f"\nUK petitions: {len(queries)} new titles against {len(pool)} earlier ones")
    print("threshold  new titles shown >=1 close idea  mean shown (max 3)")
    for threshold in THRESHOLDS:
        above = scores >= threshold
        print(
            f"  {threshold:.2f}     {above.any(axis=1).mean():6.3f}                        {np.minimum(above.sum(axis=1), SIMILAR_SHOWN).mean():5.2f}"
        )
    best = scores.argmax(axis=1)
    best_scores = scores[np.arange(len(queries)), best]
    near = np.flatnonzero((best_scores >= SIMILAR_THRESHOLD) & (best_scores < SIMILAR_THRESHOLD + 0.05))
    print(f"\nExamples just above SIMILAR_THRESHOLD={SIMILAR_THRESHOLD}:")
    for row in near[:8]:
        print(f"  {best_scores[row]:.2f}  {queries[row]!r}  ~  {pool[best[row]]!r}")

    groups: dict[str, list[str]] = {}
    for title in titles:
        groups.setdefault(comparable(title), []).append(title)
    repeats = [
        (a, b) for group in groups.values() if len(group) > 1 for a, b in zip(group, group[1:], strict=False)
    ]
    repeats = rng.sample(repeats, min(500, len(repeats)))
    first = embedder.encode([a for a, _ in repeats])
    second = embedder.encode([b for _, b in repeats])
    repeat_scores = (first * second).sum(axis=1)
    nearest_other = best_scores[best_scores < 0.999]
    print(f"\nRepeats: {len(repeats)} title pairs equal up to case and punctuation")
    print(
        f"  cosine >= REPEAT_THRESHOLD={REPEAT_THRESHOLD}: {np.mean(repeat_scores >= REPEAT_THRESHOLD):.3f}"
    )
    print(
        "  closest different titles above it: "
        f"{np.mean(nearest_other >= REPEAT_THRESHOLD):.3f} of {len(nearest_other)} new titles"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path("../shared/data"))
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    embedder = Embedder()
    banking77(embedder, args.data, random.Random(args.seed))
    petitions(embedder, args.data, random.Random(args.seed))
    embedder.close()


if __name__ == "__main__":
    main()
