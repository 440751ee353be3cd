"""security checkup: password flags, reviewed failed sign-ins, devices confirmed by the owner

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-25 08:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('accounts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('password_weak', sa.Boolean(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('password_from_recovery', sa.Boolean(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('failures_reviewed_at', sa.DateTime(timezone=True), nullable=True))

    with op.batch_alter_table('devices', schema=None) as batch_op:
        batch_op.add_column(sa.Column('confirmed_at', sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table('devices', schema=None) as batch_op:
        batch_op.drop_column('confirmed_at')

    with op.batch_alter_table('accounts', schema=None) as batch_op:
        batch_op.drop_column('failures_reviewed_at')
        batch_op.drop_column('password_from_recovery')
        batch_op.drop_column('password_weak')
