"""One `migrate` at a time per database, whatever the number of machines that start together.

Several nodes deployed at once each run `migrate` before serving; two runs applying the same migration at
the same time make the second crash on a table that already exists (or worse, half-apply). The migrate
command of facturier/web takes this lock first, so the others wait, then find nothing left to apply.
- PostgreSQL: a session-level advisory lock, held by the migrating connection and released with it even
  if the process dies.
- SQLite (one machine): an exclusive lock on a file beside the database file.
"""

import contextlib
import fcntl
from collections.abc import Iterator
from pathlib import Path

from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.backends.sqlite3.creation import DatabaseCreation as SQLiteCreation

# pg_advisory_lock takes a 64-bit key; this one spells "facturier-migrate" for whoever reads pg_locks.
ADVISORY_KEY = int.from_bytes(b"fmigrate", "big") & 0x7FFF_FFFF_FFFF_FFFF


@contextlib.contextmanager
def migration_lock(connection: BaseDatabaseWrapper) -> Iterator[None]:
    if connection.vendor == "postgresql":
        # SQL by hand: advisory locks are PostgreSQL functions the ORM has no expression for.
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_lock(%s)", [ADVISORY_KEY])
        try:
            yield
        finally:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s)", [ADVISORY_KEY])
        return
    name = connection.settings_dict["NAME"]
    if connection.vendor != "sqlite" or SQLiteCreation.is_in_memory_db(name):
        yield  # nobody else can reach an in-memory database; other engines: as Django does
        return
    lock_path = Path(f"{name}.migrate-lock")
    with lock_path.open("a") as lock_file:
        fcntl.flock(lock_file, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock_file, fcntl.LOCK_UN)
