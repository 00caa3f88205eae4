"""What every part of accountability reads about a commitment: its states, its short id, its one-line
summary, and a member's open ones (the commands, the prompts, the pods and /report use them)."""

from __future__ import annotations

from sqlmodel import Session, col, select

from facilitation.kernel.i18n import translator
from facilitation.kernel.refs import commitment_ref
from facilitation.kernel.text import shorten
from facilitation.membership.preferences import show_day
from storage.models import Commitment

OPEN = "open"
DONE = "done"
ACTION_PREVIEW_WIDTH = 80


def describe(language: str, commitment: Commitment, to_owner: bool = True) -> str:
    """One line: `c3 · Clear Rue Clark — by Friday 4 December · 50% · crew found`.

    A private commitment reads so to its owner; to anyone else (their pod) it is `a private commitment`,
    with its day and progress but neither its action nor its notes."""
    _ = translator(language)[0]
    hidden = commitment.private and not to_owner
    line = _(
        "{ref} · {action} — by {day}",
        ref=commitment_ref(commitment),
        action=_("a private commitment") if hidden else shorten(commitment.action, ACTION_PREVIEW_WIDTH),
        day=show_day(language, commitment.due_on),
    )
    if commitment.private and to_owner:
        line += " · " + _("private")
    if commitment.status == DONE:
        return line + " · " + _("done")
    line += " · " + _("{percent}%", percent=commitment.progress_percent)
    if commitment.progress_note and not hidden:
        line += " · " + shorten(commitment.progress_note, ACTION_PREVIEW_WIDTH)
    return line


def all_commitments_closed(session: Session, member_id: int | None) -> bool:
    """True when the member made commitments and none is still open: a check-in would list nothing. A
    member who never committed is still asked (the check-in invites them to)."""
    statuses = session.exec(select(Commitment.status).where(Commitment.member_id == member_id)).all()
    return bool(statuses) and OPEN not in statuses


def open_commitments(session: Session, member_id: int | None) -> list[Commitment]:
    return list(
        session.exec(
            select(Commitment)
            .where(Commitment.member_id == member_id, Commitment.status == OPEN)
            .order_by(col(Commitment.due_on), col(Commitment.id))
        )
    )
