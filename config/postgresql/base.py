"""Django's PostgreSQL backend without the extra ``*_like`` pattern indexes.

For every indexed or unique text column (each primary key, foreign key and external id here) Django adds a second
index with ``varchar_pattern_ops`` so that ``LIKE 'abc%'`` can use an index under a non-C collation. We never
filter keys or ids with LIKE, so those indexes would only double the index work of every insert, most of all on
the call and session tables that webhooks and the widget write to all day. Everything else is the stock backend.
"""

from django.db.backends.postgresql import base, schema


class DatabaseSchemaEditor(schema.DatabaseSchemaEditor):
    def _create_like_index_sql(self, model, field):
        return None


class DatabaseWrapper(base.DatabaseWrapper):
    SchemaEditorClass = DatabaseSchemaEditor
