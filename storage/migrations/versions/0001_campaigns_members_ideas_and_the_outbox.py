"""campaigns, members, ideas and the outbox

Revision ID: 0001
Revises:
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import storage.models

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "buttonaction",
        sa.Column("token", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("action", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("created_at", storage.models.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("token"),
    )
    op.create_table(
        "member",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("pseudonym", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("language", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column("timezone", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("created_at", storage.models.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("pseudonym"),
    )
    op.create_table(
        "outboxmessage",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("platform", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("address", sa.JSON(), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", storage.models.UTCDateTime(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("platform_message_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("created_at", storage.models.UTCDateTime(), nullable=False),
        sa.Column("sent_at", storage.models.UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("outboxmessage", schema=None) as batch_op:
        batch_op.create_index("ix_outbox_due", ["status", "platform", "next_attempt_at"], unique=False)

    op.create_table(
        "campaign",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("hashtag", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("title", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("challenge", sa.Text(), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("creator_member_id", sa.Integer(), nullable=True),
        sa.Column("created_at", storage.models.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["creator_member_id"], ["member.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("campaign", schema=None) as batch_op:
        batch_op.create_index(
            "uq_campaign_open_hashtag",
            ["hashtag"],
            unique=True,
            sqlite_where=sa.text("status = 'open'"),
            postgresql_where=sa.text("status = 'open'"),
        )

    op.create_table(
        "identity",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("platform", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("platform_user_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("display_name", sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
        sa.Column("created_at", storage.models.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["member_id"], ["member.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("platform", "platform_user_id"),
    )
    with op.batch_alter_table("identity", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_identity_member_id"), ["member_id"], unique=False)

    op.create_table(
        "campaignfacilitator",
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("granted_by_member_id", sa.Integer(), nullable=True),
        sa.Column("created_at", storage.models.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["campaign_id"], ["campaign.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["granted_by_member_id"], ["member.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["member_id"], ["member.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("campaign_id", "member_id"),
    )
    op.create_table(
        "chatbinding",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("platform", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("chat_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("thread_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("created_at", storage.models.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["campaign_id"], ["campaign.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("platform", "chat_id", "campaign_id"),
    )
    with op.batch_alter_table("chatbinding", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_chatbinding_campaign_id"), ["campaign_id"], unique=False)

    op.create_table(
        "idea",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("merged_into_id", sa.Integer(), nullable=True),
        sa.Column("source_platform", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("source_chat_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("source_message_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("created_at", storage.models.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["campaign_id"], ["campaign.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["member_id"], ["member.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["merged_into_id"], ["idea.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("campaign_id", "source_platform", "source_chat_id", "source_message_id"),
    )
    with op.batch_alter_table("idea", schema=None) as batch_op:
        batch_op.create_index("ix_idea_campaign_created", ["campaign_id", "created_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_idea_member_id"), ["member_id"], unique=False)

    op.create_table(
        "membership",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("joined_at", storage.models.UTCDateTime(), nullable=False),
        sa.Column("left_at", storage.models.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["campaign_id"], ["campaign.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["member_id"], ["member.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("campaign_id", "member_id"),
    )
    with op.batch_alter_table("membership", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_membership_campaign_id"), ["campaign_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_membership_member_id"), ["member_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("membership", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_membership_member_id"))
        batch_op.drop_index(batch_op.f("ix_membership_campaign_id"))

    op.drop_table("membership")
    with op.batch_alter_table("idea", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_idea_member_id"))
        batch_op.drop_index("ix_idea_campaign_created")

    op.drop_table("idea")
    with op.batch_alter_table("chatbinding", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_chatbinding_campaign_id"))

    op.drop_table("chatbinding")
    op.drop_table("campaignfacilitator")
    with op.batch_alter_table("identity", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_identity_member_id"))

    op.drop_table("identity")
    with op.batch_alter_table("campaign", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_campaign_open_hashtag",
            sqlite_where=sa.text("status = 'open'"),
            postgresql_where=sa.text("status = 'open'"),
        )

    op.drop_table("campaign")
    with op.batch_alter_table("outboxmessage", schema=None) as batch_op:
        batch_op.drop_index("ix_outbox_due")

    op.drop_table("outboxmessage")
    op.drop_table("member")
    op.drop_table("buttonaction")
