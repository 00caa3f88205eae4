"""Prototypes: built by a team from a theme or an idea, and published in versions.

/prototype creates, lists and shows them (each version with its ratings and feedback, see `feedback`),
/team joins a prototype's team, /version publishes what changed and invites ratings.
"""

from __future__ import annotations

from datetime import timedelta
from statistics import fmean

from sqlalchemy import func
from sqlmodel import col, or_, select

from facilitation.kernel.context import Context
from facilitation.kernel.i18n import N_, decimal, format_moment
from facilitation.kernel.refs import idea_ref, parse_ref, prototype_ref, theme_ref
from facilitation.kernel.router import CommandSet, Refusal, UsageError, UserError
from facilitation.kernel.text import clean_user_text, shorten
from facilitation.membership.campaigns import OPEN, announce, join, resolve_campaign
from facilitation.membership.members import pseudonyms
from facilitation.membership.news import PROTOTYPE, VERSION, notify
from facilitation.planning.feedback import (
    QUOTE_WIDTH,
    RATING_MAX,
    RATING_MIN,
    counted_texts,
    feedback_summaries,
    latest_ratings,
)
from facilitation.planning.prototype_lookup import find_prototype, versions_of
from storage.models import (
    TITLE_MAX_LENGTH,
    Campaign,
    Feedback,
    Idea,
    IdeaTheme,
    Prototype,
    PrototypeMember,
    PrototypeVersion,
    Theme,
)

commands = CommandSet()

CHANGES_MAX_LENGTH = 1000
"""What changed in a version: a paragraph; the prototype's own documents live elsewhere."""
PROTOTYPES_LISTED = 10
VERSIONS_PER_DAY_MAX = 5
"""Versions of one prototype in any 24 hours: each is announced in every chat of the campaign."""
VERSIONS_WINDOW = timedelta(hours=24)


def source_ideas(ctx: Context, prototype: Prototype) -> list[Idea]:
    """The ideas a prototype grew from, whose authors hear about it: its idea, or its theme's ideas."""
    if prototype.theme_id is not None:
        placed = select(IdeaTheme.idea_id).where(
            or_(IdeaTheme.theme_id == prototype.theme_id, IdeaTheme.subtheme_id == prototype.theme_id)
        )
        return list(
            ctx.session.exec(
                select(Idea).where(col(Idea.id).in_(placed), Idea.shown()).order_by(col(Idea.id))
            )
        )
    if prototype.idea_id is None:
        return []
    idea = ctx.session.get(Idea, prototype.idea_id)
    return [idea] if idea is not None and idea.in_sight else []


@commands.command(
    "prototype",
    N_("Create a prototype from a theme or an idea (facilitators), or show one with its versions"),
    N_("/prototype <theme or idea id> <title>, or /prototype <prototype id>"),
)
def prototype_command(ctx: Context, args: str) -> None:
    _ = ctx._
    first, _space, title = args.strip().partition(" ")
    if not first or first.startswith("#"):
        list_prototypes(ctx, args)
        return
    parsed = parse_ref(first, "pit")
    if parsed is None:
        raise UsageError(_("{ref} is not a prototype, theme or idea id.", ref=first))
    if parsed[0] == "p":
        if title.strip():
            raise UsageError(_("To create a prototype, start from a theme or an idea id, such as i3."))
        show_prototype(ctx, find_prototype(ctx, first))
        return
    create_prototype(ctx, first, parsed, clean_user_text(title))


def create_prototype(ctx: Context, ref: str, parsed: tuple[str, int], title: str) -> None:
    _ = ctx._
    idea = theme = None
    if parsed[0] == "t":
        theme = ctx.session.get(Theme, parsed[1])
        if theme is None:
            raise UserError(_("There is no theme {ref}. /themes lists them.", ref=ref))
        campaign = ctx.session.get_one(Campaign, theme.campaign_id)
    else:
        idea = ctx.session.get(Idea, parsed[1])
        if idea is None:
            raise UserError(_("There is no idea {ref}. /ideas lists them.", ref=ref))
        campaign = ctx.session.get_one(Campaign, idea.campaign_id)
    ctx.require_facilitator(campaign)
    if idea is not None and not idea.in_sight:
        raise UserError(_("Idea {ref} is no longer shown: no prototype can grow from it.", ref=ref))
    if not title:
        raise UsageError(_("A prototype needs a title after the theme or idea id."))
    if len(title) > TITLE_MAX_LENGTH:
        raise UserError(_("The title is too long: {limit} characters at most.", limit=TITLE_MAX_LENGTH))
    prototype = Prototype(
        campaign_id=campaign.id,
        title=title,
        idea_id=idea.id if idea is not None else None,
        theme_id=theme.id if theme is not None else None,
        created_by_member_id=ctx.member.id,
        created_at=ctx.now(),
    )
    ctx.session.add(prototype)
    ctx.session.flush()
    ref_ = prototype_ref(prototype)
    text = _(
        "New prototype {prototype} in #{hashtag}: {title}\nIt grows from {origin}\n"
        "Join its team to build it, with the button or /team {prototype}.",
        prototype=ref_,
        hashtag=campaign.hashtag,
        title=title,
        origin=origin_line(ctx, prototype),
    )
    announce(ctx, campaign, text, (ctx.button(_("Join the team"), "team", prototype_id=prototype.id),))
    for source in source_ideas(ctx, prototype):
        if source.member_id != ctx.member.id:
            notify(ctx, source.member_id, PROTOTYPE, idea=idea_ref(source), prototype=ref_, title=title)


