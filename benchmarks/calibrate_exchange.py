"""Calibrate the offer-need threshold (facilitation/exchange/matching.py MATCH_THRESHOLD).

Run from the repository root: ``python benchmarks/calibrate_exchange.py``.

Twelve offers and twelve needs, written as residents write them, each offer answering the need of the
same rank and none of the others. For each candidate threshold: the share of true pairs shown (recall)
and how many of the 132 unrelated pairs would be shown too.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from facilitation.exchange.matching import MATCH_THRESHOLD  # noqa: E402
from facilitation.intelligence.embeddings import Embedder  # noqa: E402

THRESHOLDS = (0.25, 0.30, 0.35, 0.40, 0.45)

PAIRS = (
    ("I can lend a ladder and two hours on Saturdays", "We need someone with a ladder to hang the lamps"),
    ("I can teach kids to paint on weekends", "Someone to run a painting workshop for children"),
    ("I have a van and can drive on Sundays", "We need a vehicle to carry the benches to the park"),
    ("I can cook soup for forty people", "Food for the neighbourhood picnic"),
    (
        "I am an electrician and can check the wiring",
        "Someone to check the electrical installation of the kiosk",
    ),
    ("I can lend my garden tools: rakes, shovels, a wheelbarrow", "Tools to clear the community garden"),
    ("I have a meeting room for twenty people on Tuesday evenings", "A room for our monthly meeting"),
    ("I can translate flyers into Spanish", "Help translating our invitation into other languages"),
    ("I can fix bicycles", "Someone to repair the shared bikes"),
    ("I can take photos at the event", "A photographer for the opening day"),
    ("I know how to build raised garden beds", "Help building planters for the vegetable garden"),
    ("I can lend folding tables and chairs", "Tables for the street party"),
)


def main() -> None:
    embedder = Embedder()
    embedder.wait_ready()
    offers = embedder.encode([offer for offer, _need in PAIRS])
    needs = embedder.encode([need for _offer, need in PAIRS])
    scores = offers @ needs.T
    true = np.diag(scores)
    false = scores[~np.eye(len(PAIRS), dtype=bool)]
    print(f"true pairs: {np.round(np.sort(true), 2)}")
    print(f"closest unrelated pairs: {np.round(np.sort(false)[-6:], 2)}")
    for threshold in THRESHOLDS:
        mark = "  <- MATCH_THRESHOLD" if abs(threshold - MATCH_THRESHOLD) < 1e-9 else ""
        print(
            f"{threshold:.2f}: recall {(true >= threshold).mean():.2f}, "
            f"unrelated shown {(false >= threshold).sum()} of {false.size}{mark}"
        )
    embedder.close()


if __name__ == "__main__":
    main()
