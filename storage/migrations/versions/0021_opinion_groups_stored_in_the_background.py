"""opinion groups are stored as computed in the background

The last computation's result (each member's group and place on the map, each idea's extremity) and the
time of the latest vote it read and of the first vote waiting for a recomputation join its state, so /groups and the others read it instead of computing;
the state handed to a computation asked twice over the same votes is no longer needed.

Revision ID: 0021
Revises: 0020
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.kernel


revision: str = '0021'
down_revision: str | None = '0020'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('opiniongroupstate', schema=None) as batch_op:
        batch_op.add_column(sa.Column('labels', sa.JSON(), nullable=False, server_default='{}'))
        batch_op.add_column(sa.Column('coordinates', sa.JSON(), nullable=False, server_default='{}'))
        batch_op.add_column(sa.Column('extremity', sa.JSON(), nullable=False, server_default='{}'))
        batch_op.add_column(sa.Column('votes_at', storage.kernel.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('requested_at', storage.kernel.UTCDateTime(), nullable=True))
        batch_op.alter_column('computed_at', existing_type=storage.kernel.UTCDateTime(), nullable=True)
        batch_op.drop_column('previous_state')


def downgrade() -> None:
    with op.batch_alter_table('opiniongroupstate', schema=None) as batch_op:
        batch_op.add_column(sa.Column('previous_state', sa.JSON(), nullable=False, server_default='{}'))
        batch_op.execute("UPDATE opiniongroupstate SET computed_at = CURRENT_TIMESTAMP WHERE computed_at IS NULL")
        batch_op.alter_column('computed_at', existing_type=storage.kernel.UTCDateTime(), nullable=False)
        batch_op.drop_column('requested_at')
        batch_op.drop_column('votes_at')
        batch_op.drop_column('extremity')
        batch_op.drop_column('coordinates')
        batch_op.drop_column('labels')
