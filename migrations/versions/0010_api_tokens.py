"""JSON API: a diagnosis's bearer token (hash) and its used "continue in a browser" links

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-25 09:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('diagnoses', schema=None) as batch_op:
        batch_op.add_column(sa.Column('api_token_hash', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('browser_handoffs', sa.Integer(), server_default='0', nullable=False))


def downgrade():
    with op.batch_alter_table('diagnoses', schema=None) as batch_op:
        batch_op.drop_column('browser_handoffs')
        batch_op.drop_column('api_token_hash')
