"""One member's vote handled twice at once (two processes, two devices) is recorded once, the later one
updating it, never lost with "something went wrong"."""

from __future__ import annotations

from sqlmodel import Session

from facilitation.planning import votes
from storage.models import IdeaVote, utcnow


async def test_a_vote_that_another_process_recorded_meanwhile_is_updated_not_lost(harness, monkeypatch):
    await harness.start_parks()
    await harness.say("/idea More lights near the gate", user="bob")
    await harness.say("/vote i1 pass", user="alice")  # alice is a member now; her vote is then cleared
    engine = harness.townhall.database.engine
    with Session(engine) as session:
        session.exec(IdeaVote.__table__.delete())  # type: ignore[attr-defined]
        session.commit()
    read_own_vote = votes.own_vote
    raced = []

    def own_vote_while_another_process_votes(session, idea, member):  # noqa: ANN001, ANN202
        found = read_own_vote(session, idea, member)
        if found is None and not raced:  # between this read and our insert, another process commits
            raced.append(True)
            with Session(engine) as other:
                other.add(IdeaVote(idea_id=idea.id, member_id=member.id, choice="agree", created_at=utcnow()))
                other.commit()
        return found

    monkeypatch.setattr(votes, "own_vote", own_vote_while_another_process_votes)
    answer = await harness.reply_text("/vote i1 disagree", user="alice")
    assert raced and "something went wrong" not in answer
    assert "Your vote on i1 is now: Disagree (it was: Agree)" in answer
    assert [vote.choice for vote in harness.rows(IdeaVote)] == ["disagree"]
