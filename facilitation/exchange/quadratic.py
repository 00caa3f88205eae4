"""Quadratic matching of a pool, as pure maths with no storage: each project's match is (Σ√cᵢ)² − Σcᵢ over
its distinct contributors' totals cᵢ, so that many small supporters weigh more than one large one; the
pool is split in proportion to the matches."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from math import sqrt


def quadratic_match(contributions: Sequence[float]) -> float:
    """(Σ√cᵢ)² − Σcᵢ: zero for a single contributor (exactly, not a rounding error), growing with how many
    share the support."""
    if len(contributions) < 2:
        return 0.0
    return sum(sqrt(c) for c in contributions) ** 2 - sum(contributions)


def split_pool(pool: float, contributions: Mapping[int, Sequence[float]]) -> dict[int, tuple[float, float]]:
    """Each project's `(match, share)`: its shares add up to `pool`, or are all zero when no project has two
    contributors."""
    matches = {project: quadratic_match(values) for project, values in contributions.items()}
    total = sum(matches.values())
    return {
        project: (match, pool * match / total if total > 0 else 0.0) for project, match in matches.items()
    }
