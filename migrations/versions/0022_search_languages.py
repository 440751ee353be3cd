"""search per language: on PostgreSQL each indexed row has its language and text search
configuration, its tsvectors made from its folded text when written

The search index is derived from the content files and rebuilt from them at the first search
(its digest changed), so its tables are made again empty. SQLite keeps its index in memory:
nothing to do there.

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-04 21:00:00

"""
from alembic import op

from helpdesk.models import SEARCH_INDEX_DDL, SEARCH_INDEX_DROP


# revision identifiers, used by Alembic.
revision = '0022'
down_revision = '0021'
branch_labels = None
depends_on = None

# the tables as 0008 made them: one language, English, its tsvectors generated
_ENGLISH_ONLY = (
    """CREATE TABLE IF NOT EXISTS search_documents (
        id serial PRIMARY KEY,
        kind varchar(10) NOT NULL,
        slug varchar(100) NOT NULL,
        title text NOT NULL,
        summary text NOT NULL,
        keywords text NOT NULL,
        headings text NOT NULL,
        body text NOT NULL,
        document tsvector GENERATED ALWAYS AS (
            setweight(to_tsvector('english', title), 'A')
            || setweight(to_tsvector('english', keywords), 'B')
            || setweight(to_tsvector('english', summary), 'B')
            || setweight(to_tsvector('english', headings), 'C')
            || setweight(to_tsvector('english', body), 'D')
        ) STORED,
        -- the words of the first tiers of results (search/index.py TIERS)
        title_words tsvector GENERATED ALWAYS AS (to_tsvector('english', title || ' ' || keywords)) STORED,
        head_words tsvector GENERATED ALWAYS AS (
            to_tsvector('english', title || ' ' || keywords || ' ' || summary || ' ' || headings)
        ) STORED
    )""",
    "CREATE INDEX IF NOT EXISTS ix_search_documents_document ON search_documents USING gin (document)",
    "CREATE INDEX IF NOT EXISTS ix_search_documents_title_words ON search_documents USING gin (title_words)",
    "CREATE INDEX IF NOT EXISTS ix_search_documents_head_words ON search_documents USING gin (head_words)",
    """CREATE TABLE IF NOT EXISTS search_index_state (
        id integer PRIMARY KEY,
        digest varchar(64) NOT NULL,
        built_at timestamptz NOT NULL DEFAULT now()
    )""",
)


def upgrade():
    if op.get_bind().dialect.name == 'postgresql':
        for statement in (*SEARCH_INDEX_DROP, *SEARCH_INDEX_DDL):
            op.execute(statement)


def downgrade():
    if op.get_bind().dialect.name == 'postgresql':
        for statement in (*SEARCH_INDEX_DROP, *_ENGLISH_ONLY):
            op.execute(statement)
