"""the web dashboard's signing secret, single-use links and sessions, and public campaign pages

A facilitator opens the dashboard with a signed link that works once within 10 minutes; it starts a
session whose cookie is stored only as a hash. A campaign's public page shows once /public on is said.

Revision ID: 0024
Revises: 0023
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.kernel


revision: str = '0024'
down_revision: str | None = '0023'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'dashboardsecret',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('secret', sa.String(length=128), nullable=False),
        sa.Column('created_at', storage.kernel.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_table(
        'dashboardlink',
        sa.Column('token', sa.String(length=64), nullable=False),
        sa.Column('member_id', sa.Integer(), nullable=False),
        sa.Column('campaign_id', sa.Integer(), nullable=False),
        sa.Column('expires_at', storage.kernel.UTCDateTime(), nullable=False),
        sa.Column('used_at', storage.kernel.UTCDateTime(), nullable=True),
        sa.Column('created_at', storage.kernel.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['campaign_id'], ['campaign.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['member_id'], ['member.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('token'),
    )
    op.create_index(op.f('ix_dashboardlink_member_id'), 'dashboardlink', ['member_id'], unique=False)
    op.create_table(
        'dashboardsession',
        sa.Column('token_hash', sa.String(length=64), nullable=False),
        sa.Column('member_id', sa.Integer(), nullable=False),
        sa.Column('expires_at', storage.kernel.UTCDateTime(), nullable=False),
        sa.Column('created_at', storage.kernel.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['member_id'], ['member.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('token_hash'),
    )
    op.create_index(op.f('ix_dashboardsession_member_id'), 'dashboardsession', ['member_id'], unique=False)
    op.create_table(
        'publicpage',
        sa.Column('campaign_id', sa.Integer(), nullable=False),
        sa.Column('created_at', storage.kernel.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['campaign_id'], ['campaign.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('campaign_id'),
    )


def downgrade() -> None:
    op.drop_table('publicpage')
    op.drop_index(op.f('ix_dashboardsession_member_id'), table_name='dashboardsession')
    op.drop_table('dashboardsession')
    op.drop_index(op.f('ix_dashboardlink_member_id'), table_name='dashboardlink')
    op.drop_table('dashboardlink')
    op.drop_table('dashboardsecret')
