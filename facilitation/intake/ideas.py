"""Ideas: recording them from /idea or from hashtag messages, close ideas at posting, and listing them."""

from __future__ import annotations

import logging
import re

import numpy as np
from sqlalchemy import delete, func
from sqlmodel import col, select

from facilitation.intelligence.embeddings import store_embeddings
from facilitation.intelligence.similarity import REPEAT_THRESHOLD, SIMILAR_SHOWN, Match
from facilitation.kernel.context import Context
from facilitation.kernel.events import Button, Incoming
from facilitation.kernel.fair_use import IDEAS_PER_MINUTE, WINDOW
from facilitation.kernel.i18n import N_
from facilitation.kernel.planning import idea_ref
from facilitation.kernel.router import (
    HASHTAG_OPTION,
    CommandSet,
    Option,
    OptionKind,
    Refusal,
    UsageError,
    UserError,
    parse_command,
)
from facilitation.kernel.text import IDEA_MAX_LENGTH, clean_user_text, find_hashtags, shorten
from facilitation.membership.campaigns import (
    campaign_candidates,
    join,
    open_campaign,
    open_round,
    resolve_campaign,
)
from facilitation.membership.news import MERGED, SUPPORT_MILESTONE, SUPPORTED, notify
from facilitation.planning.rounds import round_ref
from facilitation.planning.votes import vote_buttons
from storage.models import Campaign, Idea, IdeaEmbedding, IdeaSupport, Member

log = logging.getLogger(__name__)

commands = CommandSet()

IDEAS_PAGE_SIZE = 10
IDEA_PREVIEW_WIDTH = 200


IDEA_REF_PATTERN = re.compile(r"i?(\d{1,12})", re.IGNORECASE)


def idea_by_ref(ctx: Context, ref: str) -> Idea:
    """The idea a resident names as i42 (or 42), or a clear answer that there is none."""
    match = IDEA_REF_PATTERN.fullmatch(ref.strip())
    idea = ctx.session.get(Idea, int(match.group(1))) if match else None
    if idea is None:
        raise UserError(ctx._("There is no idea {ref}. Idea ids look like i12.", ref=ref.strip() or "?"))
    return idea


def validated_idea_text(ctx: Context, text: str) -> str:
    _ = ctx._
    cleaned = clean_user_text(text)
    if not cleaned:
        raise UsageError(
            _("Your idea is empty. Write it after /idea, e.g. /idea More benches near the playground.")
        )
    if len(cleaned) > IDEA_MAX_LENGTH:
        raise UserError(
            _(
                "Your idea is {length} characters long; the limit is {limit}. Nothing was saved: "
                "please shorten it and send it again.",
                length=len(cleaned),
                limit=IDEA_MAX_LENGTH,
            )
        )
    return cleaned


def record_idea(ctx: Context, campaign: Campaign, text: str, message_id: str | None) -> None:
    """Store an idea verbatim for the sender (joining them to the campaign) and confirm it with its id.

    The confirmation shows up to three other residents' ideas close in meaning, with buttons to support
    one, merge the new idea into one, or keep it separate. A platform message already recorded for
    this campaign (a re-delivered update), or a repeat of the sender's own idea, is not stored twice.
    When the model is still loading, the idea is stored at once and the close ideas follow later.
    """
    _ = ctx._
    address = ctx.incoming.address
    if message_id is not None:
        existing = ctx.session.exec(
            select(Idea).where(
                Idea.campaign_id == campaign.id,
                Idea.source_platform == address.platform,
                Idea.source_chat_id == address.chat_id,
                Idea.source_message_id == message_id,
            )
        ).first()
        if existing is not None:
            ctx.reply(
                _(
                    "Idea {ref} is already recorded in #{hashtag}.",
                    ref=idea_ref(existing),
                    hashtag=campaign.hashtag,
                )
            )
            return
    recent = ctx.session.exec(
        select(func.count()).where(Idea.member_id == ctx.member.id, Idea.created_at > ctx.now() - WINDOW)
    ).one()
    if recent >= IDEAS_PER_MINUTE and not ctx.is_configured_facilitator():
        raise UserError(
            _(
                "That is {limit} ideas in a minute: please wait a little before the next one.",
                limit=IDEAS_PER_MINUTE,
            )
        )
    vector = idea_vector(ctx, text)
    own, matches = None, []
    if vector is not None and ctx.index is not None:
        own, matches = ctx.index.search(ctx.session, campaign.id, vector, ctx.member.id)
    repeated = repeated_idea(ctx, campaign, text, own)
    if repeated is not None:
        ctx.reply(
            _(
                "You already shared this idea in #{hashtag} as {ref}, so I kept it once.",
                hashtag=campaign.hashtag,
                ref=idea_ref(repeated),
            )
        )
        return
    joined = join(ctx, campaign)
    current_round = open_round(ctx.session, campaign.id, ctx.now())
    idea = Idea(
        campaign_id=campaign.id,
        round_id=current_round.id if current_round is not None else None,
        member_id=ctx.member.id,
        text=text,
        source_platform=address.platform,
        source_chat_id=address.chat_id,
        source_message_id=message_id,
        created_at=ctx.now(),
    )
    ctx.session.add(idea)
    ctx.session.flush()
    remember_vector(ctx, idea, vector)
    if current_round is None:
        confirmation = _(
            "Idea {ref} recorded in #{hashtag}. Thank you!", ref=idea_ref(idea), hashtag=campaign.hashtag
        )
    else:
        confirmation = _(
            "Idea {ref} recorded in round {round} of #{hashtag}. Thank you!",
            ref=idea_ref(idea),
            round=round_ref(current_round),
            hashtag=campaign.hashtag,
        )
    if joined:
        confirmation += "\n" + _("You are now a member of #{hashtag}.", hashtag=campaign.hashtag)
    similar, buttons = close_ideas_section(ctx, idea, matches)
    ctx.reply(confirmation + similar, buttons=buttons)


