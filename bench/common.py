"""What the benchmark scripts share: Django set-up, a scratch database, interleaved timing.

Timing follows reference/perf-baselines.md: warm-up runs first, then the variants of one comparison
run interleaved (A B C, B C A, C A B...), so the drift of this machine's speed spreads over all of them
evenly; medians are reported, and ratios are taken within the same run.
"""

import os
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any


def setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "facturier.settings")
    os.environ.setdefault("DEBUG", "true")
    import django

    django.setup()


def database_label() -> str:
    from django.db import connection

    if connection.vendor == "sqlite":
        return f"SQLite {connection.Database.sqlite_version} ({connection.settings_dict['NAME']})"
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        (version,) = cursor.fetchone()
    return f"PostgreSQL {version} ({connection.settings_dict['NAME']})"


@contextmanager
def scratch_database() -> Iterator[None]:
    """A new, migrated database that is dropped afterwards: a temporary SQLite file, or a
    database of its own on the PostgreSQL server of DATABASE_URL. The configured one is never used."""
    from django.db import connection

    with tempfile.TemporaryDirectory(prefix="facturier-bench-") as folder:
        test_name = (
            str(Path(folder) / "bench.sqlite3")
            if connection.vendor == "sqlite"
            else f"bench_scratch_{os.getpid()}"
        )
        connection.settings_dict.setdefault("TEST", {})["NAME"] = test_name
        old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
        try:
            yield
        finally:
            connection.creation.destroy_test_db(old_name, verbosity=0)


def interleaved(variants: dict[str, Callable[[], Any]], *, runs: int, warmups: int) -> dict[str, list[float]]:
    """Seconds per call of each variant: `warmups` rounds discarded, then `runs` rounds kept, the
    order of the variants rotating from one round to the next."""
    names = list(variants)
    times: dict[str, list[float]] = {name: [] for name in names}
    for round_number in range(warmups + runs):
        shift = round_number % len(names)
        for name in names[shift:] + names[:shift]:
            started = time.perf_counter()
            variants[name]()
            elapsed = time.perf_counter() - started
            if round_number >= warmups:
                times[name].append(elapsed)
    return times


def ms(seconds: float) -> str:
    return f"{seconds * 1000:,.1f} ms"


def summary(samples: list[float]) -> str:
    """Median, and the range, in milliseconds."""
    return f"{ms(statistics.median(samples))} (min {ms(min(samples))}, max {ms(max(samples))})"
