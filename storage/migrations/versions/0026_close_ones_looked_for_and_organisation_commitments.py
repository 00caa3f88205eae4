"""an offer or a need remembers when its close ones were looked for; commitments of organisations

A post made while the model loads is answered later with its close ones; the moment they were looked
for is kept, so that a start after a crash looks for those still waiting, and for no other. Posts stored
before this revision count as looked for when they were posted.

A commitment can be made in the name of an organisation, as offers, needs and pledges are.

Revision ID: 0026
Revises: 0025
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.kernel

revision: str = '0026'
down_revision: str | None = '0025'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('exchangepost', schema=None) as batch_op:
        batch_op.add_column(sa.Column('close_looked_at', storage.kernel.UTCDateTime(), nullable=True))
    op.execute('UPDATE exchangepost SET close_looked_at = created_at')
    op.create_table(
        'organisationcommitment',
        sa.Column('commitment_id', sa.Integer(), nullable=False),
        sa.Column('organisation_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['commitment_id'], ['commitment.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('commitment_id'),
    )
    with op.batch_alter_table('organisationcommitment', schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f('ix_organisationcommitment_organisation_id'), ['organisation_id'], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table('organisationcommitment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_organisationcommitment_organisation_id'))
    op.drop_table('organisationcommitment')
    with op.batch_alter_table('exchangepost', schema=None) as batch_op:
        batch_op.drop_column('close_looked_at')
