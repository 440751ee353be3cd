"""search: searches that found nothing; on PostgreSQL, the full-text index of the content

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-25 06:50:00

"""
from alembic import op
import sqlalchemy as sa

from helpdesk.models import SEARCH_INDEX_DDL, SEARCH_INDEX_DROP


# revision identifiers, used by Alembic.
revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('search_misses',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('query', sa.String(length=200), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_search_misses')),
    sa.UniqueConstraint('query', 'day', name=op.f('uq_search_misses_query'))
    )
    if op.get_bind().dialect.name == 'postgresql':
        for statement in SEARCH_INDEX_DDL:
            op.execute(statement)


def downgrade():
    if op.get_bind().dialect.name == 'postgresql':
        for statement in SEARCH_INDEX_DROP:
            op.execute(statement)
    op.drop_table('search_misses')
