"""Intelligence's tables: ideas' embeddings, the themes computed from them, and where each idea was placed."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from storage.kernel import timestamp_field


class IdeaEmbedding(SQLModel, table=True):
    """An idea's sentence embedding for one model: float32 little-endian bytes, L2-normalised.

    Computed once per idea and model; a change of model adds rows for the new one in the background.
    """

    idea_id: int = Field(foreign_key="idea.id", primary_key=True, ondelete="CASCADE")
    model: str = Field(primary_key=True, max_length=200)
    vector: bytes = Field(sa_type=sa.LargeBinary)
    created_at: datetime = timestamp_field()


THEME_LABEL_MAX_LENGTH = 200


class Theme(SQLModel, table=True):
    """A group of a campaign's ideas close in meaning, as last computed; `parent_id` is set on sub-themes.

    The id stays when themes are recomputed and the group is mostly the same ideas; a theme that no
    longer matches any group is kept, with `status` "retired", so that links to it still resolve.
    """

    __table_args__ = (sa.Index("ix_theme_campaign_status", "campaign_id", "status"),)

    id: int | None = Field(default=None, primary_key=True)
    campaign_id: int = Field(foreign_key="campaign.id", ondelete="CASCADE")
    parent_id: int | None = Field(default=None, foreign_key="theme.id", ondelete="CASCADE")
    label: str = Field(max_length=THEME_LABEL_MAX_LENGTH)
    label_source: dict = Field(default_factory=dict, sa_type=sa.JSON)
    """How the label was picked by the program: {"method": "phrase" (found in its ideas) or "opening"
    (the opening words of its most central idea), "ideas": the ids of the ideas it was taken from}."""
    keywords: list[str] = Field(default_factory=list, sa_type=sa.JSON)
    idea_count: int = 0
    representative_idea_ids: list[int] = Field(default_factory=list, sa_type=sa.JSON)
    status: str = Field(default="active", max_length=16)
    computed_at: datetime = timestamp_field()
    created_at: datetime = timestamp_field()


class IdeaTheme(SQLModel, table=True):
    """Where an idea was placed when themes were last computed: no theme means "other".

    Ideas posted since have no row yet; a merged idea has none of its own (it counts with the idea it joined).
    """

    idea_id: int = Field(foreign_key="idea.id", primary_key=True, ondelete="CASCADE")
    theme_id: int | None = Field(default=None, foreign_key="theme.id", index=True, ondelete="CASCADE")
    subtheme_id: int | None = Field(default=None, foreign_key="theme.id", ondelete="SET NULL")


class ThemesFingerprint(SQLModel, table=True):
    """What a campaign's stored themes were computed from: a digest of its visible ideas (ids, words,
    merges) and the model. While the ideas give the same digest, the stored themes still hold and /themes
    answers from them instead of grouping thousands of ideas again."""

    campaign_id: int = Field(foreign_key="campaign.id", primary_key=True, ondelete="CASCADE")
    fingerprint: str = Field(max_length=64)
    computed_at: datetime = timestamp_field()
