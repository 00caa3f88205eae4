"""What each opinion group stands for, and what everyone shares, from the same vote matrix (Polis's repness).

Pure functions over a participant × idea vote matrix (agree +1, disagree −1, pass 0, unseen NaN) and
the group labels `opinion_groups` gives (-1 for someone not grouped):

- representative ideas per group: in-group agree (or disagree) proportion, smoothed as (n + 1) / (seen + 2),
  against the out-group's, with Polis's two z-tests at 90% (the group's proportion beats one half, and
  beats the out-group's); up to 5 per group, the group's best agreed idea first, agrees before disagrees;
- consensus: ideas whose smoothed agree proportion over everyone exceeds 0.5, significantly;
- group-aware consensus: the product over groups of (agree + 1) / (seen + 2), high only when every
  group agrees;
- areas of uncertainty: ideas passed on by more than 30% of those who saw them;
- routing priority: which idea to deal a voter next, ideas few have seen, that are agreed on rather
  than passed, and that pull far from the map's centre first (Polis's comment priority).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

Z_90 = 1.2816
"""One-sided critical value at 90% confidence."""
REPRESENTATIVES = 5
CONSENSUS = 5
UNCERTAIN_SHARE = 0.3
NEWNESS_BOOST = 8
"""How much more an idea nobody has seen weighs than a well-seen one, halving every `NEWNESS_HALF_LIFE` votes."""
NEWNESS_HALF_LIFE = 5


@dataclass(frozen=True)
class Counts:
    """Agree, disagree and seen counts per idea, for one set of participants."""

    agree: np.ndarray
    disagree: np.ndarray
    seen: np.ndarray

    @classmethod
    def of(cls, votes: np.ndarray) -> Counts:
        return cls(
            agree=(votes == 1).sum(axis=0),
            disagree=(votes == -1).sum(axis=0),
            seen=(~np.isnan(votes)).sum(axis=0),
        )

    def agree_share(self) -> np.ndarray:
        return (self.agree + 1) / (self.seen + 2)

    def disagree_share(self) -> np.ndarray:
        return (self.disagree + 1) / (self.seen + 2)


@dataclass(frozen=True)
class Representative:
    """An idea that sets a group apart: the column, which way the group leans, and how strongly."""

    idea: int
    direction: str  # "agree" or "disagree"
    agree_share: float
    disagree_share: float
    metric: float
    best_agree: bool = False


def proportion_test(successes: np.ndarray, seen: np.ndarray) -> np.ndarray:
    """Polis's one-proportion z-score that the smoothed share exceeds one half."""
    return 2 * np.sqrt(seen + 1) * ((successes + 1) / (seen + 1) - 0.5)


def two_proportion_test(
    in_successes: np.ndarray, out_successes: np.ndarray, in_seen: np.ndarray, out_seen: np.ndarray
) -> np.ndarray:
    """Polis's z-score that the group's smoothed share exceeds the out-group's."""
    s1, s2 = in_successes + 1, out_successes + 1
    n1, n2 = in_seen + 1, out_seen + 1
    pooled = (s1 + s2) / (n1 + n2)
    with np.errstate(divide="ignore", invalid="ignore"):
        z = (s1 / n1 - s2 / n2) / np.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    return np.where(pooled >= 1, 0.0, np.nan_to_num(z))


def group_counts(votes: np.ndarray, labels: np.ndarray) -> dict[int, Counts]:
    """Each group's counts per idea, by group id."""
    return {int(g): Counts.of(votes[labels == g]) for g in np.unique(labels) if g >= 0}


@dataclass(frozen=True)
class Repness:
    """One group's statistics per idea: smoothed shares (p), their tests (pt), ratios to the out-group
    (r) and their tests (rt), for agree (a) and disagree (d), as Polis names them."""

    inside: Counts
    pa: np.ndarray
    pd: np.ndarray
    pat: np.ndarray
    pdt: np.ndarray
    ra: np.ndarray
    rd: np.ndarray
    rat: np.ndarray
    rdt: np.ndarray

    @classmethod
    def of(cls, inside: Counts, everyone: Counts) -> Repness:
        outside = Counts(
            everyone.agree - inside.agree, everyone.disagree - inside.disagree, everyone.seen - inside.seen
        )
        pa, pd = inside.agree_share(), inside.disagree_share()
        return cls(
            inside=inside,
            pa=pa,
            pd=pd,
            pat=proportion_test(inside.agree, inside.seen),
            pdt=proportion_test(inside.disagree, inside.seen),
            ra=pa / outside.agree_share(),
            rd=pd / outside.disagree_share(),
            rat=two_proportion_test(inside.agree, outside.agree, inside.seen, outside.seen),
            rdt=two_proportion_test(inside.disagree, outside.disagree, inside.seen, outside.seen),
        )

    def representative(self, idea: int, best: bool = False) -> Representative:
        agrees = best or self.rat[idea] > self.rdt[idea]
        if agrees:
            metric = self.ra[idea] * self.rat[idea] * self.pa[idea] * self.pat[idea]
        else:
            metric = self.rd[idea] * self.rdt[idea] * self.pd[idea] * self.pdt[idea]
        return Representative(
            idea=idea,
            direction="agree" if agrees else "disagree",
            agree_share=float(self.pa[idea]),
            disagree_share=float(self.pd[idea]),
            metric=float(metric),
            best_agree=best,
        )

    def significant(self) -> np.ndarray:
        agree = (self.pat > Z_90) & (self.rat > Z_90)
        disagree = (self.pdt > Z_90) & (self.rdt > Z_90)
        return (agree | disagree) & (self.inside.seen > 0)

    def best_agreed(self) -> int | None:
        """The idea the group agrees with most distinctively (Polis's best-agree), if any qualifies."""
        voted = (self.inside.agree + self.inside.disagree) > 0
        eligible = voted & ((self.pat > Z_90) | ((self.ra > 1) & (self.pa > 0.5)))
        if not eligible.any():
            return None
        by_repness = np.where(eligible & (self.ra > 1), self.ra * self.rat * self.pa * self.pat, -np.inf)
        if np.isfinite(by_repness).any():
            return int(np.argmax(by_repness))
        return int(np.argmax(np.where(eligible, self.pa * self.pat, -np.inf)))

    def most_distinct(self) -> int:
        """When nothing is significant, the idea whose repness test is highest, so a group has one."""
        return int(np.argmax(np.where(self.inside.seen > 0, np.maximum(self.rat, self.rdt), -np.inf)))


