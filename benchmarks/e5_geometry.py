"""Write facilitation/intelligence/e5_geometry.npz, the directions the multilingual encoder removes.

Run from the repository root: ``python benchmarks/e5_geometry.py [--data ../shared/data]``. With
multilingual-e5-small's raw vectors (see facilitation/intelligence/multilingual.py) it stores:
- `centre`: the mean vector of `STATEMENTS` statements drawn at random (seed 0) from the accepted Polis
  statements (CC BY 4.0, The Computational Democracy Project);
- `language`: the unit direction from English to French, the mean difference between the English and
  the French texts of the project's own catalogue (facilitation/locales), placeholders left out, texts
  of three words or more.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

import numpy as np
from babel.messages.pofile import read_po

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from facilitation.intelligence.multilingual import GEOMETRY_FILE, MultilingualEncoder  # noqa: E402

STATEMENTS = 1000
CATALOGUE = Path(__file__).resolve().parent.parent / "facilitation/locales/fr/LC_MESSAGES/townhall.po"
PLACEHOLDER = re.compile(r"\{\w+\}")


def statements(data: Path) -> list[str]:
    with (data / "polis_opendata_en.jsonl").open(encoding="utf-8") as file:
        rows = [json.loads(line) for line in file]
    texts = [row["text"] for row in rows if row["moderated"] != -1 and row["text"].strip()]
    chosen = np.random.default_rng(0).choice(len(texts), min(STATEMENTS, len(texts)), replace=False)
    return [texts[i] for i in np.sort(chosen)]


def catalogue_pairs() -> list[tuple[str, str]]:
    """(English, French) messages of the catalogue, without their {placeholders}."""
    with CATALOGUE.open("rb") as file:
        catalogue = read_po(file)
    pairs = []
    for message in catalogue:
        if isinstance(message.id, str) and isinstance(message.string, str) and message.id and message.string:
            english, french = PLACEHOLDER.sub("", message.id), PLACEHOLDER.sub("", message.string)
            if len(english.split()) >= 3:
                pairs.append((english, french))
    return pairs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, default=Path("../shared/data"))
    args = parser.parse_args()
    encoder = MultilingualEncoder(geometry=None)
    centre = encoder.raw(statements(args.data)).mean(axis=0)
    pairs = catalogue_pairs()
    language = encoder.raw([french for _english, french in pairs]).mean(axis=0) - encoder.raw(
        [english for english, _french in pairs]
    ).mean(axis=0)
    language /= np.linalg.norm(language)
    np.savez(GEOMETRY_FILE, centre=centre.astype(np.float32), language=language.astype(np.float32))
    print(f"{GEOMETRY_FILE}: centre of {STATEMENTS} statements (norm {np.linalg.norm(centre):.3f}), ", end="")
    print(f"language direction of {len(pairs)} catalogue messages")


if __name__ == "__main__":
    main()
