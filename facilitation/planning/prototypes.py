"""Prototypes: built by a team from a theme or an idea, published in versions, each rated 1 to 5 with feedback.

A member's latest rating of a version is the one counted; every text they wrote is kept.
"""

from __future__ import annotations

from collections.abc import Iterable
from statistics import fmean

from sqlalchemy import func
from sqlmodel import col, or_, select

from facilitation.intelligence import clustering as themes
from facilitation.intelligence.embeddings import Embedder
from facilitation.intelligence.themes import theme_ref
from facilitation.kernel.context import Context
from facilitation.kernel.i18n import N_
from facilitation.kernel.planning import format_moment, idea_ref, parse_ref, pseudonyms
from facilitation.kernel.router import CommandSet, Refusal, UsageError, UserError
from facilitation.kernel.text import IDEA_MAX_LENGTH, clean_user_text, shorten
from facilitation.membership.campaigns import OPEN, announce, join, resolve_campaign
from facilitation.membership.news import PROTOTYPE, VERSION, notify
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

RATING_MIN, RATING_MAX = 1, 5
CHANGES_MAX_LENGTH = 1000
"""What changed in a version: a paragraph; the prototype's own documents live elsewhere."""
FEEDBACK_QUOTES = 3
"""Feedback texts quoted under a version in /prototype when they are not grouped into themes."""
FEEDBACK_THEMES_SHOWN = 4
"""Themes of a version's feedback named in /prototype; the smaller ones are counted."""
FEEDBACK_GROUPED_MAX = 300
"""The latest feedback texts of a version grouped into themes: they are encoded each time it is shown."""
QUOTE_WIDTH = 120
PROTOTYPES_LISTED = 10


def prototype_ref(prototype: Prototype) -> str:
    """The short id residents type and read: p3."""
    return f"p{prototype.id}"


def find_prototype(ctx: Context, word: str) -> Prototype:
    parsed = parse_ref(word, "p")
    prototype = ctx.session.get(Prototype, parsed[1]) if parsed is not None and parsed[0] == "p" else None
    if prototype is None:
        raise UserError(ctx._("There is no prototype {ref}. /prototype lists them.", ref=word or "?"))
    return prototype


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
    return [idea] if idea is not None else []


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


def versions_of(ctx: Context, prototype: Prototype) -> list[PrototypeVersion]:
    return list(
        ctx.session.exec(
            select(PrototypeVersion)
            .where(PrototypeVersion.prototype_id == prototype.id)
            .order_by(col(PrototypeVersion.number))
        )
    )


def latest_ratings(feedback: Iterable[Feedback]) -> dict[int | None, int]:
    """Each member's latest rating (rows in the order they were written)."""
    ratings: dict[int | None, int] = {}
    for row in feedback:
        ratings[row.member_id if row.member_id is not None else -row.id] = row.rating
    return ratings


def feedback_summaries(ctx: Context, texts_per_version: list[list[str]]) -> list[list[str]]:
    """What each version's feedback texts say, as lines to show under it.

    With the language model loaded, the texts are grouped into themes exactly as ideas are
    (`facilitation.intelligence.clustering` on their embeddings: labels from keywords, a representative text quoted).
    Otherwise a few texts are quoted, with why there are no themes: too few or too different texts, or
    a model still loading (nothing is said when no model is configured). The texts are encoded here, on
    the core's worker thread, in one call for all versions.
    """
    embedder = ctx.index.embedder if ctx.index is not None else None
    groupable = [
        texts[-FEEDBACK_GROUPED_MAX:] if len(texts) >= themes.MIN_THEME_SIZE else []
        for texts in texts_per_version
    ]
    found: list[themes.ThemeMap | None] = [None] * len(groupable)
    if embedder is not None and embedder.ready and any(groupable):
        vectors = embedder.encode([text for texts in groupable for text in texts])
        start = 0
        for index, texts in enumerate(groupable):
            if texts:
                found[index] = themes.find_themes(vectors[start : start + len(texts)], texts)
                start += len(texts)
    summaries = []
    for texts, grouped, themes_found in zip(texts_per_version, groupable, found, strict=True):
        if themes_found is not None and themes_found.themes:
            summaries.append(feedback_theme_lines(ctx, grouped, themes_found))
        elif texts:
            summaries.append(feedback_quotes(ctx, texts, no_themes_reason(ctx, embedder, len(texts))))
        else:
            summaries.append([])
    return summaries


def feedback_theme_lines(ctx: Context, texts: list[str], found: themes.ThemeMap) -> list[str]:
    """The themes of a version's feedback, largest first, each with its most representative text."""
    ngettext = ctx.ngettext
    lines = ["   " + ctx._("Themes of the feedback:")]
    for theme in found.themes[:FEEDBACK_THEMES_SHOWN]:
        quote = shorten(texts[theme.representatives[0]], QUOTE_WIDTH)
        lines.append(f"   • {theme.label} ({theme.count}): “{quote}”")
    rest = len(found.themes) - FEEDBACK_THEMES_SHOWN
    if rest > 0:
        lines.append("   " + ngettext("and {count} smaller theme.", "and {count} smaller themes.", rest))
    if found.other_count:
        lines.append(
            "   "
            + ngettext(
                "Other: {count} text fits no theme.", "Other: {count} texts fit no theme.", found.other_count
            )
        )
    return lines


