"""Write facilitation/intelligence/e5_centre.npy, the common direction the multilingual encoder removes.

Run from the repository root: ``python benchmarks/e5_centre.py [--data ../shared/data]``. It embeds
`STATEMENTS` statements drawn at random (seed 0) from the accepted Polis statements (CC BY 4.0, The
Computational Democracy Project) with multilingual-e5-small and stores their mean raw vector
(see facilitation/intelligence/multilingual.py).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from facilitation.intelligence.multilingual import CENTRE_FILE, MultilingualEncoder  # noqa: E402

STATEMENTS = 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, default=Path("../shared/data"))
    args = parser.parse_args()
    with (args.data / "polis_opendata_en.jsonl").open(encoding="utf-8") as file:
        rows = [json.loads(line) for line in file]
    texts = [row["text"] for row in rows if row["moderated"] != -1 and row["text"].strip()]
    chosen = np.random.default_rng(0).choice(len(texts), min(STATEMENTS, len(texts)), replace=False)
    encoder = MultilingualEncoder(centre=np.zeros(1, dtype=np.float32))
    centre = encoder.raw([texts[i] for i in np.sort(chosen)]).mean(axis=0).astype(np.float32)
    np.save(CENTRE_FILE, centre)
    print(f"{CENTRE_FILE}: mean of {len(chosen)} statements, norm {np.linalg.norm(centre):.3f}")


if __name__ == "__main__":
    main()
