"""Pods: who is grouped with whom, by prototype team, theme, time zone, and new peers at each rotation."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from itertools import combinations

from bot.testing.harness import FACILITATOR, Clock, Harness
from facilitation.accountability.pods.grouping import Person, group_members
from storage.models import Idea, IdeaTheme, Identity, Pod, PodMember, Theme
from tests.accountability.test_accountability import AFTERNOON, commit_all


async def test_weekly_rotations_avoid_pairing_the_same_people_again(database_url, tmp_path):
    clock = Clock(AFTERNOON)
    users = ["alice", "bob", "carol", "dave", "erin", "frank"]
    async with Harness.running(database_url, tmp_path, clock=clock) as harness:
        await commit_all(harness, users)
        await harness.say("/pods 2", user=FACILITATOR)
        assert "Say how often" in await harness.reply_text("/pods rotate now and then", user=FACILITATOR)
        assert "will not rotate any more" in await harness.reply_text("/pods rotate off", user=FACILITATOR)
        assert "rotate every 14 days" in await harness.reply_text(
            "/pods rotate every 2 weeks", user=FACILITATOR
        )
        assert "rotate every 7 days" in await harness.reply_text("/pods rotate weekly", user=FACILITATOR)
        for _week in range(2):
            await harness.run_until(clock, clock() + timedelta(days=7))
        pods: dict[int, list[int]] = {}
        for link in harness.rows(PodMember):
            pods.setdefault(link.pod_id, []).append(link.member_id)
        rotations = {pod.rotation for pod in harness.rows(Pod)}
        assert rotations == {1, 2, 3}
        pairs = Counter(frozenset(pair) for members in pods.values() for pair in combinations(members, 2))
        assert max(pairs.values()) == 1  # three rotations of six people in pairs: nobody met twice


def pods_of_rotation(harness: Harness, rotation: int) -> list[list[str]]:
    """The pods formed in `rotation`, each as the sorted user names of its members."""
    users = {identity.member_id: identity.platform_user_id for identity in harness.rows(Identity)}
    pods = {pod.id for pod in harness.rows(Pod) if pod.rotation == rotation}
    groups: dict[int, list[str]] = {}
    for link in harness.rows(PodMember):
        if link.pod_id in pods:
            groups.setdefault(link.pod_id, []).append(users[link.member_id])
    return sorted(sorted(group) for group in groups.values())


async def test_pods_group_each_prototypes_team_and_the_next_rotation_pairs_new_people(database_url, tmp_path):
    async with Harness.running(database_url, tmp_path, clock=Clock(AFTERNOON)) as harness:
        await harness.start_parks()
        await harness.say("/idea Lights along the river path", user=FACILITATOR)
        await harness.say("/idea Garden beds by the school", user=FACILITATOR)
        await harness.say("/prototype i1 River lights pilot", user=FACILITATOR)
        await harness.say("/prototype i2 School garden", user=FACILITATOR)
        for user, prototype in (("alice", "p1"), ("bob", "p2"), ("carol", "p1"), ("dave", "p2")):
            await harness.say(f"/team {prototype}", user=user)
        await commit_all(harness, ["alice", "bob", "carol", "dave"])

        await harness.say("/pods 2", user=FACILITATOR)
        assert pods_of_rotation(harness, 1) == [["alice", "carol"], ["bob", "dave"]]
        await harness.say("/pods 2", user=FACILITATOR)
        await harness.press("Re-form the pods", user=FACILITATOR)
        assert not set(map(tuple, pods_of_rotation(harness, 2))) & {("alice", "carol"), ("bob", "dave")}


async def test_pods_group_people_who_back_ideas_of_the_same_theme(database_url, tmp_path):
    async with Harness.running(database_url, tmp_path, clock=Clock(AFTERNOON)) as harness:
        await harness.start_parks()
        for text in ("Lights on the path", "Brighter lamps at the gate", "A school garden", "Garden beds"):
            await harness.say(f"/idea {text}", user=FACILITATOR)
        for user, idea in (("alice", "i1"), ("bob", "i3"), ("carol", "i2"), ("dave", "i4")):
            await harness.say(f"/vote {idea} agree", user=user)
        with harness.townhall.database.session() as session:  # what /themes and two merges would store
            session.add_all(
                [Theme(id=1, campaign_id=1, label="Lighting"), Theme(id=2, campaign_id=1, label="Gardens")]
            )
            session.flush()
            session.add_all([IdeaTheme(idea_id=1, theme_id=1), IdeaTheme(idea_id=3, theme_id=2)])
            for merged, into in ((2, 1), (4, 3)):  # a merged idea counts in the theme of the idea it joined
                idea = session.get_one(Idea, merged)
                idea.status, idea.merged_into_id = "merged", into
        await commit_all(harness, ["alice", "bob", "carol", "dave", "erin"])
        assert "There is no theme 9" in await harness.reply_text(
            "/commit Fix a lamp by friday theme 9", user="erin"
        )
        await harness.say("/commit Water the new beds by friday theme 2", user="erin")  # backs t2 by her word
        await harness.say("/pods 2", user=FACILITATOR)
        assert pods_of_rotation(harness, 1) == [["alice", "carol"], ["bob", "dave", "erin"]]


def test_grouping_avoids_repeats_over_rotations_of_larger_scopes():
    met: Counter[frozenset[int]] = Counter()
    for _rotation in range(4):
        for group in group_members([Person(member_id, 0) for member_id in range(12)], 3, met):
            met.update(frozenset(pair) for pair in combinations(group, 2))
    assert max(met.values()) == 1


def test_grouping_keeps_time_zones_close_and_kindred_people_together():
    people = [Person(1, -5), Person(2, -5), Person(3, 1), Person(4, 1), Person(5, -4), Person(6, 2)]
    groups = group_members(people, 3, Counter())
    assert sorted(groups) == [[1, 2, 5], [3, 4, 6]]
    linked = [
        Person(1, 0, frozenset({"theme:1"})),
        Person(2, 0),
        Person(3, 0, frozenset({"theme:1"})),
        Person(4, 0),
    ]
    assert [1, 3] in group_members(linked, 2, Counter())
    assert sorted(
        len(group) for group in group_members([Person(index, 0) for index in range(7)], 3, Counter())
    ) == [2, 2, 3]
