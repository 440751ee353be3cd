"""Account ids become opaque strings (the directory's id: an LDAP entryUUID, a database id)

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-04 15:00:00

Existing rows carry over: an account's id becomes the string of its old number ("7"), and every
row keyed by an account (sessions, devices, sign-in history, recovery codes, reset and unlock
links) follows it, so links and sign-ins in flight keep working. New accounts of the embedded
directory get a random UUID. The password hash becomes optional: a shadow row (an account whose
password the organisation's directory keeps) has none.

Downgrade: only where every id is still a number (accounts made before this revision);
otherwise it refuses, rather than lose accounts.
"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None

KEYED = ("account_tokens", "sign_in_events", "sign_in_sessions", "devices", "recovery_codes")
ID = sa.String(length=64)


def _fk(table):
    return f"fk_{table}_account_id_accounts"


def _drop_foreign_keys():
    for table in KEYED:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(_fk(table), type_="foreignkey")


def _add_foreign_keys():
    for table in KEYED:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.create_foreign_key(_fk(table), "accounts", ["account_id"], ["id"])


def upgrade():
    postgres = op.get_bind().dialect.name == "postgresql"
    _drop_foreign_keys()
    if postgres:  # the serial's default can't become a string
        op.execute("ALTER TABLE accounts ALTER COLUMN id DROP DEFAULT")
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.alter_column(
            "id", existing_type=sa.Integer(), type_=ID, existing_nullable=False,
            postgresql_using="id::text",
        )
        batch_op.alter_column("password_hash", existing_type=sa.String(length=255), nullable=True)
    if postgres:
        op.execute("DROP SEQUENCE IF EXISTS accounts_id_seq")
    for table in KEYED:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column(
                "account_id", existing_type=sa.Integer(), type_=ID, existing_nullable=False,
                postgresql_using="account_id::text",
            )
    _add_foreign_keys()


def downgrade():
    bind = op.get_bind()
    ids = bind.execute(sa.text("SELECT id FROM accounts")).scalars().all()
    not_numbers = [i for i in ids if not (i.isascii() and i.isdigit())]
    if not_numbers:
        raise RuntimeError(
            f"0018 downgrade: {len(not_numbers)} account(s) have ids that are not numbers "
            "(made by a directory or after 0018); they cannot go back to integer ids"
        )
    if bind.execute(sa.text("SELECT count(*) FROM accounts WHERE password_hash IS NULL")).scalar():
        raise RuntimeError("0018 downgrade: shadow accounts (no password hash) cannot go back")
    postgres = bind.dialect.name == "postgresql"
    _drop_foreign_keys()
    for table in KEYED:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column(
                "account_id", existing_type=ID, type_=sa.Integer(), existing_nullable=False,
                postgresql_using="account_id::integer",
            )
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.alter_column("password_hash", existing_type=sa.String(length=255), nullable=False)
        batch_op.alter_column(
            "id", existing_type=ID, type_=sa.Integer(), existing_nullable=False,
            postgresql_using="id::integer",
        )
    if postgres:
        op.execute("CREATE SEQUENCE accounts_id_seq OWNED BY accounts.id")
        op.execute("ALTER TABLE accounts ALTER COLUMN id SET DEFAULT nextval('accounts_id_seq')")
        op.execute("SELECT setval('accounts_id_seq', COALESCE((SELECT max(id) FROM accounts), 0) + 1, false)")
    _add_foreign_keys()
