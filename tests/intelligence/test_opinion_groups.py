"""Opinion groups on small made-up vote matrices: what a facilitator would notice on the map."""

from __future__ import annotations

import numpy as np

from facilitation.intelligence.opinion_groups import (
    K_BUFFER,
    GroupingState,
    NotEnoughVotes,
    OpinionMap,
    grouped_participants,
    opinion_map,
)
from facilitation.intelligence.opinion_stats import (
    common_ground,
    consensus,
    divisive_ideas,
    representative_ideas,
    routing_priority,
    uncertain_ideas,
)

A, D, P, N = 1.0, -1.0, 0.0, np.nan


def two_camps(per_camp: int = 10, seed: int = 3) -> np.ndarray:
    """Ideas 0-3 split the camps (one camp agrees, the other disagrees), idea 4 everyone agrees with,
    idea 5 most pass on; a few votes are flipped or unseen so that the camps are not identical."""
    rng = np.random.default_rng(seed)
    camp_a = np.array([A, A, D, D, A, P])
    camp_b = np.array([D, D, A, A, A, P])
    rows = np.array([camp_a] * per_camp + [camp_b] * per_camp)
    for row in rows:
        flip = rng.integers(0, 4)
        if rng.random() < 0.3:
            row[flip] = -row[flip]
        if rng.random() < 0.3:
            row[5] = rng.choice([A, D])
    rows[rng.random(rows.shape) < 0.05] = N
    return rows


def test_two_clear_camps_are_found_as_two_groups():
    result = opinion_map(two_camps())
    assert isinstance(result, OpinionMap)
    assert len(result.group_ids) == 2
    first, second = set(result.labels[:10]) - {-1}, set(result.labels[10:]) - {-1}
    assert len(first) == 1 and len(second) == 1 and first != second


def test_the_same_votes_give_the_same_groups():
    votes = two_camps(per_camp=40, seed=5)
    first, second = opinion_map(votes), opinion_map(votes.copy())
    assert isinstance(first, OpinionMap) and isinstance(second, OpinionMap)
    assert np.array_equal(first.labels, second.labels)
    assert np.allclose(first.coordinates, second.coordinates)


def test_each_group_is_represented_by_what_sets_it_apart_agree_first():
    votes = two_camps()
    groups = opinion_map(votes)
    assert isinstance(groups, OpinionMap)
    representatives = representative_ideas(votes, groups.labels)
    group_a = groups.labels[0]
    ideas_a = [(r.idea, r.direction) for r in representatives[group_a]]
    assert ideas_a[0][1] == "agree" and ideas_a[0][0] in (0, 1)
    assert set(ideas_a) <= {(0, "agree"), (1, "agree"), (2, "disagree"), (3, "disagree")}
    directions = [r.direction for r in representatives[group_a]]
    assert directions == sorted(directions, key=lambda d: d != "agree")
    assert all(len(found) <= 5 for found in representatives.values())


def test_an_idea_everyone_agrees_with_is_consensus_and_common_ground():
    votes = two_camps()
    groups = opinion_map(votes)
    assert isinstance(groups, OpinionMap)
    assert consensus(votes)["agree"][0] == 4
    assert common_ground(votes, groups.labels) == [4]
    assert set(divisive_ideas(votes, groups.labels)) <= {0, 1, 2, 3}
    assert divisive_ideas(votes, groups.labels)
    assert uncertain_ideas(votes)[0] == 5


def test_too_few_voters_or_ideas_says_how_many_more_are_needed():
    assert opinion_map(np.array([[A, D], [D, A]])) == NotEnoughVotes(more_voters=2, more_ideas=0)
    assert opinion_map(np.array([[A, N]] * 6)) == NotEnoughVotes(more_voters=0, more_ideas=1)


def test_who_is_grouped_follows_polis():
    votes = np.full((30, 10), N)
    votes[:20, :7] = A  # twenty voted on seven ideas: grouped
    votes[20:, :2] = D  # ten voted on two: not grouped, since 20 are already
    assert grouped_participants(votes).tolist() == [True] * 20 + [False] * 10
    few = votes[17:]  # three qualify: the most active voters are added up to fifteen
    assert grouped_participants(few).sum() == 13
    assert grouped_participants(votes, already=np.array([False] * 29 + [True]))[29]