def idea_texts(incoming: Incoming) -> list[str]:
    """The text an update would record as an idea, worked out without the database, to encode early.

    A guess is enough: a text that turns out not to be an idea only costs an encoding.
    """
    if incoming.button_token is not None:
        return []
    parsed = (incoming.command, incoming.args) if incoming.command else parse_command(incoming.text)
    if parsed is None:
        text = incoming.text if find_hashtags(incoming.text) else ""
    else:
        args = parsed[1] or ""
        text = {"idea": args, "edit": args.partition(" ")[2]}.get(parsed[0], "")
    cleaned = clean_user_text(text)
    return [cleaned] if cleaned and len(cleaned) <= IDEA_MAX_LENGTH else []


def idea_vector(ctx: Context, text: str) -> np.ndarray | None:
    """The idea's vector: encoded before the transaction, or now; None while the model loads."""
    if ctx.index is None or not ctx.index.ready:
        return None
    vector = ctx.vectors.get(text)
    if vector is None:
        try:
            vector = ctx.index.embedder.encode([text])[0]
        except Exception:
            log.exception("could not encode idea; recorded without close ideas")
            return None
    return vector


def remember_vector(ctx: Context, idea: Idea, vector: np.ndarray | None) -> None:
    """Store the new idea's vector, or queue it to be embedded and answered once the model is ready."""
    index = ctx.index
    if index is None or index.embedder.failed:
        return
    if vector is None:
        incoming = ctx.incoming
        ctx.on_commit.append(lambda: index.awaiting.__setitem__(idea.id, incoming))
        return
    store_embeddings(ctx.session, [idea.id], vector[np.newaxis], index.embedder.name)
    ctx.on_commit.append(lambda: index.added(idea.campaign_id, idea.id, idea.member_id, vector))


def comparable(text: str) -> str:
    """Text reduced to its lower-case words, so that case, punctuation and spacing do not count."""
    return " ".join(re.findall(r"\w+", text.casefold()))


def repeated_idea(ctx: Context, campaign: Campaign, text: str, own_closest: Match | None) -> Idea | None:
    """The sender's earlier idea in the campaign that this one repeats, word for word or nearly."""
    if own_closest is not None and own_closest.score >= REPEAT_THRESHOLD:
        return ctx.session.get(Idea, own_closest.idea_id)
    words = comparable(text)
    mine = ctx.session.exec(
        select(Idea).where(Idea.campaign_id == campaign.id, Idea.member_id == ctx.member.id)
    )
    return next((idea for idea in mine if comparable(idea.text) == words), None)


