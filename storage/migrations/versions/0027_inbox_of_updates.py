"""an inbox of received updates, for core workers in any process

Revision ID: 0027
Revises: 0026
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.kernel

revision: str = '0027'
down_revision: str | None = '0026'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'inboxupdate',
        sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
        sa.Column('platform', sa.String(length=32), nullable=False),
        sa.Column('update_key', sa.String(length=64), nullable=False),
        sa.Column('sender_id', sa.String(length=64), nullable=False),
        sa.Column('payload', sa.JSON(), nullable=False),
        sa.Column('received_at', storage.kernel.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('platform', 'update_key', name='uq_inboxupdate_key'),
    )
    op.create_index('ix_inboxupdate_sender', 'inboxupdate', ['platform', 'sender_id', 'id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_inboxupdate_sender', table_name='inboxupdate')
    op.drop_table('inboxupdate')
