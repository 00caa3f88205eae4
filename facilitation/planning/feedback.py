"""Feedback on prototype versions: a rating from 1 to 5, by /feedback or a button, with the member's words.

A member's latest rating of a version is the one counted; every text they wrote is kept. Shown under a
version, the texts of the ratings that count are grouped into themes as ideas are, or quoted when they
cannot be: a replaced rating's words go with it.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlmodel import col, select

from facilitation.intelligence import clustering as themes
from facilitation.intelligence.embeddings import Embedder
from facilitation.kernel.context import Context
from facilitation.kernel.i18n import N_, quote
from facilitation.kernel.refs import prototype_ref
from facilitation.kernel.router import CommandSet, UsageError, UserError
from facilitation.kernel.text import IDEA_MAX_LENGTH, clean_user_text, shorten
from facilitation.membership.campaigns import OPEN
from facilitation.planning.prototype_lookup import find_prototype, versions_of
from storage.models import Campaign, Feedback, Prototype, PrototypeVersion

commands = CommandSet()

RATING_MIN, RATING_MAX = 1, 5
FEEDBACK_QUOTES = 3
"""Feedback texts quoted under a version in /prototype when they are not grouped into themes."""
FEEDBACK_THEMES_SHOWN = 4
"""Themes of a version's feedback named in /prototype; the smaller ones are counted."""
FEEDBACK_GROUPED_MAX = 300
"""The latest feedback texts of a version grouped into themes: they are encoded each time it is shown."""
QUOTE_WIDTH = 120
"""How much of a text is quoted under a prototype: its feedback, the idea it grows from, what a version changed."""


def latest_feedback(feedback: Iterable[Feedback]) -> dict[int, Feedback]:
    """Each member's latest rating, with its text (rows in the order they were written), by member; a
    forgotten member's rows (no member) count each on its own."""
    latest: dict[int, Feedback] = {}
    for row in feedback:
        latest[row.member_id if row.member_id is not None else -(row.id or 0)] = row
    return latest


def latest_ratings(feedback: Iterable[Feedback]) -> dict[int, int]:
    """Each member's latest rating: the ones counted."""
    return {member: row.rating for member, row in latest_feedback(feedback).items()}


def counted_texts(feedback: Iterable[Feedback]) -> list[str]:
    """The texts of the ratings that count, oldest first: what a version's feedback is said to say."""
    rows = sorted(latest_feedback(feedback).values(), key=lambda row: row.id or 0)
    return [row.text for row in rows if row.text]


def feedback_summaries(ctx: Context, campaign_id: int, texts_per_version: list[list[str]]) -> list[list[str]]:
    """What each version's feedback texts say, as lines to show under it.

    With the language model loaded, the texts are grouped into themes exactly as ideas are
    (`facilitation.intelligence.clustering` on their embeddings: labels are phrases of the texts, a representative
    text quoted).
    Otherwise a few texts are quoted, with why there are no themes: too few or too different texts, or
    a model still loading (nothing is said when no model is configured). The texts are encoded here, by
    the campaign's model, on the core's worker thread, in one call for all versions.
    """
    embedder = ctx.index.embedder_for(ctx.session, campaign_id) if ctx.index is not None else None
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
                found[index] = themes.find_themes(
                    vectors[start : start + len(texts)], texts, encode=embedder.encode_remembered
                )
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
        text = shorten(texts[theme.representatives[0]], QUOTE_WIDTH)
        lines.append(
            "   • "
            + ctx._(
                "{label} ({count}): {quote}",
                label=theme.label.text,
                count=theme.count,
                quote=quote(ctx._, text),
            )
        )
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
    lines = ["   " + quote(ctx._, shorten(text, QUOTE_WIDTH)) for text in texts[-FEEDBACK_QUOTES:]]
    if len(texts) > FEEDBACK_QUOTES:
        lines.append("   " + ctx._("and {count} more.", count=len(texts) - FEEDBACK_QUOTES))
    if reason is not None:
        lines.append("   " + reason)
    return lines


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
    version = ctx.pressed_row(PrototypeVersion, payload["version_id"])
    record_feedback(ctx, version, validated_rating(ctx, str(payload["rating"])), None)
