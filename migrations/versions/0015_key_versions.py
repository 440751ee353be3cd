"""Stored hashes name their key version and recovery codes carry a salt: wider hash columns

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-04 09:10:00

Existing rows carry over unchanged: a hash without a version label was made before versions
and is still recognised (helpdesk/keys.py, accounts/two_factor.py, cases/verification/hashing.py).
"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

WIDER = (
    ("recovery_codes", "code_hash", 64, 128),
    ("verification_requests", "contact_code_hash", 64, 80),
    ("verification_requests", "cancel_token_hash", 64, 80),
    ("verification_requests", "reset_token_hash", 64, 80),
)


def upgrade():
    for table, column, before, after in WIDER:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column(
                column,
                existing_type=sa.String(length=before),
                type_=sa.String(length=after),
                existing_nullable=False,
            )


def downgrade():
    # a versioned hash does not fit the old width: such rows would have to go first
    for table, column, before, after in WIDER:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column(
                column,
                existing_type=sa.String(length=after),
                type_=sa.String(length=before),
                existing_nullable=False,
            )
