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

Bilingual check (`--sets bilingual`), for all-MiniLM-L6-v2 and the multilingual encoder: the 20 ideas of
tests/fixtures/bilingual_pairs.csv written in English and in French (40 ideas, written for the test), grouped
together; the share of pairs placed in the same theme, and the share shown as close ideas to each other
(each among the other's `SIMILAR_SHOWN` closest at or above the model's threshold, both ways); and the time
to encode 1,000 Polis statements. No French open data is at hand (../shared/data holds English only).

Label check: the share of theme and sub-theme labels that are phrases found word for word in their
own ideas (`theme_labels.is_phrase_of`), and how many are the opening words of the most central idea.
Timing (the machine may be shared: read the ratios): `find_themes` with labels on each set, first and
again with the label phrases remembered (as at a recomputation), against one MiniLM + KMeans run told k
on the same vectors; and on 10,000 ideas, the rows of both sets repeated with a little noise, against
MiniLM + KMeans told the sets' total number of labels.
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
from facilitation.intelligence.multilingual import MULTILINGUAL_EMBEDDING_MODEL  # noqa: E402
from facilitation.intelligence.similarity import (  # noqa: E402
    MULTILINGUAL_SIMILAR_THRESHOLD,
    SIMILAR_SHOWN,
    SIMILAR_THRESHOLD,
)
from facilitation.intelligence.theme_labels import OPENING, is_phrase_of  # noqa: E402

SEED = 0
BASELINE_SEEDS = 5
BILINGUAL_PAIRS = Path(__file__).resolve().parent.parent / "tests/fixtures/bilingual_pairs.csv"
TIMED_TEXTS = 1000
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
) -> tuple[np.ndarray, np.ndarray, tuple[float, float], ThemeMap]:
    """Theme and sub-theme number per row (-1: other), the seconds the grouping took (first, then again
    with the label phrases remembered, as at a recomputation), and the themes."""
    seconds = []
    for _time in range(2):
        started = time.perf_counter()
        found = find_themes(vectors, texts, encode=embedder.encode_remembered)
        seconds.append(time.perf_counter() - started)
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
    return top, fine, (seconds[0], seconds[1]), found


def label_check(name: str, texts: list[str], found: ThemeMap, every: bool = False) -> str:
    """How many labels are phrases of their own ideas, how many are opening words, those that are not
    phrases, and the themes' labels (with `every`, all labels, each sub-theme's after its theme's)."""
    themes = [level for theme in found.themes for level in (theme, *theme.subthemes)]
    failing = [
        theme.label.text
        for theme in themes
        if not is_phrase_of(theme.label.text, [texts[i] for i in theme.members])
    ]
    openings = sum(theme.label.method == OPENING for theme in themes)
    shown = [
        theme.label.text
        + (f" ({', '.join(sub.label.text for sub in theme.subthemes)})" if every and theme.subthemes else "")
        for theme in found.themes
    ]
    return (
        f"{name}: {len(themes) - len(failing)}/{len(themes)} labels are phrases of their ideas "
        f"({openings} opening words){'; not phrases: ' + ', '.join(failing) if failing else ''}; labels: "
        + "; ".join(shown)
    )


def timing(vectors: np.ndarray, texts: list[str], embedder: Embedder, k: int) -> str:
    """Seconds `find_themes` takes, labels included, on `TIMED_IDEAS` ideas, beside MiniLM + KMeans told
    `k` (one seed, 10 restarts) on the same vectors."""
    rng = np.random.default_rng(SEED)
    rows = np.arange(TIMED_IDEAS) % len(texts)
    noisy = vectors[rows] + 0.02 * rng.standard_normal((TIMED_IDEAS, vectors.shape[1]))
    noisy = (noisy / np.linalg.norm(noisy, axis=1, keepdims=True)).astype(np.float32)
    started = time.perf_counter()
    KMeans(k, n_init=10, random_state=SEED).fit(noisy)
    baseline = time.perf_counter() - started
    started = time.perf_counter()
    found = find_themes(noisy, [texts[i] for i in rows], encode=embedder.encode_remembered)
    seconds = time.perf_counter() - started
    subthemes = sum(len(theme.subthemes) for theme in found.themes)
    return (
        f"{TIMED_IDEAS:,} ideas: {len(found.themes)} themes, {subthemes} sub-themes in {seconds:.1f} s "
        f"(label phrases remembered from the sets above); MiniLM + KMeans told k = {k}: {baseline:.1f} s; "
        f"ratio {seconds / baseline:.2f}"
    )


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
    baseline_seconds = 0.0
    for method, features in (("TF-IDF + KMeans (true k)", tfidf), ("MiniLM + KMeans (true k)", vectors)):
        runs = []
        for seed in range(BASELINE_SEEDS):
            started = time.perf_counter()
            runs.append(score(labels, KMeans(k, n_init=10, random_state=seed).fit_predict(features)))
            baseline_seconds = time.perf_counter() - started
        scores = np.array(runs)
        count, ari, nmi = scores.mean(axis=0)
        nmi_range = f"{scores[:, 2].min():.3f}-{scores[:, 2].max():.3f}"
        rows.append((name, method, round(count), ari, nmi, nmi_range))
    encoded.append((vectors, texts))
    top, fine, (first, again), found = theme_labels(vectors, texts, embedder)
    notes.append(label_check(name, texts, found))
    for method, predicted in (
        ("Townhall themes (automatic)", top),
        ("Townhall sub-themes (automatic)", fine),
    ):
        rows.append((name, method, *score(labels, predicted), ""))
    print(
        f"  themes computed in {first:.1f} s ({first / baseline_seconds:.2f} × one MiniLM + KMeans run, "
        f"{baseline_seconds:.1f} s), again with the label phrases remembered in {again:.1f} s "
        f"({again / baseline_seconds:.2f} ×)",
        flush=True,
    )
    return rows