def close_ideas_section(ctx: Context, idea: Idea, matches: list[Match]) -> tuple[str, tuple[Button, ...]]:
    """The lines listing ideas close to `idea`, and the buttons to support, merge or keep separate."""
    _ = ctx._
    if not matches:
        return "", ()
    rows = {
        close.id: (close, pseudonym)
        for close, pseudonym in ctx.session.exec(
            select(Idea, Member.pseudonym)
            .join(Member, col(Member.id) == col(Idea.member_id), isouter=True)
            .where(
                col(Idea.id).in_([match.idea_id for match in matches]), Idea.status != "merged", Idea.shown()
            )
        )
    }
    shown = [rows[match.idea_id] for match in matches if match.idea_id in rows]
    if not shown:
        return "", ()
    lines = ["", _("Close ideas already shared in #{hashtag}:", hashtag=_campaign_tag(ctx, idea))]
    buttons: list[Button] = []
    for close, pseudonym in shown:
        ref = idea_ref(close)
        author = pseudonym or _("a former member")
        lines.append(f"{ref} · {author}: {shorten(close.text, IDEA_PREVIEW_WIDTH)}")
        buttons.append(ctx.button(_("Support {ref}", ref=ref), "idea_support", idea_id=close.id))
        buttons.append(
            ctx.button(_("Merge mine into {ref}", ref=ref), "idea_merge", idea_id=idea.id, into_id=close.id)
        )
    buttons.append(ctx.button(_("Keep mine separate"), "idea_keep", idea_id=idea.id))
    lines.append(_("You can support one of them, merge yours into one, or keep yours separate."))
    return "\n".join(lines), tuple(buttons)


def _campaign_tag(ctx: Context, idea: Idea) -> str:
    return ctx.session.get_one(Campaign, idea.campaign_id).hashtag


LATER_SEARCH_COUNT = 4 * SIMILAR_SHOWN
"""Ideas looked at for a late answer, of which only those posted earlier are shown."""


def offer_similar_later(ctx: Context, idea: Idea, vector: np.ndarray) -> None:
    """For an idea recorded while the model loaded: tell its author about close ideas, if any."""
    if ctx.index is None:
        return
    _own, matches = ctx.index.search(
        ctx.session, idea.campaign_id, vector, idea.member_id, count=LATER_SEARCH_COUNT
    )
    earlier = [match for match in matches if match.idea_id < idea.id][:SIMILAR_SHOWN]
    text, buttons = close_ideas_section(ctx, idea, earlier)
    if buttons:
        ctx.reply(ctx._("About your idea {ref}:", ref=idea_ref(idea)) + text, buttons=buttons)


def _idea_or_expired(ctx: Context, idea_id: int) -> Idea:
    idea = ctx.session.get(Idea, idea_id)
    if idea is None:
        raise UserError(ctx._("This idea no longer exists."))
    return idea


def joined_idea(ctx: Context, idea: Idea) -> Idea:
    """The idea that `idea` was merged into, following merges to the end; `idea` itself if not merged."""
    seen = {idea.id}
    while idea.merged_into_id is not None and idea.merged_into_id not in seen:
        following = ctx.session.get(Idea, idea.merged_into_id)
        if following is None:
            break
        seen.add(following.id)
        idea = following
    return idea


def _require_author(ctx: Context, idea: Idea) -> None:
    if idea.member_id != ctx.member.id:
        raise Refusal(
            ctx._("Only the author of {ref} can decide that. Nothing was changed.", ref=idea_ref(idea))
        )


@commands.action("idea_support")
def support_pressed(ctx: Context, payload: dict) -> None:
    """Support an idea (the one it joined, if it was merged): once per member."""
    _ = ctx._
    idea = joined_idea(ctx, _idea_or_expired(ctx, payload["idea_id"]))
    ref = idea_ref(idea)
    if not idea.in_sight:
        raise UserError(_("Idea {ref} is no longer shown: it takes no support.", ref=ref))
    if idea.member_id == ctx.member.id:
        raise UserError(_("{ref} is your own idea: others can support it.", ref=ref))
    already = ctx.session.exec(
        select(IdeaSupport).where(IdeaSupport.idea_id == idea.id, IdeaSupport.member_id == ctx.member.id)
    ).first()
    if already is not None:
        ctx.reply(_("You already support {ref}.", ref=ref))
        return
    ctx.session.add(IdeaSupport(idea_id=idea.id, member_id=ctx.member.id))
    ctx.session.flush()
    supporters = ctx.session.exec(select(func.count()).where(IdeaSupport.idea_id == idea.id)).one()
    if supporters == SUPPORT_MILESTONE:
        notify(ctx, idea.member_id, SUPPORTED, idea=ref, count=supporters)
    ctx.reply(_("You support {ref}: {text}", ref=ref, text=shorten(idea.text, IDEA_PREVIEW_WIDTH)))


