"""Daily rollups of the diagnoses for the editors' analytics, and the indexes that keep them fresh

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-04 12:15:00

The rollup tables start empty: the first analytics page (or `flask analytics refresh`) builds
them from the diagnoses, which are left as they are.
"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "diagnosis_rollups",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("flow_id", sa.String(length=100), nullable=False),
        sa.Column("measure", sa.String(length=20), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("detail", sa.String(length=200), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("day", "flow_id", "measure", "key", "detail"),
    )
    op.create_table(
        "diagnosis_durations",
        sa.Column("flow_id", sa.String(length=100), nullable=False),
        sa.Column("minute", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("seconds", sa.Integer(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("flow_id", "minute", "day", "seconds"),
    )
    op.create_index("ix_diagnosis_durations_day", "diagnosis_durations", ["day"])
    op.create_table(
        "rollup_marks",
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("refreshed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_diagnosis", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )
    op.create_index("ix_diagnoses_created_at", "diagnoses", ["created_at"])
    op.create_index("ix_diagnoses_updated_at", "diagnoses", ["updated_at"])
    op.create_index("ix_diagnosis_events_at", "diagnosis_events", ["at"])


def downgrade():
    op.drop_index("ix_diagnosis_events_at", table_name="diagnosis_events")
    op.drop_index("ix_diagnoses_updated_at", table_name="diagnoses")
    op.drop_index("ix_diagnoses_created_at", table_name="diagnoses")
    op.drop_table("rollup_marks")
    op.drop_index("ix_diagnosis_durations_day", table_name="diagnosis_durations")
    op.drop_table("diagnosis_durations")
    op.drop_table("diagnosis_rollups")
