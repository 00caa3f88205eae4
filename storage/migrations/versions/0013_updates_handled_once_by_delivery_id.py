"""updates handled once, by their delivery id

Each handled update leaves its platform's delivery id (Telegram's update_id, a Discord message or
interaction id), so that a delivery seen again after a crash or a retried webhook changes nothing twice.

Revision ID: 0013
Revises: 0012
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import storage.kernel


revision: str = '0013'
down_revision: str | None = '0012'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('handledupdate',
    sa.Column('platform', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('update_key', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('chat_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('handled_at', storage.kernel.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('platform', 'update_key')
    )
    with op.batch_alter_table('handledupdate', schema=None) as batch_op:
        batch_op.create_index('ix_handledupdate_chat', ['platform', 'chat_id', 'handled_at'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('handledupdate', schema=None) as batch_op:
        batch_op.drop_index('ix_handledupdate_chat')

    op.drop_table('handledupdate')