@commands.action("idea_merge")
def merge_pressed(ctx: Context, payload: dict) -> None:
    """Merge the author's new idea into a close one: it keeps its text and author and points to it."""
    _ = ctx._
    idea = _idea_or_expired(ctx, payload["idea_id"])
    _require_author(ctx, idea)
    if idea.status == "merged":
        target = joined_idea(ctx, idea)
        ctx.reply(_("{ref} is already merged into {target}.", ref=idea_ref(idea), target=idea_ref(target)))
        return
    target = joined_idea(ctx, _idea_or_expired(ctx, payload["into_id"]))
    if target.id == idea.id:
        raise UserError(_("An idea cannot be merged into itself."))
    idea.status = "merged"
    idea.merged_into_id = target.id
    if target.member_id != ctx.member.id:
        notify(ctx, target.member_id, MERGED, idea=idea_ref(idea), target=idea_ref(target))
    index = ctx.index
    if index is not None:
        ctx.on_commit.append(lambda: index.removed(idea.campaign_id, idea.id))
    ctx.reply(
        _(
            "Your idea {ref} is merged into {target}. It keeps your words and your name, and now counts with {target}.",
            ref=idea_ref(idea),
            target=idea_ref(target),
        )
    )


@commands.action("idea_keep")
def keep_pressed(ctx: Context, payload: dict) -> None:
    """Keep the new idea as its own: nothing changes, the author is told so."""
    idea = _idea_or_expired(ctx, payload["idea_id"])
    _require_author(ctx, idea)
    if idea.status == "merged":
        ctx.reply(
            ctx._(
                "{ref} is already merged into {target}.",
                ref=idea_ref(idea),
                target=idea_ref(joined_idea(ctx, idea)),
            )
        )
        return
    ctx.reply(ctx._("Idea {ref} stays separate.", ref=idea_ref(idea)))


@commands.command(
    "idea",
    N_("Share an idea with the campaign"),
    N_("/idea [#hashtag] <your idea>"),
    options=(HASHTAG_OPTION, Option("idea", N_("Your idea, in your own words"), required=True)),
)
def idea_command(ctx: Context, args: str) -> None:
    _ = ctx._
    tags = find_hashtags(args)
    tagged = [campaign for tag in tags if (campaign := open_campaign(ctx, tag)) is not None]
    text = validated_idea_text(ctx, args)
    if tagged:
        for campaign in tagged:
            record_idea(ctx, campaign, text, ctx.incoming.message_id)
        return
    candidates = campaign_candidates(ctx)
    if not candidates:
        raise UserError(_("There is no campaign yet. A facilitator can start one with /campaign."))
    if len(candidates) == 1:
        record_idea(ctx, candidates[0], text, ctx.incoming.message_id)
        return
    buttons = tuple(
        ctx.button(
            f"#{campaign.hashtag}",
            "idea_for",
            campaign_id=campaign.id,
            text=text,
            message_id=ctx.incoming.message_id,
        )
        for campaign in candidates
    )
    ctx.reply(_("Which campaign is this idea for?"), buttons=buttons, private=True)


@commands.action("idea_for")
def idea_campaign_chosen(ctx: Context, payload: dict) -> None:
    campaign = ctx.session.get(Campaign, payload["campaign_id"])
    if campaign is None or campaign.status != "open":
        raise UserError(ctx._("This campaign is closed."))
    record_idea(ctx, campaign, payload["text"], payload.get("message_id"))


def record_hashtag_message(ctx: Context) -> bool:
    """A message naming open campaigns' hashtags becomes an idea in each; False if it names none."""
    campaigns = [
        campaign for tag in find_hashtags(ctx.incoming.text) if (campaign := open_campaign(ctx, tag))
    ]
    if not campaigns:
        return False
    text = validated_idea_text(ctx, ctx.incoming.text)
    for campaign in campaigns:
        record_idea(ctx, campaign, text, ctx.incoming.message_id)
    return True


def apply_edit(ctx: Context) -> None:
    """An edited message that recorded ideas updates their text; an edit that adds a hashtag shares it.

    Other edits are ignored, as are edits by anyone but the idea's author.
    """
    incoming = ctx.incoming
    parsed = (incoming.command, incoming.args) if incoming.command else parse_command(incoming.text)
    if parsed is not None and parsed[0] != "idea":
        return
    address = incoming.address
    edited = ctx.session.exec(
        select(Idea)
        .where(
            Idea.source_platform == address.platform,
            Idea.source_chat_id == address.chat_id,
            Idea.source_message_id == incoming.message_id,
            Idea.member_id == ctx.member.id,
        )
        .order_by(col(Idea.id))
    ).all()
    if not edited:
        if parsed is None:
            record_hashtag_message(ctx)
        return
    rewrite_ideas(ctx, edited, validated_idea_text(ctx, parsed[1] if parsed else incoming.text))


