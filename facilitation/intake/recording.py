"""Recording ideas: /idea, hashtag messages, the checks an idea passes (length, fair use, repeats) and
its vector, stored with it."""

from __future__ import annotations

import logging
import re

import numpy as np
from sqlalchemy import func
from sqlmodel import select

from facilitation.intake.close_ideas import close_ideas_section
from facilitation.intelligence.embeddings import store_embeddings
from facilitation.intelligence.similarity import MULTILINGUAL_WAIT_SECONDS, REPEAT_THRESHOLD, Match
from facilitation.kernel.context import Context
from facilitation.kernel.events import Incoming
from facilitation.kernel.fair_use import IDEAS_PER_MINUTE, WINDOW
from facilitation.kernel.hooks import PLAIN_MESSAGE, TEXTS_TO_EMBED
from facilitation.kernel.i18n import N_
from facilitation.kernel.refs import IDEA, idea_ref, parse_ref, round_ref
from facilitation.kernel.router import (
    HASHTAG_OPTION,
    CommandSet,
    Option,
    UsageError,
    UserError,
    parse_command,
)
from facilitation.kernel.text import HASHTAG_PATTERN, IDEA_MAX_LENGTH, clean_user_text, find_hashtags
from facilitation.membership.campaigns import (
    campaign_candidates,
    join,
    open_campaign,
    open_round,
    unknown_campaign,
)
from storage.models import Campaign, Idea

log = logging.getLogger(__name__)

commands = CommandSet()


def idea_by_ref(ctx: Context, ref: str) -> Idea:
    """The idea a resident names as i42 (or 42), or a clear answer that there is none."""
    parsed = parse_ref(ref, IDEA)
    idea = ctx.session.get(Idea, parsed[1]) if parsed else None
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
    if not HASHTAG_PATTERN.sub("", cleaned).strip():
        raise UsageError(
            _("Write your idea after the hashtag, e.g. /idea #parks More benches near the playground.")
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
    vector = idea_vector(ctx, text, campaign.id)
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


@commands.on(TEXTS_TO_EMBED)
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


def idea_vector(ctx: Context, text: str, campaign_id: int) -> np.ndarray | None:
    """The idea's vector from its campaign's model: encoded before the transaction (the default model),
    or now; None while the model loads."""
    if ctx.index is None:
        return None
    embedder = ctx.index.embedder_for(ctx.session, campaign_id)
    if embedder is not ctx.index.embedder:
        embedder.wait_ready(MULTILINGUAL_WAIT_SECONDS)
    if not embedder.ready:
        return None
    vector = ctx.vectors.get(text) if embedder is ctx.index.embedder else None
    if vector is None:
        try:
            vector = embedder.encode([text])[0]
        except Exception:
            log.exception("could not encode idea; recorded without close ideas")
            return None
    return vector


def remember_vector(ctx: Context, idea: Idea, vector: np.ndarray | None) -> None:
    """Store the new idea's vector, or queue it to be embedded and answered once the model is ready."""
    index = ctx.index
    if index is None:
        return
    embedder = index.embedder_for(ctx.session, idea.campaign_id)
    if embedder.failed:
        return
    if vector is None:
        incoming = ctx.incoming
        ctx.on_commit.append(lambda: index.awaiting.__setitem__(idea.id, incoming))
        return
    store_embeddings(ctx.session, [idea.id], vector[np.newaxis], embedder.name)
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


@commands.command(
    "idea",
    N_("Share an idea with the campaign"),
    N_("/idea [#hashtag] <your idea>"),
    options=(HASHTAG_OPTION, Option("idea", N_("Your idea, in your own words"), required=True)),
)
def idea_command(ctx: Context, args: str) -> None:
    _ = ctx._
    first_word = args.split(maxsplit=1)[0] if args.split() else ""
    if HASHTAG_PATTERN.fullmatch(first_word) and open_campaign(ctx, first_word) is None:
        raise unknown_campaign(ctx, first_word)  # a leading #hashtag names the campaign: it must exist
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


@commands.on(PLAIN_MESSAGE)
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