def test_group_ids_follow_their_members_and_k_waits_for_several_wins():
    votes = two_camps(per_camp=12)
    names = [f"p{i}" for i in range(len(votes))]
    first = opinion_map(votes, names)
    assert isinstance(first, OpinionMap)
    # The same people in another order keep their group ids.
    order = np.random.default_rng(1).permutation(len(votes))
    again = opinion_map(votes[order], [names[i] for i in order], previous=first.state)
    assert isinstance(again, OpinionMap)
    before = dict(zip(names, first.labels, strict=True))
    assert all(before[names[i]] == g for i, g in zip(order, again.labels, strict=True))
    # A state that had settled on three groups keeps them until two wins K_BUFFER times in a row.
    state = GroupingState(smoothed_k=3, last_k=3, last_k_count=9)
    for _ in range(K_BUFFER - 1):
        result = opinion_map(votes, names, previous=state)
        assert isinstance(result, OpinionMap)
        state = result.state
        assert len(result.group_ids) == 3
    result = opinion_map(votes, names, previous=state)
    assert isinstance(result, OpinionMap) and len(result.group_ids) == 2


def test_the_order_participants_come_in_changes_no_group():
    rng = np.random.default_rng(11)
    leanings = rng.choice([A, D], size=(2, 40))
    camp = rng.integers(0, 2, 300)
    votes = np.where(rng.random((300, 40)) < 0.75, leanings[camp], -leanings[camp])
    votes[rng.random(votes.shape) < 0.6] = N  # sparse: well over 100 distinct positions
    order = rng.permutation(300)
    first, shuffled = opinion_map(votes), opinion_map(votes[order])
    assert isinstance(first, OpinionMap) and isinstance(shuffled, OpinionMap)
    together = {}
    for row, label in zip(order, shuffled.labels, strict=True):
        together.setdefault(int(first.labels[row]), set()).add(int(label))
    assert all(len(labels) == 1 for labels in together.values())


def test_routing_deals_unseen_ideas_before_passed_on_ones_and_fades_the_newness():
    # idea 0 nobody has seen; idea 1 ten passed on; idea 2 ten agreed with; idea 3 forty agreed with
    priority = routing_priority(np.array([0, 0, 10, 40]), np.array([0, 10, 0, 0]), np.array([0, 10, 10, 40]))
    assert priority[0] > priority[1]
    assert priority[2] > priority[0]  # agreed on: it shows where people stand
    assert priority[2] > priority[3]  # as seen, but seen by fewer: it needs the votes more
    assert np.isclose(priority[0], (0.25 * 9) ** 2)  # (1 - 1/2) * 1/2, boosted ninefold, squared


def test_an_idea_that_splits_the_camps_pulls_further_from_the_centre_and_is_dealt_first():
    result = opinion_map(two_camps())
    assert isinstance(result, OpinionMap)
    # ideas 0-3 split the camps, everyone agrees with idea 4: Polis's comment extremity
    assert min(result.extremity[:4]) > 2 * result.extremity[4]
    agree, passes, seen = np.array([5, 10]), np.array([0, 0]), np.array([10, 10])
    flat = routing_priority(agree, passes, seen)
    weighed = routing_priority(agree, passes, seen, np.array([result.extremity[0], result.extremity[4]]))
    assert flat[1] > flat[0] and weighed[0] > weighed[1]  # the splitting idea, half agreed, now comes first


def test_votes_on_moderated_ideas_still_count_toward_who_is_grouped_as_in_polis():
    votes = two_camps()
    votes[:, :] = np.where(np.isnan(votes), N, votes)
    sparse = np.full((1, 6), N)
    sparse[0, 4:] = A  # two votes on ideas in sight, five more on moderated ones
    with_moderated = np.hstack([np.vstack([votes, sparse]), np.full((21, 5), N)])
    with_moderated[20, 6:] = A
    moderated = np.array([False] * 6 + [True] * 5)
    result = opinion_map(with_moderated, moderated=moderated)
    assert isinstance(result, OpinionMap)
    assert result.labels[20] >= 0  # seven votes in all: grouped, as Polis groups them
    assert np.allclose(result.extremity[6:], 0)  # moderated ideas weigh nothing on the map
