"""handles name people, and link tokens are marked

A person is named by platform id or by a handle the platform keeps unique (Telegram's @username), never by
a display name: identities keep their handle. A button token records whether it was made to be shared as a
link, so that a shared link runs only those; the invitations' Join buttons, the only ones made so until
now, are marked, so that invitation links already posted keep working.

Revision ID: 0015
Revises: 0014
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = '0015'
down_revision: str | None = '0014'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('buttonaction', schema=None) as batch_op:
        batch_op.add_column(sa.Column('link', sa.Boolean(), server_default=sa.false(), nullable=False))
    op.execute(sa.text("UPDATE buttonaction SET link = :yes WHERE action = 'join'").bindparams(yes=True))

    with op.batch_alter_table('identity', schema=None) as batch_op:
        batch_op.add_column(sa.Column('username', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True))
        batch_op.create_index(batch_op.f('ix_identity_username'), ['username'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('identity', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_identity_username'))
        batch_op.drop_column('username')

    with op.batch_alter_table('buttonaction', schema=None) as batch_op:
        batch_op.drop_column('link')
