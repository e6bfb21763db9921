"""Trigram indexes for the sales list's search, on PostgreSQL only.

The search looks for the typed text anywhere in a document's number or buyer's name (`icontains`, which
PostgreSQL runs as `UPPER(column) LIKE UPPER('%text%')`). A B-tree cannot serve a pattern that starts
with a wildcard, so without these the database reads every document of the account to test each one. A
GIN index of the trigrams of UPPER(column) serves it; led by the account (btree_gin), it finds that
account's matches only, where the trigrams alone would find every account's (billing.queries._search).

They are created here and not declared in Document.Meta.indexes: SQLite has no GIN indexes, and Django
recreates every declared index when it rebuilds a SQLite table. pg_trgm and btree_gin are trusted
extensions (PostgreSQL 13+): the owner of the database may create them without being a superuser.
"""

from typing import Any

from django.contrib.postgres.indexes import GinIndex, OpClass
from django.contrib.postgres.operations import CreateExtension
from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import StateApps
from django.db.models import F
from django.db.models.functions import Upper

SEARCHED = ("number", "buyer_name")


def _index(column: str) -> GinIndex:
    return GinIndex(
        F("account"), OpClass(Upper(column), name="gin_trgm_ops"), name=f"document_{column}_trigrams"
    )


class Extension(CreateExtension):
    """Django's CreateExtension, its way back a no-op on SQLite too (Django's checks pg_extension on any
    database)."""

    def database_backwards(
        self, app_label: str, schema_editor: BaseDatabaseSchemaEditor, from_state: Any, to_state: Any
    ) -> None:
        if schema_editor.connection.vendor == "postgresql":
            super().database_backwards(app_label, schema_editor, from_state, to_state)


def create(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        document = apps.get_model("billing", "Document")
        for column in SEARCHED:
            schema_editor.add_index(document, _index(column))
        # Statistics of the indexed expressions, from which the planner estimates how many documents a
        # search matches (and so whether to read them by date or through these indexes); autovacuum
        # would gather them only after many changes. The ORM has no statement for it.
        schema_editor.execute(f"ANALYZE {schema_editor.quote_name(document._meta.db_table)}")


def drop(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        for column in SEARCHED:
            schema_editor.remove_index(apps.get_model("billing", "Document"), _index(column))


class Migration(migrations.Migration):
    dependencies = [("billing", "0005_document_covering_indexes")]

    operations = [
        # No-ops on SQLite.
        Extension("pg_trgm"),
        Extension("btree_gin"),
        migrations.RunPython(create, drop),
    ]
