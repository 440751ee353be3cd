"""A sign-in session remembers when its person last proved it was them ("Confirm it's you")

Revision ID: 0013
Revises: 0011
Create Date: 2026-12-04 09:15:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0013'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade():
    # existing sessions carry over with no proof on record: their next factor change asks for one
    with op.batch_alter_table('sign_in_sessions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reauthenticated_at', sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table('sign_in_sessions', schema=None) as batch_op:
        batch_op.drop_column('reauthenticated_at')
