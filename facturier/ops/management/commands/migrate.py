"""Django's `migrate`, one run at a time per database (facturier/ops/migration_lock.py)."""

from typing import Any

from django.core.management.commands import migrate
from django.db import connections

from facturier.ops.migration_lock import migration_lock


class Command(migrate.Command):
    help = f"{migrate.Command.help} Concurrent runs wait for each other (one per database at a time)."

    def handle(self, *args: Any, **options: Any) -> None:
        with migration_lock(connections[options["database"]]):
            super().handle(*args, **options)
