"""What the benchmark scripts share: Django set-up, a scratch database and account, a 10-line invoice,
the recording, replaying and plans of queries, interleaved timing.

Timing follows reference/perf-baselines.md: warm-up runs first, then the variants of one comparison
run interleaved (A B C, B C A, C A B...), so the drift of this machine's speed spreads over all of them
evenly; medians are reported, and ratios are taken within the same run.
"""

import datetime
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # Django is set up at run time, by setup_django()
    from facturier.billing.services.documents import DocumentInput
    from facturier.tenancy.access import Actor
    from facturier.tenancy.models import Account

# A 10-line invoice over three VAT rates, some lines discounted: name, quantity, unit price, VAT rate
# and discount percent of each line.
INVOICE_LINES = [
    ("Conseil", "7.5", "120.00", "20", "0"),
    ("Développement", "3", "650.00", "20", "10"),
    ("Formation", "1", "1450.00", "20", "0"),
    ("Maintenance", "12", "45.90", "20", "0"),
    ("Matériel", "2", "899.99", "20", "5"),
    ("Travaux", "1", "2350.00", "10", "0"),
    ("Transport", "4", "38.50", "10", "0"),
    ("Repas", "25", "18.20", "10", "0"),
    ("Livres", "6", "24.90", "5.5", "0"),
    ("Rénovation énergétique", "1", "3200.00", "5.5", "0"),
]


def setup_django(code_root: Path | None = None) -> None:
    """Set up Django with the project imported from `code_root`, by default the checkout that holds
    this folder. Without it a script run as `python bench/x.py` would import the virtualenv's editable
    install, i.e. whichever checkout installed it (another worktree's code, not the one measured)."""
    root = str((code_root or Path(__file__).resolve().parent.parent).resolve())
    if sys.path[:1] != [root]:
        sys.path.insert(0, root)
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


def scratch_account(
    slug: str, name: str, *, subscription_ends_on: datetime.date | None = None, **identity: Any
) -> "tuple[Account, Actor]":
    """A new account (through tenancy's service) owned by a new user, bench@example.com, and that owner
    as the actor of the calls to time. Once per scratch database: the owner's address is unique."""
    from facturier.accounts.models import User
    from facturier.tenancy.access import Actor
    from facturier.tenancy.models import Membership
    from facturier.tenancy.services import create_account

    owner = User.objects.create_user("bench@example.com")
    account = create_account(
        Actor.system(),
        slug=slug,
        name=name,
        owner=owner,
        subscription_ends_on=subscription_ends_on,
        **identity,
    )
    actor = Actor(user=owner, membership=Membership.objects.get(account=account, user=owner))
    return account, actor


def invoice_input(client_id: int) -> "DocumentInput":
    """INVOICE_LINES as an invoice to that client, dated 2026-03-10, for the documents services."""
    from facturier.billing.services.documents import DocumentInput, LineInput

    return DocumentInput(
        kind="vat",
        client_id=client_id,
        issue_date=datetime.date(2026, 3, 10),
        lines=[
            LineInput(
                name=name,
                quantity=Decimal(quantity),
                unit_price=Decimal(price),
                vat_rate=Decimal(rate),
                discount_percent=Decimal(discount),
            )
            for name, quantity, price, rate, discount in INVOICE_LINES
        ],
    )


class Recorder:
    """An execute wrapper that keeps every query sent through it, with its duration."""

    def __init__(self) -> None:
        self.queries: list[tuple[str, Any, float]] = []

    def __call__(self, execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any) -> Any:
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.queries.append((sql, params, time.perf_counter() - started))


def record(get: Callable[[], Any]) -> Recorder:
    """The queries that a call of `get` sends, each with its duration."""
    from django.db import connection

    recorder = Recorder()
    with connection.execute_wrapper(recorder):
        get()
    return recorder


def run_queries(queries: list[tuple[str, Any]]) -> None:
    """Send recorded (or hand-written) queries again as they are, and fetch all their rows."""
    from django.db import connection

    with connection.cursor() as cursor:
        for sql, params in queries:
            cursor.execute(sql, params)
            cursor.fetchall()


def explain(vendor: str, queries: list[tuple[str, Any]], *, width: int) -> None:
    """The database's plan of each query, the query cut to `width` characters above it."""
    from django.db import connection

    prefix = "EXPLAIN (ANALYZE, BUFFERS)" if vendor == "postgresql" else "EXPLAIN QUERY PLAN"
    with connection.cursor() as cursor:
        for sql, params in queries:
            print(f"    -- {sql[:width]}{'…' if len(sql) > width else ''}")
            cursor.execute(f"{prefix} {sql}", params)
            for row in cursor.fetchall():
                print(f"       {' | '.join(str(value) for value in row)}")


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
