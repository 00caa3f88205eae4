"""The pledge tour through a real `townhall run` on the console, as the README's tour is typed."""

from __future__ import annotations

import re
import subprocess
import threading
import time

import pytest

from bot.testing.harness import running_townhall, townhall
from tests.exchange.test_offers_and_needs import LADDER_NEED, LADDER_OFFER

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


class Console:
    """`townhall run` typed into line by line, as a person does: each line waits for what it expects."""

    def __init__(self, process: subprocess.Popen[str]) -> None:
        self.process = process
        self.lines: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.append(line)

    def type(self, line: str, expect: str, timeout: float = 120) -> str:
        """Type `line`, then wait until the output shows `expect`; the output since the line was typed."""
        start = len(self.lines)
        assert self.process.stdin is not None
        self.process.stdin.write(line + "\n")
        self.process.stdin.flush()
        deadline = time.monotonic() + timeout
        while expect not in (since := "".join(self.lines[start:])):
            assert time.monotonic() < deadline and self.process.poll() is None, since
            time.sleep(0.05)
        return since

    def button(self, since: str, label: str) -> str:
        """The number to /press for the button labelled `label` in `since`."""
        [number] = re.findall(rf"\[(\d+)\] {re.escape(label)}\n", since)
        return number


@pytest.mark.embeddings
def test_the_ladder_tour_typed_in_the_console(environment, tmp_path):
    """The first Done-when as typed: a need, then an offer shown that need with Connect (at once, or as a
    follow-up if the model was still loading); both accept; each gets the other's contact; /given
    confirmed by both appears in /report."""
    environment.pop("EMBEDDING_MODEL")
    process = running_townhall(
        "run", env=environment, cwd=tmp_path, stdin=subprocess.PIPE, stdout=subprocess.PIPE
    )
    try:
        console = Console(process)
        console.type("/campaign #parks Better parks | How can we make our parks welcoming?", "created")
        console.type("/as Bob", "Bob")
        console.type("/join #parks", "Welcome")
        console.type(f"/need {LADDER_NEED}", "Need n1 recorded")
        console.type("/as Alice", "Alice")
        console.type("/join #parks", "Welcome")
        offered = console.type(f"/offer {LADDER_OFFER}", "Connect with n1")
        assert LADDER_NEED in offered
        console.type(f"/press {console.button(offered, 'Connect with n1')}", "I asked the author of n1")
        asked = "".join(console.lines)
        console.type("/as Bob", "Bob")
        accepted = console.type(f"/press {console.button(asked, 'Accept')}", "Reach them at", timeout=30)
        accepted += console.type("/as Alice", "Alice")
        assert "@alice on console" in accepted and "@bob on console" in accepted, accepted
        recorded = console.type("/given m1 2h", "Confirm it so it counts")
        console.type("/as Bob", "Bob")
        console.type(f"/press {console.button(recorded, 'Confirm')}", "counts in the campaign's giving")
        report = console.type("/report #parks", "never ranks anyone")
        assert "Collective giving: 2 hours given, 0 things given; 1 need met." in report, report
        console.type("/quit", "")
        assert process.wait(timeout=60) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert "Traceback" not in "".join(console.lines) + (process.stderr.read() if process.stderr else "")
