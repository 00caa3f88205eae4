"""What peers send each other besides check-ins: a cheer for a check-in's author (the button on a
peer-review nudge), and the kind word to peers about a member who has been quiet for a few check-ins. Both
wait for the recipient's quiet hours; paused and muted members are not disturbed."""

from __future__ import annotations

from facilitation.accountability.pods.jobs import (
    CHEER_JOB,
    QUIET_PEER_JOB,
    cheer_spec,
    pod_peers,
    quiet_peer_spec,
    streak_start,
)
from facilitation.kernel.context import Context, Effects
from facilitation.kernel.i18n import translator
from facilitation.kernel.router import CommandSet, UserError
from facilitation.membership.members import member_address
from facilitation.membership.preferences import is_paused, must_wait, postponed
from storage.db import insert_if_absent
from storage.models import CheckIn, Cheer, Member, Pod, PodMember

commands = CommandSet()


def tell_peer_kindly(effects: Effects, link: PodMember, sequence: int, peer: Member) -> None:
    """Once per streak of misses: a peer hears, after their quiet hours, that check-ins slow down for this
    member. Paused and muted peers are spared it."""
    now = effects.now()
    key = quiet_peer_spec(link, sequence, peer.id, now).job_id  # the job's id is the prompt's key
    address = member_address(effects.session, peer)
    if address is None or is_paused(peer, now):
        effects.record_prompt(key, peer.id)  # handled: nothing piles up for their return
        return
    later = postponed(peer, effects.config, now, now)
    if later is not None:
        effects.schedule(quiet_peer_spec(link, sequence, peer.id, later))
        return
    if not effects.record_prompt(key, peer.id):
        return
    member = effects.session.get_one(Member, link.member_id)
    _ = translator(peer.language)[0]
    effects.send(
        address,
        _(
            "{name} has been quiet for a few check-ins, so I will check in with them less often. Life gets busy; a kind word from you may help more than any reminder.",
            name=member.pseudonym,
        ),
        private=True,
    )


@commands.job(QUIET_PEER_JOB)
def send_quiet_peer_note(effects: Effects, payload: dict) -> None:
    """The kind word to a peer that waited for their quiet hours, unless the member answered since."""
    link = effects.session.get(PodMember, (payload["pod_id"], payload["member_id"]))
    pod = effects.session.get(Pod, payload["pod_id"])
    peer = effects.session.get(Member, payload["peer_id"])
    if link is None or pod is None or pod.ended_at is not None or peer is None:
        return
    if streak_start(link) == payload["sequence"]:
        tell_peer_kindly(effects, link, payload["sequence"], peer)


@commands.action("cheer")
def cheer_pressed(ctx: Context, payload: dict) -> None:
    """A peer cheers a check-in's author on: once per peer and check-in, after the author's quiet hours."""
    _ = ctx._
    checkin = ctx.session.get(CheckIn, payload["checkin_id"])
    pod = ctx.session.get(Pod, checkin.pod_id) if checkin is not None else None
    if (
        checkin is None
        or pod is None
        or ctx.member.id not in {peer.id for peer in pod_peers(ctx.session, pod, checkin.member_id)}
    ):
        raise UserError(_("Only the pod's peers can answer this update."))
    author = ctx.session.get_one(Member, checkin.member_id)
    now = ctx.now()
    table = Cheer.__table__  # type: ignore[attr-defined]
    if not insert_if_absent(
        ctx.session, table, checkin_id=checkin.id, member_id=ctx.member.id, created_at=now, deliver_at=now
    ):
        ctx.reply(_("You already cheered {name} on for this update.", name=author.pseudonym), private=True)
        return
    cheer = ctx.session.get_one(Cheer, (checkin.id, ctx.member.id))
    reachable = member_address(ctx.session, author) is not None and not is_paused(author, now)
    _deliver_cheer(ctx, cheer)
    if not reachable:
        answer = _(
            "Thank you! {name} is taking a break from messages, so I will not pass it on.",
            name=author.pseudonym,
        )
    elif cheer.deliver_at is not None:
        answer = _("Thank you! {name} will get it once their quiet hours are over.", name=author.pseudonym)
    else:
        answer = _("Sent: {name} will know you are behind them.", name=author.pseudonym)
    ctx.reply(answer, private=True)


def _deliver_cheer(effects: Effects, cheer: Cheer) -> None:
    """Pass a cheer on once, after its author's quiet hours; a paused or muted author is not disturbed."""
    if cheer.deliver_at is None:
        return
    now = effects.now()
    checkin = effects.session.get_one(CheckIn, cheer.checkin_id)
    author = effects.session.get_one(Member, checkin.member_id)
    address = member_address(effects.session, author)
    if address is None or is_paused(author, now):
        cheer.deliver_at = None
        return
    if must_wait(effects, author, cheer, "deliver_at", lambda: cheer_spec(cheer)):
        return
    if effects.record_prompt(f"{CHEER_JOB}:{checkin.id}:{cheer.member_id}", author.id):
        cheerer = effects.session.get_one(Member, cheer.member_id)
        their = translator(author.language)[0]
        effects.send(
            address, their("{name} read your update and cheers you on!", name=cheerer.pseudonym), private=True
        )


@commands.job(CHEER_JOB)
def send_cheer(effects: Effects, payload: dict) -> None:
    """A cheer that waited for the end of its author's quiet hours."""
    cheer = effects.session.get(Cheer, (payload["checkin_id"], payload["member_id"]))
    if cheer is not None:
        _deliver_cheer(effects, cheer)
