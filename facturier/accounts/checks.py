"""System checks of the accounts app (`manage.py check`, run by every management command)."""

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error


def sqlite_counts_atomically(app_configs: Any, **kwargs: Any) -> list[CheckMessage]:
    """The rate counters (accounts/counters.py) add and read back in one statement, which SQLite
    supports from 3.35 (RETURNING); an older library would fail at the first login."""
    if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.sqlite3":
        return []
    from sqlite3 import sqlite_version, sqlite_version_info

    if sqlite_version_info >= (3, 35):
        return []
    return [
        Error(
            f"SQLite {sqlite_version} is too old for the login and API rate counters.",
            hint="Use SQLite 3.35 or newer (Python built with a recent libsqlite3), or PostgreSQL.",
            id="accounts.E001",
        )
    ]
