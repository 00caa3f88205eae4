"""How well the automatic themes recover human labels, beside two baselines computed in the same run.

Run from the repository root: ``python benchmarks/evaluate_themes.py [--data ../shared/data]``.

Data (../shared/data, see its README):
- Polis: the statements of 14 public conversations that the moderators did not reject; label = the
  conversation (a weak topic label: one conversation spans several themes).
- Banking77: `--banking-rows` rows (3,000 by default) drawn at random from the *train* split; label =
  one of 77 intents. The theme cuts were tuned on 2,000 rows of the *test* split, not on these.

Methods, all on the same rows:
- TF-IDF + KMeans told the true number of labels (English stop words, sublinear tf, 10 restarts);
- MiniLM + KMeans told the true number of labels (the same vectors as the themes, 10 restarts);
  both baselines run with `BASELINE_SEEDS` random seeds: the table shows their mean, and the range of
  NMI over the seeds (one seed alone moves MiniLM + KMeans on Polis by about 0.015);
- Townhall themes: `facilitation.intelligence.clustering.find_themes`, number chosen automatically; "other" counts as
  one more group;
- Townhall sub-themes: the same run read one level down (an idea's sub-theme where its theme has
  some, else its theme).

Prints ARI and NMI (arithmetic normalisation) for each, and the number of groups (for the baselines,
the mean over the seeds).
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import time
from pathlib import Path

import numpy as np
from sklearn.cluster import KMeans
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from facilitation.intelligence.clustering import find_themes  # noqa: E402
from facilitation.intelligence.embeddings import Embedder  # noqa: E402

SEED = 0
BASELINE_SEEDS = 5


def polis(data: Path) -> tuple[list[str], list[str]]:
    with (data / "polis_opendata_en.jsonl").open(encoding="utf-8") as file:
        rows = [json.loads(line) for line in file]
    kept = [row for row in rows if row["moderated"] != -1 and row["text"].strip()]
    return [row["text"] for row in kept], [row["label"] for row in kept]


def banking(data: Path, count: int) -> tuple[list[str], list[str]]:
    with (data / "banking77.csv").open(encoding="utf-8", newline="") as file:
        rows = [row for row in csv.DictReader(file) if row["split"] == "train"]
    chosen = np.sort(np.random.default_rng(SEED).choice(len(rows), min(count, len(rows)), replace=False))
    return [rows[i]["text"] for i in chosen], [rows[i]["label"] for i in chosen]


def theme_labels(vectors: np.ndarray, texts: list[str]) -> tuple[np.ndarray, np.ndarray, float]:
    """Theme and sub-theme number per row (-1: other), and the seconds the grouping took."""
    started = time.perf_counter()
    found = find_themes(vectors, texts)
    seconds = time.perf_counter() - started
    top = np.full(len(texts), -1)
    fine = np.full(len(texts), -1)
    next_fine = 0
    for number, theme in enumerate(found.themes):
        top[list(theme.members)] = number
        fine[list(theme.members)] = next_fine
        next_fine += 1
        for sub in theme.subthemes:
            fine[list(sub.members)] = next_fine
            next_fine += 1
    return top, fine, seconds


def evaluate(name: str, texts: list[str], labels: list[str], embedder: Embedder) -> list[tuple]:
    k = len(set(labels))
    started = time.perf_counter()
    vectors = embedder.encode(texts)
    print(
        f"{name}: {len(texts)} texts, {k} labels, encoded in {time.perf_counter() - started:.0f} s",
        flush=True,
    )
    tfidf = TfidfVectorizer(stop_words="english", sublinear_tf=True, min_df=2).fit_transform(texts)
    rows = []
    for method, features in (("TF-IDF + KMeans (true k)", tfidf), ("MiniLM + KMeans (true k)", vectors)):
        scores = np.array(
            [
                score(labels, KMeans(k, n_init=10, random_state=seed).fit_predict(features))
                for seed in range(BASELINE_SEEDS)
            ]
        )
        count, ari, nmi = scores.mean(axis=0)
        nmi_range = f"{scores[:, 2].min():.3f}-{scores[:, 2].max():.3f}"
        rows.append((name, method, round(count), ari, nmi, nmi_range))
    top, fine, seconds = theme_labels(vectors, texts)
    for method, predicted in (
        ("Townhall themes (automatic)", top),
        ("Townhall sub-themes (automatic)", fine),
    ):
        rows.append((name, method, *score(labels, predicted), ""))
    print(f"  themes computed in {seconds:.1f} s", flush=True)
    return rows


def score(labels: list[str], predicted: np.ndarray) -> tuple[int, float, float]:
    """Number of groups, ARI and NMI of one grouping."""
    return (
        len(set(predicted.tolist())),
        adjusted_rand_score(labels, predicted),
        normalized_mutual_info_score(labels, predicted),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=Path("../shared/data"))
    parser.add_argument("--banking-rows", type=int, default=3000)
    args = parser.parse_args()
    embedder = Embedder()
    if not embedder.wait_ready():
        raise SystemExit("the embedding model did not load")
    try:
        rows = evaluate("Polis", *polis(args.data), embedder)
        rows += evaluate("Banking77", *banking(args.data, args.banking_rows), embedder)
    finally:
        embedder.close()
    print()
    print(
        f"| {'data':<10} | {'method':<32} | {'groups':>6} | {'ARI':>5} | {'NMI':>5} | {'NMI over seeds':>14} |"
    )
    print(f"|{'-' * 12}|{'-' * 34}|{'-' * 8}|{'-' * 7}|{'-' * 7}|{'-' * 16}|")
    for name, method, count, ari, nmi, nmi_range in rows:
        print(f"| {name:<10} | {method:<32} | {count:>6} | {ari:5.3f} | {nmi:5.3f} | {nmi_range:>14} |")


if __name__ == "__main__":
    main()