def score(labels: list[str], predicted: np.ndarray) -> tuple[int, float, float]:
    """Number of groups, ARI and NMI of one grouping."""
    return (
        len(set(predicted.tolist())),
        adjusted_rand_score(labels, predicted),
        normalized_mutual_info_score(labels, predicted),
    )


def bilingual(data: Path, model: str, notes: list[str]) -> tuple[str, float, float, int, float]:
    """(model, share of pairs in one theme, share shown as close ideas both ways, themes, seconds per
    `TIMED_TEXTS` statements) for the bilingual fixture."""
    with BILINGUAL_PAIRS.open(encoding="utf-8", newline="") as file:
        pairs = [(row["en"], row["fr"]) for row in csv.DictReader(file)]
    count = len(pairs)
    texts = [english for english, _french in pairs] + [french for _english, french in pairs]
    embedder = Embedder(model)
    if not embedder.wait_ready():
        raise SystemExit(f"the model {model} did not load")
    try:
        vectors = embedder.encode(texts)
        timed = polis(data)[0][:TIMED_TEXTS]
        started = time.perf_counter()
        embedder.encode(timed)
        seconds = (time.perf_counter() - started) * TIMED_TEXTS / len(timed)
        top, _fine, _seconds, found = theme_labels(vectors, texts, embedder)
    finally:
        embedder.close()
    notes.append(label_check(f"Bilingual, {model}", texts, found, every=True))
    together = np.mean([top[i] >= 0 and top[i] == top[i + count] for i in range(count)])
    threshold = MULTILINGUAL_SIMILAR_THRESHOLD if model == MULTILINGUAL_EMBEDDING_MODEL else SIMILAR_THRESHOLD
    scores = vectors @ vectors.T
    np.fill_diagonal(scores, -np.inf)

    def shown(row: int, twin: int) -> bool:
        closest = np.argsort(-scores[row], kind="stable")[:SIMILAR_SHOWN]
        return twin in closest and scores[row, twin] >= threshold

    close = np.mean([shown(i, i + count) and shown(i + count, i) for i in range(count)])
    return model, float(together), float(close), len(set(top.tolist()) - {-1}), seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=Path("../shared/data"))
    parser.add_argument("--banking-rows", type=int, default=3000)
    parser.add_argument("--sets", default="polis,banking,bilingual", help="comma-separated sets to run")
    args = parser.parse_args()
    sets = set(args.sets.split(","))
    rows = []
    notes: list[str] = []
    encoded: list[tuple[np.ndarray, list[str]]] = []
    if sets & {"polis", "banking"}:
        embedder = Embedder()
        if not embedder.wait_ready():
            raise SystemExit("the embedding model did not load")
        try:
            if "polis" in sets:
                rows += evaluate("Polis", *polis(args.data), embedder, notes, encoded)
            if "banking" in sets:
                rows += evaluate(
                    "Banking77", *banking(args.data, args.banking_rows), embedder, notes, encoded
                )
            vectors = np.vstack([matrix for matrix, _texts in encoded])
            label_count = sum(count for _name, method, count, *_scores in rows if method.startswith("MiniLM"))
            notes.append(
                timing(vectors, [text for _m, texts in encoded for text in texts], embedder, label_count)
            )
        finally:
            embedder.close()
    if "bilingual" in sets:
        checks = [
            bilingual(args.data, model, notes) for model in (Embedder().setting, MULTILINGUAL_EMBEDDING_MODEL)
        ]
        print()
        print(
            f"| {'model':<24} | {'pairs in one theme':>18} | {'pairs shown close':>17} | {'themes':>6} | s / 1,000 |"
        )
        print(f"|{'-' * 26}|{'-' * 20}|{'-' * 19}|{'-' * 8}|{'-' * 11}|")
        for model, together, close, themes, seconds in checks:
            print(f"| {model:<24} | {together:>18.0%} | {close:>17.0%} | {themes:>6} | {seconds:>9.1f} |")
    if rows:
        print()
        print_table(rows)
    print()
    print("\n".join(notes))


def print_table(rows: list[tuple]) -> None:
    print(
        f"| {'data':<10} | {'method':<32} | {'groups':>6} | {'ARI':>5} | {'NMI':>5} | {'NMI over seeds':>14} |"
    )
    print(f"|{'-' * 12}|{'-' * 34}|{'-' * 8}|{'-' * 7}|{'-' * 7}|{'-' * 16}|")
    for name, method, count, ari, nmi, nmi_range in rows:
        print(f"| {name:<10} | {method:<32} | {count:>6} | {ari:5.3f} | {nmi:5.3f} | {nmi_range:>14} |")


if __name__ == "__main__":
    main()
