"""Languages: a recovery request keeps the language the person asked in

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-04 21:20:00

One column, `verification_requests.language`: the language (one of HELPDESK_LANGUAGES) of the
pages the person used to ask, so the mails sent later about the request (the code again, the link
after the waiting period) are written in it. Existing rows carry over with "" (the default
language, as every mail was until now).
"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("verification_requests") as batch:
        batch.add_column(sa.Column("language", sa.String(length=8), nullable=False, server_default=""))


def downgrade():
    with op.batch_alter_table("verification_requests") as batch:
        batch.drop_column("language")
