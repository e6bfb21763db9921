"""The table of the database cache (settings.CACHES), where the API's rate limit counters live.

`createcachetable` in a migration, so that `migrate` alone prepares a database (a fresh clone, a
deployment, a generated dataset). It creates nothing when the cache is Redis or in memory, and
nothing twice; a later change of CACHES to another table needs `manage.py createcachetable`.
"""

from typing import Any

from django.core.management import call_command
from django.db import migrations


def create_cache_table(apps: Any, schema_editor: Any) -> None:
    call_command("createcachetable", database=schema_editor.connection.alias, verbosity=0)


class Migration(migrations.Migration):
    dependencies: list[tuple[str, str]] = []

    operations = [migrations.RunPython(create_cache_table, migrations.RunPython.noop, elidable=False)]
