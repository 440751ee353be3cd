"""Evidence kept where every machine reaches it: the evidence_files table (the default store)

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-04 12:10:00

Existing rows carry over: every file in this machine's instance/evidence that an evidence row
names is copied into the table as it is (sealed, or plaintext if it was stored before encryption:
`flask keys rotate` seals those). The files are LEFT on disk: the migration's transaction may
still roll back, and a migration must not delete what it cannot put back. `flask cases
import-evidence` (run after the upgrade, on every machine that took uploads) copies what this
migration could not see and deletes each file once the store gives back exactly its bytes.
With HELPDESK_EVIDENCE_STORE=s3 nothing is copied here: `flask cases import-evidence` moves the
files into the bucket.
"""

from pathlib import Path

from alembic import op
import sqlalchemy as sa
from flask import current_app


# revision identifiers, used by Alembic.
revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade():
    files = op.create_table(
        "evidence_files",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("sealed", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )
    folder = _old_folder()
    if folder is None:
        return
    bind = op.get_bind()
    names = bind.execute(sa.text("SELECT stored_name FROM evidence")).scalars().all()
    copied = 0
    for name in names:
        path = folder / name
        if path.is_file():
            data = path.read_bytes()
            bind.execute(files.insert().values(name=name, sealed=data))
            copied += 1
    if copied:
        print(f"0017: {copied} evidence file(s) copied from {folder} into evidence_files (left on disk:"
              " `flask cases import-evidence` deletes them)")


def downgrade():
    # the files go back to this machine's instance/evidence before the table goes
    folder = _old_folder()
    if folder is not None:
        bind = op.get_bind()
        rows = bind.execute(sa.text("SELECT name, sealed FROM evidence_files")).all()
        if rows:
            folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        for name, sealed in rows:
            path = folder / name
            if not path.exists():
                path.touch(mode=0o600)
                path.write_bytes(bytes(sealed))
    op.drop_table("evidence_files")


def _old_folder():
    """This machine's instance/evidence, when the database is the evidence store."""
    try:
        settings = current_app.extensions["helpdesk.settings"]
    except (RuntimeError, KeyError):
        return None
    if settings.evidence_store != "database":
        return None
    return Path(settings.instance_dir) / "evidence"
