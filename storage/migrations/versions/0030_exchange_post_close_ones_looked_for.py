"""an offer or a need remembers when its close needs or offers were looked for

A post made while the model loads is answered later with its close ones; the moment they were looked
for is kept, so that a start after a crash looks for those still waiting, and for no other. Posts stored
before this revision count as looked for when they were posted.

Revision ID: 0030
Revises: 0025
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.kernel

revision: str = '0030'
down_revision: str | None = '0025'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('exchangepost', schema=None) as batch_op:
        batch_op.add_column(sa.Column('close_looked_at', storage.kernel.UTCDateTime(), nullable=True))
    op.execute('UPDATE exchangepost SET close_looked_at = created_at')


def downgrade() -> None:
    with op.batch_alter_table('exchangepost', schema=None) as batch_op:
        batch_op.drop_column('close_looked_at')
