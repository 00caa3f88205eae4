"""Theme computation time and peak memory at 1,000, 10,000 and 50,000 ideas with embeddings stored.

Run from the repository root: ``python benchmarks/bench_themes.py [--data ../shared/data]``.

The ideas are UK petition titles (about the size of a chat idea) with their MiniLM vectors, encoded
once and cached as benchmarks/similar_ideas.py does; 50,000 ideas take the 46,000-odd distinct titles
and noisy copies of the first ones. Measured: `find_themes` (two-level grouping, labels, keywords,
representatives) on vectors already in memory, as `compute_themes` runs it once it has read them;
wall time, peak memory allocated meanwhile (tracemalloc, which numpy reports to), and the process's
peak resident size so far (vectors and model included). Goals: <= 5 s at
10,000 ideas, <= 60 s at 50,000.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from similar_ideas import cached_vectors, campaign_of, petition_titles  # noqa: E402

from facilitation.intelligence.clustering import find_themes  # noqa: E402
from facilitation.intelligence.embeddings import Embedder  # noqa: E402

SIZES = (1_000, 10_000, 50_000)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=Path("../shared/data"))
    args = parser.parse_args()
    titles = petition_titles(args.data)
    embedder = Embedder()
    try:
        vectors = cached_vectors(embedder, titles)
    finally:
        embedder.close()
    rng = np.random.default_rng(0)
    print(
        f"| {'ideas':>7} | {'themes':>6} | {'sub-themes':>10} | {'other':>6} | {'wall s':>7} | {'peak MiB':>8} "
        f"| {'max RSS MiB':>11} |"
    )
    print(f"|{'-' * 9}|{'-' * 8}|{'-' * 12}|{'-' * 8}|{'-' * 9}|{'-' * 10}|{'-' * 13}|")
    for size in SIZES:
        matrix = campaign_of(vectors, size, rng)
        texts = [titles[i % len(titles)] for i in range(size)]
        tracemalloc.start()
        started = time.perf_counter()
        found = find_themes(matrix, texts)
        seconds = time.perf_counter() - started
        _current, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        subthemes = sum(len(theme.subthemes) for theme in found.themes)
        print(
            f"| {size:>7,} | {len(found.themes):>6} | {subthemes:>10} | {found.other_count:>6} "
            f"| {seconds:>7.2f} | {peak / 2**20:>8.1f} "
            f"| {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:>11.0f} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
