"""Rounds (and the round of each idea), votes, prototypes with versions and feedback, contributor notices

Revision ID: 0008
Revises: 0007
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import storage.models


revision: str = '0008'
down_revision: str | None = '0007'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('contributornotice',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('details', sa.JSON(), nullable=False),
    sa.Column('created_at', storage.models.UTCDateTime(), nullable=False),
    sa.Column('sent_at', storage.models.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['member_id'], ['member.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('contributornotice', schema=None) as batch_op:
        batch_op.create_index('ix_notice_member_sent', ['member_id', 'sent_at'], unique=False)

    op.create_table('round',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('prompt', sa.Text(), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('opened_by_member_id', sa.Integer(), nullable=True),
    sa.Column('opened_at', storage.models.UTCDateTime(), nullable=False),
    sa.Column('closes_at', storage.models.UTCDateTime(), nullable=False),
    sa.Column('reminded_at', storage.models.UTCDateTime(), nullable=True),
    sa.Column('closed_at', storage.models.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaign.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['opened_by_member_id'], ['member.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('round', schema=None) as batch_op:
        batch_op.create_index('ix_round_campaign_status', ['campaign_id', 'status'], unique=False)

    op.create_table('ideavote',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('idea_id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('choice', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('created_at', storage.models.UTCDateTime(), nullable=False),
    sa.Column('updated_at', storage.models.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['idea_id'], ['idea.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['member_id'], ['member.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('idea_id', 'member_id')
    )
    with op.batch_alter_table('ideavote', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ideavote_idea_id'), ['idea_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_ideavote_member_id'), ['member_id'], unique=False)

    op.create_table('prototype',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('title', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('idea_id', sa.Integer(), nullable=True),
    sa.Column('theme_id', sa.Integer(), nullable=True),
    sa.Column('created_by_member_id', sa.Integer(), nullable=True),
    sa.Column('created_at', storage.models.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaign.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['created_by_member_id'], ['member.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['idea_id'], ['idea.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['theme_id'], ['theme.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('prototype', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_prototype_campaign_id'), ['campaign_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_prototype_theme_id'), ['theme_id'], unique=False)

    op.create_table('prototypemember',
    sa.Column('prototype_id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('joined_at', storage.models.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['member_id'], ['member.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['prototype_id'], ['prototype.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('prototype_id', 'member_id')
    )
    op.create_table('prototypeversion',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('prototype_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('changes', sa.Text(), nullable=False),
    sa.Column('author_member_id', sa.Integer(), nullable=True),
    sa.Column('created_at', storage.models.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['author_member_id'], ['member.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['prototype_id'], ['prototype.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('prototype_id', 'number')
    )
    with op.batch_alter_table('prototypeversion', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_prototypeversion_prototype_id'), ['prototype_id'], unique=False)

    op.create_table('feedback',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=True),
    sa.Column('rating', sa.Integer(), nullable=False),
    sa.Column('text', sa.Text(), nullable=True),
    sa.Column('created_at', storage.models.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['member_id'], ['member.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['version_id'], ['prototypeversion.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('feedback', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_feedback_member_id'), ['member_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_feedback_version_id'), ['version_id'], unique=False)

    with op.batch_alter_table('idea', schema=None) as batch_op:
        batch_op.add_column(sa.Column('round_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_idea_round_id'), ['round_id'], unique=False)
        batch_op.create_foreign_key('fk_idea_round_id_round', 'round', ['round_id'], ['id'], ondelete='SET NULL')



def downgrade() -> None:
    with op.batch_alter_table('idea', schema=None) as batch_op:
        batch_op.drop_constraint('fk_idea_round_id_round', type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_idea_round_id'))
        batch_op.drop_column('round_id')

    with op.batch_alter_table('feedback', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_feedback_version_id'))
        batch_op.drop_index(batch_op.f('ix_feedback_member_id'))

    op.drop_table('feedback')
    with op.batch_alter_table('prototypeversion', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_prototypeversion_prototype_id'))

    op.drop_table('prototypeversion')
    op.drop_table('prototypemember')
    with op.batch_alter_table('prototype', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_prototype_theme_id'))
        batch_op.drop_index(batch_op.f('ix_prototype_campaign_id'))

    op.drop_table('prototype')
    with op.batch_alter_table('ideavote', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ideavote_member_id'))
        batch_op.drop_index(batch_op.f('ix_ideavote_idea_id'))

    op.drop_table('ideavote')
    with op.batch_alter_table('round', schema=None) as batch_op:
        batch_op.drop_index('ix_round_campaign_status')

    op.drop_table('round')
    with op.batch_alter_table('contributornotice', schema=None) as batch_op:
        batch_op.drop_index('ix_notice_member_sent')

    op.drop_table('contributornotice')
