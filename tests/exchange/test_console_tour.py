"""The pledge tour through a real `townhall run` on the console, as the README's tour is typed."""

from __future__ import annotations

from bot.testing.harness import townhall

PLEDGE_TOUR = [
    "/campaign #parks Better parks | How can we make our parks welcoming?",
    "/join #parks",
    "/goal lamps-installed 20 lamps",
    "/idea More lamps along the path",
    "/prototype i1 Lamps on the path",
    "/team p1",
    "/budget p1 500 1000 CAD",
    "/as Bob",
    "/pledge p1 200 CAD if lamps-installed reaches 10",
    "/prototype p1",
    "/as",
    "/goal lamps-installed 10",
    "/as Bob",
    "/prototype p1",
]


def test_a_pledge_stays_conditional_until_its_goal_is_measured_then_its_pledger_is_told(
    environment, tmp_path
):
    result = townhall("run", stdin="\n".join(PLEDGE_TOUR) + "\n", env=environment, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "Traceback" not in out + result.stderr
    assert "Pledge g1 recorded: 200 CAD to p1, if lamps-installed reaches 10" in out
    before, after = out.split("you › /goal lamps-installed 10", 1)
    assert "Pledges: 200 CAD pledged: 200 conditional, 0 fulfilled" in before
    assert "40% of the minimum pledged" in before
    assert "reached 10" not in before
    assert "lamps-installed reached 10: your pledge g1 of 200 CAD to p1 now holds" in after
    assert "[2] I have given it" in after
    assert "Pledges: 200 CAD pledged: 0 conditional, 0 fulfilled" in after