def rewrite_ideas(ctx: Context, edited: list[Idea], text: str) -> None:
    """New words for ideas (an edited message, /edit), and a vector for them.

    The old vectors are deleted, for every model: an idea without a vector is what the background
    embedding looks for (see `Core.embed_missing`), so one missed now is computed later.
    """
    vector = idea_vector(ctx, text)
    index = ctx.index
    for idea in edited:
        idea.text = text
        ctx.session.execute(delete(IdeaEmbedding).where(col(IdeaEmbedding.idea_id) == idea.id))
        if index is not None:
            ctx.on_commit.append(lambda idea=idea: index.removed(idea.campaign_id, idea.id))
        if idea.status == "open":
            remember_vector(ctx, idea, vector)
    ctx.reply(
        ctx.ngettext(
            "Idea {refs} updated.",
            "Ideas {refs} updated.",
            len(edited),
            refs=", ".join(idea_ref(idea) for idea in edited),
        )
    )


@commands.command(
    "edit",
    N_("Change the words of one of your ideas"),
    N_("/edit <idea id> <new text>"),
    options=(
        Option("idea", N_("The idea's id, such as i12"), required=True),
        Option("text", N_("Its new words"), required=True),
    ),
)
def edit_command(ctx: Context, args: str) -> None:
    ref, _space, text = args.partition(" ")
    idea = idea_by_ref(ctx, ref)
    _require_author(ctx, idea)
    if not idea.in_sight:
        raise UserError(ctx._("Idea {ref} is out of sight: it can no longer be edited.", ref=idea_ref(idea)))
    rewrite_ideas(ctx, [idea], validated_idea_text(ctx, text))


@commands.command(
    "ideas",
    N_("Show the latest ideas, page by page"),
    N_("/ideas [#hashtag] [page]"),
    options=(HASHTAG_OPTION, Option("page", N_("Page number; 1 is the newest ideas"), OptionKind.INTEGER)),
)
def list_ideas(ctx: Context, args: str) -> None:
    campaign, rest = resolve_campaign(ctx, args)
    page = 1
    if rest:
        if not rest.isdigit() or int(rest) < 1:
            raise UsageError(ctx._("The page must be a number, such as /ideas 2."))
        page = int(rest)
    show_ideas_page(ctx, campaign, page)


@commands.action("ideas_page")
def ideas_page_pressed(ctx: Context, payload: dict) -> None:
    campaign = ctx.session.get(Campaign, payload["campaign_id"])
    if campaign is None:
        raise UserError(ctx._("This campaign is closed."))
    show_ideas_page(ctx, campaign, int(payload["page"]))


def show_ideas_page(ctx: Context, campaign: Campaign, page: int) -> None:
    _ = ctx._
    listed = (Idea.campaign_id == campaign.id, Idea.shown())
    total = ctx.session.exec(select(func.count()).where(*listed)).one()
    if total == 0:
        ctx.reply(_("No ideas yet in #{hashtag}. Be the first: /idea <your idea>.", hashtag=campaign.hashtag))
        return
    pages = (total + IDEAS_PAGE_SIZE - 1) // IDEAS_PAGE_SIZE
    if page > pages:
        raise UserError(_("There are only {pages} pages of ideas.", pages=pages))
    rows = ctx.session.exec(
        select(Idea, Member.pseudonym)
        .join(Member, col(Member.id) == col(Idea.member_id), isouter=True)
        .where(*listed)
        .order_by(col(Idea.created_at).desc(), col(Idea.id).desc())
        .offset((page - 1) * IDEAS_PAGE_SIZE)
        .limit(IDEAS_PAGE_SIZE)
    ).all()
    lines = [
        _(
            "Ideas in #{hashtag} (page {page} of {pages}, newest first):",
            hashtag=campaign.hashtag,
            page=page,
            pages=pages,
        )
    ]
    for idea, pseudonym in rows:
        author = pseudonym or _("a former member")
        lines.append(f"{idea_ref(idea)} · {author}: {shorten(idea.text, IDEA_PREVIEW_WIDTH)}")
    buttons = vote_buttons(ctx, [idea for idea, _pseudonym in rows])
    if page < pages:
        buttons += (ctx.button(_("Older ideas"), "ideas_page", campaign_id=campaign.id, page=page + 1),)
    ctx.reply("\n".join(lines), buttons=buttons)
