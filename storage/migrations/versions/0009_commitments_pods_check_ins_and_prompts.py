"""commitments pods check-ins and prompts sent once

Revision ID: 0009
Revises: 0008
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import storage.models


revision: str = '0009'
down_revision: str | None = '0008'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('sentprompt',
    sa.Column('key', sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=True),
    sa.Column('created_at', storage.models.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['member_id'], ['member.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('key')
    )
    with op.batch_alter_table('sentprompt', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sentprompt_member_id'), ['member_id'], unique=False)

    op.create_table('commitment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=True),
    sa.Column('action', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('progress_percent', sa.Integer(), nullable=False),
    sa.Column('progress_note', sa.Text(), nullable=True),
    sa.Column('theme_id', sa.Integer(), nullable=True),
    sa.Column('prototype_id', sa.Integer(), nullable=True),
    sa.Column('remind_at', storage.models.UTCDateTime(), nullable=True),
    sa.Column('follow_up_at', storage.models.UTCDateTime(), nullable=True),
    sa.Column('created_at', storage.models.UTCDateTime(), nullable=False),
    sa.Column('updated_at', storage.models.UTCDateTime(), nullable=False),
    sa.Column('done_at', storage.models.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaign.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['member_id'], ['member.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('commitment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_commitment_campaign_id'), ['campaign_id'], unique=False)
        batch_op.create_index('ix_commitment_member_status', ['member_id', 'status'], unique=False)
        batch_op.create_index(batch_op.f('ix_commitment_prototype_id'), ['prototype_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_commitment_theme_id'), ['theme_id'], unique=False)

    op.create_table('podschedule',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=True),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('rotate_days', sa.Integer(), nullable=True),
    sa.Column('next_rotation_at', storage.models.UTCDateTime(), nullable=True),
    sa.Column('rotation', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaign.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('campaign_id')
    )
    op.create_table('pod',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('schedule_id', sa.Integer(), nullable=False),
    sa.Column('rotation', sa.Integer(), nullable=False),
    sa.Column('cadence_days', sa.Integer(), nullable=False),
    sa.Column('formed_at', storage.models.UTCDateTime(), nullable=False),
    sa.Column('ended_at', storage.models.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['schedule_id'], ['podschedule.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('pod', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_pod_schedule_id'), ['schedule_id'], unique=False)

    op.create_table('checkin',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('pod_id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('sequence', sa.Integer(), nullable=False),
    sa.Column('sent_at', storage.models.UTCDateTime(), nullable=False),
    sa.Column('remind_at', storage.models.UTCDateTime(), nullable=True),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('answered_at', storage.models.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['member_id'], ['member.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['pod_id'], ['pod.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('checkin', schema=None) as batch_op:
        batch_op.create_index('ix_checkin_pod_member', ['pod_id', 'member_id'], unique=False)

    op.create_table('podmember',
    sa.Column('pod_id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('next_checkin_at', storage.models.UTCDateTime(), nullable=True),
    sa.Column('checkins_sent', sa.Integer(), nullable=False),
    sa.Column('missed', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['member_id'], ['member.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['pod_id'], ['pod.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('pod_id', 'member_id')
    )
    with op.batch_alter_table('podmember', schema=None) as batch_op:
        batch_op.create_index('ix_podmember_next', ['next_checkin_at'], unique=False)

    with op.batch_alter_table('member', schema=None) as batch_op:
        batch_op.add_column(sa.Column('quiet_hours', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True))
        batch_op.add_column(sa.Column('paused_until', storage.models.UTCDateTime(), nullable=True))



def downgrade() -> None:
    with op.batch_alter_table('member', schema=None) as batch_op:
        batch_op.drop_column('paused_until')
        batch_op.drop_column('quiet_hours')

    with op.batch_alter_table('podmember', schema=None) as batch_op:
        batch_op.drop_index('ix_podmember_next')

    op.drop_table('podmember')
    with op.batch_alter_table('checkin', schema=None) as batch_op:
        batch_op.drop_index('ix_checkin_pod_member')

    op.drop_table('checkin')
    with op.batch_alter_table('pod', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_pod_schedule_id'))

    op.drop_table('pod')
    op.drop_table('podschedule')
    with op.batch_alter_table('commitment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_commitment_theme_id'))
        batch_op.drop_index(batch_op.f('ix_commitment_prototype_id'))
        batch_op.drop_index('ix_commitment_member_status')
        batch_op.drop_index(batch_op.f('ix_commitment_campaign_id'))

    op.drop_table('commitment')
    with op.batch_alter_table('sentprompt', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sentprompt_member_id'))

    op.drop_table('sentprompt')
