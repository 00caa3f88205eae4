"""opinion group state per campaign

The last opinion groups computed for a campaign (algorithm, seed, the votes read, the state given and
returned), so that the next computation keeps the number of groups and their ids stable.

Revision ID: 0017
Revises: 0016
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import storage.kernel


revision: str = '0017'
down_revision: str | None = '0016'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('opiniongroupstate',
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('algorithm', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('seed', sa.Integer(), nullable=False),
    sa.Column('votes_key', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('previous_state', sa.JSON(), nullable=False),
    sa.Column('state', sa.JSON(), nullable=False),
    sa.Column('computed_at', storage.kernel.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaign.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('campaign_id')
    )


def downgrade() -> None:
    op.drop_table('opiniongroupstate')
