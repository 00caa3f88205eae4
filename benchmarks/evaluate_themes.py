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

Label check: the share of theme and sub-theme labels that are phrases found word for word in their
own ideas (`theme_labels.is_phrase_of`), and how many are the opening words of the most central idea.
Timing: `find_themes` with labels on 10,000 ideas, the rows of both sets repeated with a little noise.
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

from facilitation.intelligence.clustering import ThemeMap, find_themes  # noqa: E402
from facilitation.intelligence.embeddings import Embedder  # noqa: E402
from facilitation.intelligence.theme_labels import OPENING, is_phrase_of  # noqa: E402

SEED = 0
BASELINE_SEEDS = 5
TIMED_IDEAS = 10_000


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


def theme_labels(
    vectors: np.ndarray, texts: list[str], embedder: Embedder
) -> tuple[np.ndarray, np.ndarray, float, ThemeMap]:
    """Theme and sub-theme number per row (-1: other), the seconds the grouping took, and the themes."""
    started = time.perf_counter()
    found = find_themes(vectors, texts, encode=embedder.encode)
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
    return top, fine, seconds, found


def label_check(name: str, texts: list[str], found: ThemeMap) -> str:
    """How many labels are phrases of their own ideas, and how many are opening words."""
    themes = [level for theme in found.themes for level in (theme, *theme.subthemes)]
    phrases = sum(is_phrase_of(theme.label.text, [texts[i] for i in theme.members]) for theme in themes)
    openings = sum(theme.label.method == OPENING for theme in themes)
    return (
        f"{name}: {phrases}/{len(themes)} labels are phrases of their ideas ({openings} opening words); "
        + "; ".join(theme.label.text for theme in found.themes)
    )


def timing(vectors: np.ndarray, texts: list[str], embedder: Embedder) -> str:
    """Seconds `find_themes` takes, labels included, on `TIMED_IDEAS` ideas."""
    rng = np.random.default_rng(SEED)
    rows = np.arange(TIMED_IDEAS) % len(texts)
    noisy = vectors[rows] + 0.02 * rng.standard_normal((TIMED_IDEAS, vectors.shape[1]))
    noisy /= np.linalg.norm(noisy, axis=1, keepdims=True)
    started = time.perf_counter()
    found = find_themes(noisy.astype(np.float32), [texts[i] for i in rows], encode=embedder.encode)
    seconds = time.perf_counter() - started
    subthemes = sum(len(theme.subthemes) for theme in found.themes)
    return f"{TIMED_IDEAS:,} ideas: {len(found.themes)} themes, {subthemes} sub-themes in {seconds:.1f} s"


def evaluate(
    name: str, texts: list[str], labels: list[str], embedder: Embedder, notes: list[str], encoded: list
) -> list[tuple]:
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
    encoded.append((vectors, texts))
    top, fine, seconds, found = theme_labels(vectors, texts, embedder)
    notes.append(label_check(name, texts, found))
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
    notes: list[str] = []
    encoded: list[tuple[np.ndarray, list[str]]] = []
    try:
        rows = evaluate("Polis", *polis(args.data), embedder, notes, encoded)
        rows += evaluate("Banking77", *banking(args.data, args.banking_rows), embedder, notes, encoded)
        vectors = np.vstack([matrix for matrix, _texts in encoded])
        notes.append(timing(vectors, [text for _m, texts in encoded for text in texts], embedder))
    finally:
        embedder.close()
    print()
    print(
        f"| {'data':<10} | {'method':<32} | {'groups':>6} | {'ARI':>5} | {'NMI':>5} | {'NMI over seeds':>14} |"
    )
    print(f"|{'-' * 12}|{'-' * 34}|{'-' * 8}|{'-' * 7}|{'-' * 7}|{'-' * 16}|")
    for name, method, count, ari, nmi, nmi_range in rows:
        print(f"| {name:<10} | {method:<32} | {count:>6} | {ari:5.3f} | {nmi:5.3f} | {nmi_range:>14} |")
    print()
    print("\n".join(notes))


if __name__ == "__main__":
    main()
