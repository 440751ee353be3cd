"""Reset links count the wrong codes typed with them (a link dies after a few)

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-04 08:20:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('account_tokens', schema=None) as batch_op:
        batch_op.add_column(sa.Column('wrong_codes', sa.Integer(), server_default='0', nullable=False))


def downgrade():
    with op.batch_alter_table('account_tokens', schema=None) as batch_op:
        batch_op.drop_column('wrong_codes')
