"""The sentence encoder on each EMBEDDING_BACKEND, against torch fp32 in the same run.

Run from the repository root: ``python benchmarks/encoders.py [--data ../shared/data]``.

For each backend (torch, onnx, onnx-int8), through Townhall's own Embedder (micro-batching thread):
- texts/s on 2,000 UK petition titles, batched (one call) and one request each (every title its own
  request, as ideas arrive in chat), median of interleaved rounds, and the ratio to torch;
- the cosine between each title's vector and torch's (mean and minimum);
- close-idea matches: the share of titles whose close titles (at most `SIMILAR_SHOWN` at or above
  `SIMILAR_THRESHOLD`, as shown to a resident) are the same as with torch;
- NMI against human labels, on the Polis statements (14 conversations) and on 3,000 Banking77 rows, of the
  automatic themes and of KMeans told the true k, and its difference to torch;
- load time (first vector after start, the export already made) and resident memory, each in a fresh
  process so one backend's libraries do not count for another.

Ends with one line per backend:
``backend <name> texts/s <n> ratio <r> cosine_min <c> nmi_delta <d>`` (nmi_delta: the largest
absolute difference to torch over both sets and both methods).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from sklearn.cluster import KMeans
from sklearn.metrics import normalized_mutual_info_score

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.evaluate_themes import banking, polis, theme_labels  # noqa: E402
from benchmarks.similar_ideas import petition_titles  # noqa: E402
from facilitation.intelligence.embeddings import Embedder  # noqa: E402
from facilitation.intelligence.onnx_backend import EMBEDDING_BACKENDS, TORCH_BACKEND  # noqa: E402
from facilitation.intelligence.similarity import SIMILAR_SHOWN, SIMILAR_THRESHOLD  # noqa: E402

TITLES = 2_000
ROUNDS = 3
SEED = 0


def embedder_for(backend: str, export_folder: Path) -> Embedder:
    embedder = Embedder(backend=backend, export_folder=export_folder)
    embedder.wait_ready()
    return embedder


def speeds(embedders: dict[str, Embedder], texts: list[str]) -> dict[str, tuple[float, float]]:
    """Median texts/s batched and one request each, rounds interleaved across backends."""
    batched: dict[str, list[float]] = {name: [] for name in embedders}
    single: dict[str, list[float]] = {name: [] for name in embedders}
    for embedder in embedders.values():
        embedder.encode(texts[:256])  # warm-up
    for _ in range(ROUNDS):
        for name, embedder in embedders.items():
            started = time.perf_counter()
            embedder.encode(texts)
            batched[name].append(len(texts) / (time.perf_counter() - started))
            started = time.perf_counter()
            for future in [embedder.submit([text]) for text in texts]:
                future.result()
            single[name].append(len(texts) / (time.perf_counter() - started))
    return {name: (statistics.median(batched[name]), statistics.median(single[name])) for name in embedders}


def close_titles(vectors: np.ndarray) -> list[frozenset[int]]:
    """For each title, the others a resident would be shown as close to it."""
    similarity = vectors @ vectors.T
    np.fill_diagonal(similarity, -1)
    shown = []
    for row in similarity:
        best = np.argsort(-row)[:SIMILAR_SHOWN]
        shown.append(frozenset(int(i) for i in best if row[i] >= SIMILAR_THRESHOLD))
    return shown


def nmi_scores(
    vectors: np.ndarray, texts: list[str], labels: list[str], embedder: Embedder
) -> tuple[float, float]:
    """NMI of the automatic themes and of KMeans told the true k (mean over three seeds)."""
    top, _fine, _seconds, _found = theme_labels(vectors, texts, embedder)
    k = len(set(labels))
    kmeans = [
        normalized_mutual_info_score(labels, KMeans(k, n_init=10, random_state=seed).fit_predict(vectors))
        for seed in range(3)
    ]
    return normalized_mutual_info_score(labels, top), float(np.mean(kmeans))


def cold_start(backend: str, export_folder: Path) -> tuple[float, float]:
    """Seconds to the first vector and peak resident MiB, in a fresh process (read from VmHWM: the
    child's ru_maxrss would carry the parent's peak across exec on Linux)."""
    script = (
        "import sys, time\n"
        "from pathlib import Path\n"
        "from facilitation.intelligence.embeddings import Embedder\n"
        "started = time.perf_counter()\n"
        f"embedder = Embedder(backend={backend!r}, export_folder=Path({str(export_folder)!r}))\n"
        "embedder.encode(['More benches near the playground'] * 32)\n"
        "seconds = time.perf_counter() - started\n"
        "peak = next(line for line in open('/proc/self/status') if line.startswith('VmHWM'))\n"
        "print(seconds, int(peak.split()[1]) / 1024)\n"
    )
    root = str(Path(__file__).resolve().parent.parent)
    output = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, cwd=root
    ).stdout.split()
    return float(output[0]), float(output[1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=Path("../shared/data"))
    parser.add_argument("--banking-rows", type=int, default=3_000)
    parser.add_argument(
        "--export-folder", type=Path, help="where ONNX exports are kept (default: a temporary one)"
    )
    arguments = parser.parse_args()
    export_folder = arguments.export_folder or Path(tempfile.mkdtemp(prefix="townhall-onnx-"))

    titles = petition_titles(arguments.data)[:TITLES]
    labelled = {"Polis": polis(arguments.data), "Banking77": banking(arguments.data, arguments.banking_rows)}
    embedders = {name: embedder_for(name, export_folder) for name in EMBEDDING_BACKENDS}  # exports once here

    print(f"Encoding {len(titles)} petition titles, {ROUNDS} interleaved rounds (median)", flush=True)
    rates = speeds(embedders, titles)
    title_vectors = {name: embedder.encode(titles) for name, embedder in embedders.items()}
    reference_matches = close_titles(title_vectors[TORCH_BACKEND])
    nmi: dict[str, dict[str, tuple[float, float]]] = {}
    for set_name, (texts, labels) in labelled.items():
        for name, embedder in embedders.items():
            nmi.setdefault(name, {})[set_name] = nmi_scores(embedder.encode(texts), texts, labels, embedder)
    for embedder in embedders.values():
        embedder.close()

    header = "backend    batched/s ratio  one-each/s ratio  cos mean  cos min  same matches  load s  RSS MiB"
    print(header)
    summary = []
    base_batched, base_single = rates[TORCH_BACKEND]
    for name in EMBEDDING_BACKENDS:
        batched, single = rates[name]
        cosines = (title_vectors[name] * title_vectors[TORCH_BACKEND]).sum(axis=1)
        matches = close_titles(title_vectors[name])
        same = np.mean([a == b for a, b in zip(matches, reference_matches, strict=True)])
        load_seconds, memory = cold_start(name, export_folder)
        print(
            f"{name:10s} {batched:9.0f} {batched / base_batched:5.2f} {single:11.0f} {single / base_single:5.2f}"
            f"  {cosines.mean():8.4f} {cosines.min():8.4f} {same:12.1%} {load_seconds:7.1f} {memory:8.0f}"
        )
        summary.append((name, batched, batched / base_batched, cosines.min()))
    print("\nNMI (automatic themes / KMeans told k), difference to torch")
    deltas = {}
    for name in EMBEDDING_BACKENDS:
        parts, worst = [], 0.0
        for set_name in labelled:
            themes, kmeans = nmi[name][set_name]
            torch_themes, torch_kmeans = nmi[TORCH_BACKEND][set_name]
            worst = max(worst, abs(themes - torch_themes), abs(kmeans - torch_kmeans))
            parts.append(
                f"{set_name} {themes:.3f} ({themes - torch_themes:+.3f}) / {kmeans:.3f} ({kmeans - torch_kmeans:+.3f})"
            )
        deltas[name] = worst
        print(f"{name:10s} " + "   ".join(parts))
    print()
    for name, batched, ratio, cosine_min in summary:
        print(
            f"backend {name} texts/s {batched:.0f} ratio {ratio:.2f} cosine_min {cosine_min:.4f} "
            f"nmi_delta {deltas[name]:.3f}"
        )


if __name__ == "__main__":
    main()
