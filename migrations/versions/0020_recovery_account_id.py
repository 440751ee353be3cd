"""A staff-approved recovery remembers the directory's id of the account it gives back

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-04 18:30:00

`verification_requests.account_id` (String(64), nullable, indexed). Approved requests already in
the table (on hold, paused, completed, cancelled) are bound to the account their address names
now, as the approval would have bound them; the others are bound when staff approve them.
"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None

APPROVED = ("on-hold", "paused", "completed", "cancelled")


def upgrade():
    with op.batch_alter_table("verification_requests") as batch:
        batch.add_column(sa.Column("account_id", sa.String(length=64), nullable=True))
        batch.create_index("ix_verification_requests_account_id", ["account_id"])
    requests = sa.table(
        "verification_requests",
        sa.column("account_id", sa.String),
        sa.column("account_email", sa.String),
        sa.column("status", sa.String),
    )
    accounts = sa.table("accounts", sa.column("id", sa.String), sa.column("email", sa.String))
    op.execute(
        requests.update()
        .where(requests.c.status.in_(APPROVED))
        .values(
            account_id=sa.select(accounts.c.id)
            .where(accounts.c.email == requests.c.account_email)
            .scalar_subquery()
        )
    )


def downgrade():
    with op.batch_alter_table("verification_requests") as batch:
        batch.drop_index("ix_verification_requests_account_id")
        batch.drop_column("account_id")