def origin_line(ctx: Context, prototype: Prototype) -> str:
    """The theme or the idea a prototype grows from, in words."""
    _ = ctx._
    if prototype.theme_id is not None:
        theme = ctx.session.get(Theme, prototype.theme_id)
        label = theme.label if theme is not None else "?"
        return _("the theme {theme}: {label}", theme=theme_ref(prototype.theme_id), label=label)
    idea = ctx.session.get(Idea, prototype.idea_id) if prototype.idea_id is not None else None
    if idea is None:
        return _("an idea that was deleted")
    if not idea.in_sight:
        return _("the idea {idea}, no longer shown", idea=idea_ref(idea))
    return _("the idea {idea}: {text}", idea=idea_ref(idea), text=shorten(idea.text, QUOTE_WIDTH))


def list_prototypes(ctx: Context, args: str) -> None:
    _ = ctx._
    campaign, _rest = resolve_campaign(ctx, args)
    prototypes = ctx.session.exec(
        select(Prototype)
        .where(Prototype.campaign_id == campaign.id)
        .order_by(col(Prototype.id).desc())
        .limit(PROTOTYPES_LISTED)
    ).all()
    if not prototypes:
        ctx.reply(
            _(
                "No prototype yet in #{hashtag}. Facilitators start one with /prototype <theme or idea id> <title>.",
                hashtag=campaign.hashtag,
            )
        )
        return
    lines = [_("Prototypes in #{hashtag}:", hashtag=campaign.hashtag)]
    lines += [f"{prototype_ref(p)} · {p.title}" for p in prototypes]
    lines.append(_("/prototype <id> shows one with its versions and feedback."))
    ctx.reply("\n".join(lines))


def show_prototype(ctx: Context, prototype: Prototype) -> None:
    """The prototype, its team, and each version with what changed, its ratings and its feedback."""
    _, ngettext = ctx._, ctx.ngettext
    campaign = ctx.session.get_one(Campaign, prototype.campaign_id)
    lines = [f"{prototype_ref(prototype)} · {prototype.title} (#{campaign.hashtag})"]
    lines.append(_("It grows from {origin}", origin=origin_line(ctx, prototype)))
    team = pseudonyms(ctx.session, team_ids(ctx, prototype))
    if team:
        lines.append(_("Team: {names}", names=", ".join(team)))
    else:
        lines.append(_("No team yet: join with /team {prototype}.", prototype=prototype_ref(prototype)))
    versions = versions_of(ctx, prototype)
    if not versions:
        lines.append(_("No version yet."))
    feedback = [
        list(
            ctx.session.exec(
                select(Feedback).where(Feedback.version_id == version.id).order_by(col(Feedback.id))
            )
        )
        for version in versions
    ]
    summaries = feedback_summaries(ctx, prototype.campaign_id, [counted_texts(rows) for rows in feedback])
    for version, rows, summary in zip(versions, feedback, summaries, strict=True):
        moment = format_moment(version.created_at, ctx.member.timezone, ctx.member.language)
        if version.number == 1:
            lines.append(
                _("v{number} · {moment}: {changes}", number=1, moment=moment, changes=version.changes)
            )
        else:
            lines.append(
                _(
                    "v{number} · {moment}, changed since v{previous}: {changes}",
                    number=version.number,
                    previous=version.number - 1,
                    moment=moment,
                    changes=version.changes,
                )
            )
        ratings = latest_ratings(rows)
        if not ratings:
            lines.append("   " + _("No feedback yet."))
            continue
        lines.append(
            "   "
            + ngettext("{count} rating", "{count} ratings", len(ratings))
            + " · "
            + _("mean rating {mean} / 5", mean=decimal(fmean(ratings.values()), ctx.member.language))
        )
        lines += summary
    ctx.reply("\n".join(lines))


def team_ids(ctx: Context, prototype: Prototype) -> list[int]:
    return list(
        ctx.session.exec(
            select(PrototypeMember.member_id)
            .where(PrototypeMember.prototype_id == prototype.id)
            .order_by(col(PrototypeMember.joined_at))
        )
    )


