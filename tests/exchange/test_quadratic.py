"""The quadratic matching formula on its own."""

from __future__ import annotations

import pytest

from facilitation.exchange.quadratic import quadratic_match, split_pool


def test_many_small_pledgers_are_matched_more_than_one_large_one():
    assert quadratic_match([100]) == 0
    assert quadratic_match([25, 25, 25, 25]) == pytest.approx(300)  # (4 × 5)² − 100
    shares = split_pool(1000, {1: [100], 2: [25, 25, 25, 25], 3: [9, 16]})
    assert shares[1] == (0, 0)
    assert shares[2][1] == pytest.approx(1000 * 300 / (300 + 24))
    assert shares[3][0] == pytest.approx(24)  # (3 + 4)² − 25
    assert sum(share for _match, share in shares.values()) == pytest.approx(1000)


def test_a_pool_with_no_shared_support_gives_nothing():
    assert split_pool(500, {1: [40], 2: []}) == {1: (0, 0.0), 2: (0, 0.0)}
