"""rounds remember the chat they were opened from

A round opened in a chat no campaign is bound to (the console before /invite, a private chat) sends its
reminder and closing digest there too. Rounds opened before keep none: they post in bound chats only.

Revision ID: 0014
Revises: 0013
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op



revision: str = '0014'
down_revision: str | None = '0013'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('round', schema=None) as batch_op:
        batch_op.add_column(sa.Column('opened_in', sa.JSON(), nullable=True))



def downgrade() -> None:
    with op.batch_alter_table('round', schema=None) as batch_op:
        batch_op.drop_column('opened_in')

