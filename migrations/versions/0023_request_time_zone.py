"""Time zones: a recovery request keeps the time zone the person's browser named

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-04 22:10:00

One nullable column, `verification_requests.time_zone`: the IANA time zone ("America/Mexico_City")
the browser reported when the person asked (checked against the zones this machine knows), so the
mails sent later about the request write their times in it, with UTC beside them. Existing rows
carry over with NULL: no zone known, their mails in UTC as until now.
"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("verification_requests") as batch:
        batch.add_column(sa.Column("time_zone", sa.String(length=64), nullable=True))


def downgrade():
    with op.batch_alter_table("verification_requests") as batch:
        batch.drop_column("time_zone")