def no_themes_reason(ctx: Context, embedder: Embedder | None, count: int) -> str | None:
    """Why `count` feedback texts show no themes; None when no model is configured (or it failed)."""
    if embedder is None or embedder.failed:
        return None
    if count < themes.MIN_THEME_SIZE:
        return ctx.ngettext(
            "No themes: {count} text is too few to group.",
            "No themes: {count} texts are too few to group.",
            count,
        )
    if not embedder.ready:
        return ctx._("Themes of the feedback will show once the language model has loaded.")
    return ctx._("No themes: these {count} texts are too few or too different to group.", count=count)


def feedback_quotes(ctx: Context, texts: list[str], reason: str | None) -> list[str]:
    """The latest feedback texts quoted, how many more there are, and why they are not grouped."""
    lines = [f"   “{shorten(text, QUOTE_WIDTH)}”" for text in texts[-FEEDBACK_QUOTES:]]
    if len(texts) > FEEDBACK_QUOTES:
        lines.append("   " + ctx._("and {count} more.", count=len(texts) - FEEDBACK_QUOTES))
    if reason is not None:
        lines.append("   " + reason)
    return lines


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
    summaries = feedback_summaries(ctx, [[row.text for row in rows if row.text] for rows in feedback])
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
            + ngettext("{count} feedback", "{count} feedbacks", len(ratings))
            + " · "
            + _("mean rating {mean:.1f} / 5", mean=fmean(ratings.values()))
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
    prototype = ctx.session.get(Prototype, payload["prototype_id"])
    if prototype is None:
        raise UserError(ctx._("This button has expired. Please use the command again."))
    join_team(ctx, prototype)


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


def validated_rating(ctx: Context, word: str) -> int:
    if not word.isdigit() or not RATING_MIN <= int(word) <= RATING_MAX:
        raise UserError(
            ctx._(
                "A rating is a whole number from {low} to {high}. Nothing was changed.",
                low=RATING_MIN,
                high=RATING_MAX,
            )
        )
    return int(word)


def record_feedback(ctx: Context, version: PrototypeVersion, rating: int, text: str | None) -> None:
    """Store a rating, with its text if any; a text right after a rating by button completes that rating."""
    _ = ctx._
    prototype = ctx.session.get_one(Prototype, version.prototype_id)
    campaign = ctx.session.get_one(Campaign, prototype.campaign_id)
    if campaign.status != OPEN:
        raise UserError(_("This campaign is closed."))
    latest = ctx.session.exec(
        select(Feedback)
        .where(Feedback.version_id == version.id, Feedback.member_id == ctx.member.id)
        .order_by(col(Feedback.id).desc())
    ).first()
    if text and latest is not None and latest.text is None:
        latest.rating, latest.text = rating, text
    else:
        ctx.session.add(
            Feedback(
                version_id=version.id, member_id=ctx.member.id, rating=rating, text=text, created_at=ctx.now()
            )
        )
    ref_ = prototype_ref(prototype)
    answer = _(
        "Thank you! Your rating of {prototype} v{number}: {rating} / 5.",
        prototype=ref_,
        number=version.number,
        rating=rating,
    )
    if not text:
        answer += "\n" + _(
            "Tell the team more with /feedback {prototype} {rating} <your words>.",
            prototype=ref_,
            rating=rating,
        )
    ctx.reply(answer, private=True)


@commands.command(
    "feedback",
    N_("Rate the latest version of a prototype from 1 to 5, with your words"),
    N_("/feedback <prototype id> <1-5> [your words]"),
)
def feedback_command(ctx: Context, args: str) -> None:
    _ = ctx._
    words = args.split(maxsplit=2)
    if len(words) < 2:
        raise UsageError(_("Give the prototype's id and a rating from 1 to 5."))
    prototype = find_prototype(ctx, words[0])
    rating = validated_rating(ctx, words[1])
    text = clean_user_text(words[2]) if len(words) > 2 else ""
    if len(text) > IDEA_MAX_LENGTH:
        raise UserError(
            _(
                "Your feedback is too long: {limit} characters at most. Nothing was saved.",
                limit=IDEA_MAX_LENGTH,
            )
        )
    versions = versions_of(ctx, prototype)
    if not versions:
        raise UserError(
            _("{prototype} has no version yet to give feedback on.", prototype=prototype_ref(prototype))
        )
    record_feedback(ctx, versions[-1], rating, text or None)


@commands.action("rate")
def rating_pressed(ctx: Context, payload: dict) -> None:
    version = ctx.session.get(PrototypeVersion, payload["version_id"])
    if version is None:
        raise UserError(ctx._("This button has expired. Please use the command again."))
    record_feedback(ctx, version, validated_rating(ctx, str(payload["rating"])), None)
