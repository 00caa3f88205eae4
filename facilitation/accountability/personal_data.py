"""What accountability holds about a member, for /me and /forget: commitments with their progress notes,
pods and peers, check-ins with their answers, and cheers."""

from __future__ import annotations

from sqlalchemy import func
from sqlmodel import col, select

from facilitation.kernel.context import Context
from facilitation.kernel.hooks import Forgetting, PersonalData
from facilitation.kernel.refs import commitment_ref
from facilitation.kernel.router import CommandSet
from facilitation.kernel.text import shorten
from storage.models import CheckIn, Cheer, Commitment, Member, Pod, PodMember

commands = CommandSet()

PREVIEW_WIDTH = 80


def describe(ctx: Context) -> list[str]:
    _ = ctx._
    session = ctx.session
    member_id = ctx.member.id
    none = _("none")
    commitments = session.exec(
        select(Commitment).where(Commitment.member_id == member_id).order_by(col(Commitment.id))
    ).all()
    lines = [
        _("Your commitments, with your words:")
        if commitments
        else _("Your commitments: {commitments}", commitments=none)
    ]
    for commitment in commitments:
        percent = _("{percent}%", percent=commitment.progress_percent)
        line = f"  {commitment_ref(commitment)} · {shorten(commitment.action, PREVIEW_WIDTH)} ({percent})"
        if commitment.progress_note:
            line += " · " + shorten(commitment.progress_note, PREVIEW_WIDTH)
        lines.append(line)
    my_pods = select(PodMember.pod_id).where(PodMember.member_id == member_id)
    peers = session.exec(
        select(PodMember.pod_id, Member.pseudonym)
        .join(Member, col(Member.id) == col(PodMember.member_id))
        .join(Pod, col(Pod.id) == col(PodMember.pod_id))
        .where(
            col(PodMember.pod_id).in_(my_pods), PodMember.member_id != member_id, col(Pod.ended_at).is_(None)
        )
    ).all()
    pods = session.exec(
        select(func.count()).select_from(PodMember).where(PodMember.member_id == member_id)
    ).one()
    checkins = session.exec(select(CheckIn).where(CheckIn.member_id == member_id)).all()
    lines += [
        ctx.ngettext("{count} pod, now or before", "{count} pods, now or before", pods),
        _("Your peers now: {peers}", peers=", ".join(sorted({name for _pod, name in peers})) or none),
        ctx.ngettext(
            "{count} check-in sent to you, {answered} answered ({notes} with your words)",
            "{count} check-ins sent to you, {answered} answered ({notes} with your words)",
            len(checkins),
            answered=sum(1 for checkin in checkins if checkin.answered_at is not None),
            notes=sum(1 for checkin in checkins if checkin.note),
        ),
        ctx.ngettext(
            "{count} cheer you gave",
            "{count} cheers you gave",
            session.exec(select(func.count()).select_from(Cheer).where(Cheer.member_id == member_id)).one(),
        ),
    ]
    return lines


def erase(ctx: Context, forgetting: Forgetting) -> None:
    """Commitments, pod places, check-ins and cheers go with the member (their rows follow the member's);
    their words are noted, so that messages quoting them to peers (a pod's introduction, a peer review)
    lose them too."""
    session = ctx.session
    commitments = session.exec(select(Commitment).where(Commitment.member_id == forgetting.member_id)).all()
    notes = session.exec(select(CheckIn.note).where(CheckIn.member_id == forgetting.member_id)).all()
    forgetting.words |= {commitment.action for commitment in commitments}
    forgetting.words |= {c.progress_note for c in commitments if c.progress_note} | {
        note for note in notes if note
    }
    forgetting.campaign_ids |= {c.campaign_id for c in commitments if c.campaign_id is not None}


commands.holds(
    PersonalData(tables=("commitment", "podmember", "checkin", "cheer"), describe=describe, erase=erase)
)
