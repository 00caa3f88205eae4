"""What planning holds about a member, for /me and /forget: votes, rounds opened, prototype teams,
versions published, and feedback."""

from __future__ import annotations

from sqlalchemy import delete, func, update
from sqlmodel import col, select

from facilitation.kernel.context import Context
from facilitation.kernel.forgetting import REDACTED
from facilitation.kernel.hooks import Forgetting, PersonalData
from facilitation.kernel.refs import PROTOTYPE, ref
from facilitation.kernel.router import CommandSet
from facilitation.planning.group_store import forget_member
from storage.models import Feedback, IdeaVote, Prototype, PrototypeMember, PrototypeVersion, Round

commands = CommandSet()


def describe(ctx: Context) -> list[str]:
    _ = ctx._
    member_id = ctx.member.id
    session = ctx.session
    teams = session.exec(
        select(PrototypeMember.prototype_id).where(PrototypeMember.member_id == member_id)
    ).all()
    versions = session.exec(
        select(PrototypeVersion.prototype_id, PrototypeVersion.number)
        .where(PrototypeVersion.author_member_id == member_id)
        .order_by(col(PrototypeVersion.id))
    ).all()
    feedback = session.exec(select(Feedback).where(Feedback.member_id == member_id)).all()
    none = _("none")
    return [
        ctx.ngettext(
            "{count} vote on ideas", "{count} votes on ideas", _count(ctx, IdeaVote, IdeaVote.member_id)
        ),
        _(
            "Prototype teams: {teams}",
            teams=", ".join(ref(PROTOTYPE, prototype) for prototype in teams) or none,
        ),
        _(
            "Prototype versions you published, with what changed: {versions}",
            versions=", ".join(f"{ref(PROTOTYPE, prototype)} v{number}" for prototype, number in versions)
            or none,
        ),
        ctx.ngettext(
            "{count} rating of prototypes ({texts} with your words)",
            "{count} ratings of prototypes ({texts} with your words)",
            len(feedback),
            texts=sum(1 for row in feedback if row.text),
        ),
        ctx.ngettext(
            "{count} prototype or round you started",
            "{count} prototypes or rounds you started",
            _count(ctx, Prototype, Prototype.created_by_member_id)
            + _count(ctx, Round, Round.opened_by_member_id),
        ),
    ]


def _count(ctx: Context, model: type, member_column: object) -> int:
    return ctx.session.exec(
        select(func.count()).select_from(model).where(member_column == ctx.member.id)
    ).one()


def erase(ctx: Context, forgetting: Forgetting) -> None:
    """Votes and team places go with the member. Feedback and versions stay without their author when
    the member keeps their contributions; else feedback goes and a version's words are replaced (its
    number stays, with the feedback others gave it). Prototypes and rounds they started stay, nameless.
    The member leaves the stored opinion groups at once; they are recomputed without their votes."""
    member_id = forgetting.member_id
    session = ctx.session
    rated = select(Feedback.version_id).where(Feedback.member_id == member_id)
    prototypes = select(PrototypeVersion.prototype_id).where(
        (col(PrototypeVersion.author_member_id) == member_id) | col(PrototypeVersion.id).in_(rated)
    )
    forgetting.campaign_ids |= set(
        session.exec(select(Prototype.campaign_id).where(col(Prototype.id).in_(prototypes))).all()
    )
    if not forgetting.keep_contributions:
        versions = session.exec(
            select(PrototypeVersion).where(PrototypeVersion.author_member_id == member_id)
        ).all()
        feedback = session.exec(select(Feedback.text).where(Feedback.member_id == member_id)).all()
        forgetting.words |= {version.changes for version in versions} | {text for text in feedback if text}
        for version in versions:
            version.changes = REDACTED
            session.add(version)
        session.exec(delete(Feedback).where(col(Feedback.member_id) == member_id))  # type: ignore[call-overload]
    session.exec(  # type: ignore[call-overload]
        update(PrototypeVersion)
        .where(col(PrototypeVersion.author_member_id) == member_id)
        .values(author_member_id=None)
    )
    for job in forget_member(session, member_id, ctx.now()):
        ctx.schedule(job)


commands.holds(
    PersonalData(
        tables=("ideavote", "prototype", "prototypemember", "prototypeversion", "feedback", "round"),
        describe=describe,
        erase=erase,
    )
)
