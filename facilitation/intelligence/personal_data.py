"""What intelligence keeps of a forgotten member's words: theme labels and keywords drawn from their
deleted ideas, quotes of them among a theme's representatives, and theme maps drawn earlier.

Nothing here is about a member as such (/me has nothing to list): the part serves /forget.
"""

from __future__ import annotations

from pathlib import Path

from sqlmodel import col, select

from facilitation.intelligence.theme_labels import label_from_keywords
from facilitation.intelligence.themes import THEME_MAPS_FOLDER
from facilitation.kernel.context import Context
from facilitation.kernel.hooks import Forgetting, PersonalData
from facilitation.kernel.router import CommandSet
from storage.models import Campaign, Idea, Theme

commands = CommandSet()


def describe(ctx: Context) -> list[str]:
    return []


def erase(ctx: Context, forgetting: Forgetting) -> None:
    """Once the member's ideas are deleted, themes of their campaigns lose the keywords only those ideas
    had, and quotes of them; the label becomes the first keyword left, and the old one is noted, so that
    messages quoting it lose it too."""
    if forgetting.keep_contributions or not forgetting.words:
        return
    session = ctx.session
    deleted = " ".join(forgetting.words).casefold()
    themes = session.exec(select(Theme).where(col(Theme.campaign_id).in_(forgetting.campaign_ids))).all()
    for campaign_id in {theme.campaign_id for theme in themes}:
        left = dict(session.exec(select(Idea.id, Idea.text).where(Idea.campaign_id == campaign_id)).all())
        remaining = " ".join(left.values()).casefold()
        existing = set(left)
        for theme in (theme for theme in themes if theme.campaign_id == campaign_id):
            keywords = [
                word
                for word in theme.keywords
                if word.casefold() not in deleted or word.casefold() in remaining
            ]
            theme.representative_idea_ids = [i for i in theme.representative_idea_ids if i in existing]
            sources = theme.label_source.get("ideas", [])
            if keywords != theme.keywords or any(idea_id not in existing for idea_id in sources):
                forgetting.words.add(theme.label)
                theme.keywords = keywords
                theme.label, theme.label_source = label_from_keywords(keywords, left)
            session.add(theme)


def files(ctx: Context, forgetting: Forgetting) -> list[Path]:
    """Theme maps of the member's campaigns: their legends hold theme labels."""
    hashtags = ctx.session.exec(
        select(Campaign.hashtag).where(col(Campaign.id).in_(forgetting.campaign_ids))
    ).all()
    folder = ctx.config.data_dir / THEME_MAPS_FOLDER
    return [path for hashtag in hashtags for path in folder.glob(f"{hashtag}-*")]


commands.holds(PersonalData(tables=("theme",), describe=describe, erase=erase, files=files))
