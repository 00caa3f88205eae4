"""idea embeddings and supports

Revision ID: 0005
Revises: 0004
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import storage.models


revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "ideaembedding",
        sa.Column("idea_id", sa.Integer(), nullable=False),
        sa.Column("model", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("vector", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", storage.models.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["idea_id"], ["idea.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("idea_id", "model"),
    )
    op.create_table(
        "ideasupport",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("idea_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("created_at", storage.models.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["idea_id"], ["idea.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["member_id"], ["member.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("idea_id", "member_id"),
    )
    with op.batch_alter_table("ideasupport", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_ideasupport_idea_id"), ["idea_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_ideasupport_member_id"), ["member_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("ideasupport", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ideasupport_member_id"))
        batch_op.drop_index(batch_op.f("ix_ideasupport_idea_id"))

    op.drop_table("ideasupport")
    op.drop_table("ideaembedding")
