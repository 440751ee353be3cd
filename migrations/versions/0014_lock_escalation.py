"""Lock escalation survives an unlock: lock level, when the last lock began, its failure count

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-04 09:15:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('accounts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('lock_level', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('last_locked_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('lock_failures', sa.Integer(), nullable=True))
    # existing rows carry over: an account with 5k consecutive failures has had k locks (at the
    # default threshold of 5), the current one begun by the 5k-th failure; a lock running now
    # dates its level from its end (the hard stop, with no end, decays only once unlocked)
    op.execute(
        "UPDATE accounts SET lock_level = failed_count / 5, lock_failures = (failed_count / 5) * 5, "
        "last_locked_at = locked_until WHERE failed_count >= 5"
    )


def downgrade():
    with op.batch_alter_table('accounts', schema=None) as batch_op:
        batch_op.drop_column('lock_failures')
        batch_op.drop_column('last_locked_at')
        batch_op.drop_column('lock_level')
