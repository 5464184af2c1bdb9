"""The full-text index of published resources (see resources/search.py).

SQLite: an FTS5 table whose rowid packs the static rank, a facet code and the resource
id (see search.IndexKey); its tokenizer only splits on the spaces of our token text
(tokens are made in Python: bigrams + jieba). ``detail=none``: the index keeps which
resources hold a token, not where; relevance is computed from the stored token text of
the few candidates ranked (see search.py).
PostgreSQL: a table with the rank, the facet code and a ``tsvector`` of the same token
text (configuration 'simple'), a GIN index for the match and a B-tree for the static
rank order. No foreign key to the resource table, so that a test flush (TRUNCATE of the model tables) is not
refused: triggers remove the documents of deleted (or truncated) resources instead.
"""

from django.db import migrations

SQLITE = [
    "CREATE VIRTUAL TABLE IF NOT EXISTS resources_fts USING fts5("
    "title, body, facets, detail=none, tokenize='unicode61 remove_diacritics 0')",
    # A deleted resource takes its document along (deletions the services never see: a
    # school's removal, a test database's flush), like ON DELETE CASCADE.
    "CREATE TRIGGER IF NOT EXISTS resources_fts_on_delete AFTER DELETE ON resources_resource "
    "WHEN old.search_key IS NOT NULL "
    "BEGIN DELETE FROM resources_fts WHERE rowid = old.search_key; END",
]
SQLITE_REVERSE = [
    "DROP TRIGGER IF EXISTS resources_fts_on_delete",
    "DROP TABLE IF EXISTS resources_fts",
]
POSTGRES = [
    "CREATE TABLE IF NOT EXISTS resources_search ("
    "resource_id bigint PRIMARY KEY, rank integer NOT NULL, facets integer NOT NULL, "
    "document tsvector NOT NULL)",
    "CREATE INDEX IF NOT EXISTS resources_search_document_gin "
    "ON resources_search USING gin (document)",
    "CREATE INDEX IF NOT EXISTS resources_search_rank_idx "
    "ON resources_search (rank DESC, resource_id DESC)",
    # Deleted resources take their documents along; a foreign key would make Django's
    # flush (TRUNCATE of the model tables, without CASCADE) fail, so triggers do it.
    "CREATE OR REPLACE FUNCTION resources_search_on_delete() RETURNS trigger "
    "LANGUAGE plpgsql AS $$ BEGIN DELETE FROM resources_search WHERE resource_id = OLD.id; "
    "RETURN OLD; END $$",
    "CREATE TRIGGER resources_search_on_delete AFTER DELETE ON resources_resource "
    "FOR EACH ROW EXECUTE FUNCTION resources_search_on_delete()",
    "CREATE OR REPLACE FUNCTION resources_search_on_truncate() RETURNS trigger "
    "LANGUAGE plpgsql AS $$ BEGIN DELETE FROM resources_search; RETURN NULL; END $$",
    "CREATE TRIGGER resources_search_on_truncate AFTER TRUNCATE ON resources_resource "
    "FOR EACH STATEMENT EXECUTE FUNCTION resources_search_on_truncate()",
]
POSTGRES_REVERSE = [
    "DROP TRIGGER IF EXISTS resources_search_on_truncate ON resources_resource",
    "DROP TRIGGER IF EXISTS resources_search_on_delete ON resources_resource",
    "DROP FUNCTION IF EXISTS resources_search_on_truncate()",
    "DROP FUNCTION IF EXISTS resources_search_on_delete()",
    "DROP TABLE IF EXISTS resources_search",
]


def _run(schema_editor, sqlite, postgres):
    vendor = schema_editor.connection.vendor
    statements = sqlite if vendor == "sqlite" else postgres if vendor == "postgresql" else []
    for sql in statements:
        schema_editor.execute(sql)


def create(apps, schema_editor):
    _run(schema_editor, SQLITE, POSTGRES)


def drop(apps, schema_editor):
    _run(schema_editor, SQLITE_REVERSE, POSTGRES_REVERSE)


class Migration(migrations.Migration):
    dependencies = [("resources", "0001_initial")]

    operations = [migrations.RunPython(create, drop)]
