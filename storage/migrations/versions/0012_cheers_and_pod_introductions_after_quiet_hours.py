"""cheers and pod introductions that wait for the member's pause and quiet hours

A peer's cheer is stored and delivered after the cheered member's quiet hours; a pod member's introduction
keeps the moment it goes out. Existing pod members were introduced already: `introduce_at` stays empty.

Revision ID: 0012
Revises: 0009
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.models


revision: str = '0012'
down_revision: str | None = '0009'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('cheer',
    sa.Column('checkin_id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('created_at', storage.models.UTCDateTime(), nullable=False),
    sa.Column('deliver_at', storage.models.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['checkin_id'], ['checkin.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['member_id'], ['member.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('checkin_id', 'member_id')
    )
    with op.batch_alter_table('cheer', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_cheer_deliver_at'), ['deliver_at'], unique=False)

    with op.batch_alter_table('podmember', schema=None) as batch_op:
        batch_op.add_column(sa.Column('introduce_at', storage.models.UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('podmember', schema=None) as batch_op:
        batch_op.drop_column('introduce_at')

    with op.batch_alter_table('cheer', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_cheer_deliver_at'))

    op.drop_table('cheer')