def representative_ideas(votes: np.ndarray, labels: np.ndarray) -> dict[int, list[Representative]]:
    """Up to `REPRESENTATIVES` ideas per group that set it apart, its best agreed idea first."""
    everyone = Counts.of(votes[labels >= 0])
    result: dict[int, list[Representative]] = {}
    for group, inside in group_counts(votes, labels).items():
        stats = Repness.of(inside, everyone)
        chosen = sorted(
            (stats.representative(int(i)) for i in np.flatnonzero(stats.significant())),
            key=lambda r: -r.metric,
        )
        best = stats.best_agreed()
        if best is not None:
            chosen = [stats.representative(best, best=True)] + [r for r in chosen if r.idea != best]
        elif not chosen and inside.seen.any():
            chosen = [stats.representative(stats.most_distinct())]
        chosen = chosen[:REPRESENTATIVES]
        chosen.sort(key=lambda r: r.direction != "agree")
        result[group] = chosen
    return result


def consensus(votes: np.ndarray) -> dict[str, list[int]]:
    """Ideas everyone agrees (or disagrees) with, significantly, best first: {"agree": [...], "disagree": [...]}."""
    counts = Counts.of(votes)
    result = {}
    for direction, successes, share in (
        ("agree", counts.agree, counts.agree_share()),
        ("disagree", counts.disagree, counts.disagree_share()),
    ):
        test = proportion_test(successes, counts.seen)
        candidates = np.flatnonzero((share > 0.5) & (test > Z_90))
        ranked = sorted(candidates, key=lambda i: -share[i] * test[i])
        result[direction] = [int(i) for i in ranked[:CONSENSUS]]
    return result


def group_aware_consensus(votes: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Per idea, the product over groups of (agree + 1) / (seen + 2): high only when every group agrees."""
    shares = [counts.agree_share() for counts in group_counts(votes, labels).values()]
    return np.prod(shares, axis=0) if shares else np.zeros(votes.shape[1])


def common_ground(votes: np.ndarray, labels: np.ndarray, limit: int = 3) -> list[int]:
    """What nearly everyone agrees on: ideas most groups' majority agrees with, by group-aware consensus."""
    per_group = [counts.agree_share() for counts in group_counts(votes, labels).values()]
    if not per_group:
        return []
    every_group_agrees = np.all(np.array(per_group) > 0.5, axis=0)
    score = group_aware_consensus(votes, labels)
    ranked = sorted(np.flatnonzero(every_group_agrees), key=lambda i: -score[i])
    return [int(i) for i in ranked[:limit]]


def divisive_ideas(votes: np.ndarray, labels: np.ndarray, limit: int = 3) -> list[int]:
    """The ideas groups part most on: the widest gap between groups' agree shares, widest first."""
    per_group = np.array([counts.agree_share() for counts in group_counts(votes, labels).values()])
    if len(per_group) < 2:
        return []
    gap = per_group.max(axis=0) - per_group.min(axis=0)
    ranked = [int(i) for i in np.argsort(-gap, kind="stable") if gap[i] > 0.2]
    return ranked[:limit]


def uncertain_ideas(votes: np.ndarray) -> list[int]:
    """Areas of uncertainty: ideas passed on by more than 30% of those who saw them, most passed first."""
    counts = Counts.of(votes)
    passes = counts.seen - counts.agree - counts.disagree
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(counts.seen > 0, passes / counts.seen, 0.0)
    return [int(i) for i in np.argsort(-share, kind="stable") if share[i] > UNCERTAIN_SHARE]


def routing_priority(
    agree: np.ndarray, passes: np.ndarray, seen: np.ndarray, extremity: np.ndarray | None = None
) -> np.ndarray:
    """Per idea, how much one more vote on it helps the map, as Polis routes comments: its importance
    (smoothed agree share, times one minus the smoothed pass share, times one plus its extremity on the
    map), boosted while few have seen it, squared. `extremity` comes from the last groups computed
    (`opinion_groups.project`); an idea they did not include, or a campaign with no groups yet, has 0."""
    seen = np.asarray(seen, dtype=float)
    agreed = (np.asarray(agree, dtype=float) + 1) / (seen + 2)
    passed = (np.asarray(passes, dtype=float) + 1) / (seen + 2)
    pull = np.zeros_like(seen) if extremity is None else np.asarray(extremity, dtype=float)
    importance = (1 - passed) * (pull + 1) * agreed
    return (importance * (1 + NEWNESS_BOOST * 2 ** (-seen / NEWNESS_HALF_LIFE))) ** 2