def join_team(ctx: Context, prototype: Prototype) -> None:
    _ = ctx._
    campaign = ctx.session.get_one(Campaign, prototype.campaign_id)
    if campaign.status != OPEN:
        raise UserError(_("This campaign is closed."))
    ref_ = prototype_ref(prototype)
    if ctx.session.get(PrototypeMember, (prototype.id, ctx.member.id)) is not None:
        ctx.reply(_("You are already in the team of {prototype}.", prototype=ref_))
        return
    join(ctx, campaign)
    ctx.session.add(PrototypeMember(prototype_id=prototype.id, member_id=ctx.member.id, joined_at=ctx.now()))
    ctx.reply(
        _(
            "{name} joined the team of {prototype}: {title}. Publish a version with /version {prototype} <what changed>.",
            name=ctx.member.pseudonym,
            prototype=ref_,
            title=prototype.title,
        )
    )


@commands.command("team", N_("Join a prototype's team"), N_("/team <prototype id>"))
def team_command(ctx: Context, args: str) -> None:
    if not args.strip():
        raise UsageError(ctx._("Which prototype? Give its id, such as p1."))
    join_team(ctx, find_prototype(ctx, args.split()[0]))


@commands.action("team")
def team_pressed(ctx: Context, payload: dict) -> None:
    prototype = ctx.pressed_row(Prototype, payload["prototype_id"])
    join_team(ctx, prototype)


def _refuse_past_the_daily_limit(ctx: Context, prototype: Prototype) -> None:
    recent = ctx.session.exec(
        select(func.count())
        .select_from(PrototypeVersion)
        .where(
            PrototypeVersion.prototype_id == prototype.id,
            col(PrototypeVersion.created_at) > ctx.now() - VERSIONS_WINDOW,
        )
    ).one()
    if recent >= VERSIONS_PER_DAY_MAX:
        raise UserError(
            ctx._(
                "{prototype} has had {limit} versions in the last 24 hours, the most in a day: each one is "
                "announced in every chat of the campaign. Please gather your changes and publish them "
                "tomorrow. Nothing was published.",
                prototype=prototype_ref(prototype),
                limit=VERSIONS_PER_DAY_MAX,
            )
        )


@commands.command(
    "version",
    N_("Publish a new version of a prototype (its team and facilitators)"),
    N_("/version <prototype id> <what changed>"),
)
def version_command(ctx: Context, args: str) -> None:
    _ = ctx._
    first, _space, changes = args.strip().partition(" ")
    if not first:
        raise UsageError(_("Which prototype? Give its id, such as p1."))
    prototype = find_prototype(ctx, first)
    campaign = ctx.session.get_one(Campaign, prototype.campaign_id)
    ref_ = prototype_ref(prototype)
    in_team = ctx.session.get(PrototypeMember, (prototype.id, ctx.member.id)) is not None
    if not in_team and not ctx.is_facilitator(campaign):
        raise Refusal(
            _(
                "Only the team of {prototype} and facilitators can publish its versions. "
                "Join it with /team {prototype}. Nothing was changed.",
                prototype=ref_,
            )
        )
    changes = clean_user_text(changes)
    if not changes:
        raise UsageError(_("Say what changed in this version."))
    if len(changes) > CHANGES_MAX_LENGTH:
        raise UserError(_("Please say what changed in {limit} characters at most.", limit=CHANGES_MAX_LENGTH))
    _refuse_past_the_daily_limit(ctx, prototype)
    latest = ctx.session.exec(
        select(func.max(PrototypeVersion.number)).where(PrototypeVersion.prototype_id == prototype.id)
    ).one()
    version = PrototypeVersion(
        prototype_id=prototype.id,
        number=(latest or 0) + 1,
        changes=changes,
        author_member_id=ctx.member.id,
        created_at=ctx.now(),
    )
    ctx.session.add(version)
    ctx.session.flush()
    text = _(
        "Prototype {prototype} ({title}) has a new version, v{number}: {changes}\n"
        "How good is it? Rate it from 1 to 5 with the buttons, and tell the team more with "
        "/feedback {prototype} <1-5> <your words>.",
        prototype=ref_,
        title=prototype.title,
        number=version.number,
        changes=changes,
    )
    buttons = tuple(
        ctx.button(str(rating), "rate", version_id=version.id, rating=rating)
        for rating in range(RATING_MIN, RATING_MAX + 1)
    )
    announce(ctx, campaign, text, buttons)
    for idea in source_ideas(ctx, prototype):
        if idea.member_id != ctx.member.id:
            notify(
                ctx,
                idea.member_id,
                VERSION,
                idea=idea_ref(idea),
                prototype=ref_,
                title=prototype.title,
                version=f"v{version.number}",
                changes=shorten(changes, QUOTE_WIDTH),
            )
