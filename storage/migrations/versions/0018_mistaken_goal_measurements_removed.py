"""a mistaken goal measurement can be removed

A facilitator's /goal <name> remove marks the latest value removed: it leaves counts, charts and open data
and stays in the history.

Revision ID: 0018
Revises: 0017
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.kernel


revision: str = '0018'
down_revision: str | None = '0017'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('goalmeasurement', schema=None) as batch_op:
        batch_op.add_column(sa.Column('removed_at', storage.kernel.UTCDateTime(), nullable=True))



def downgrade() -> None:
    with op.batch_alter_table('goalmeasurement', schema=None) as batch_op:
        batch_op.drop_column('removed_at')

