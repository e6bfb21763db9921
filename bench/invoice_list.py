"""The invoice list page of the dataset's largest account, filtered: where the page's time goes.

    DEBUG=true FACTURIER_VAR_DIR=/tmp/ds .venv/bin/python bench/invoice_list.py
    DEBUG=true DATABASE_URL=postgres://postgres@127.0.0.1:5432/facturier_bench .venv/bin/python bench/invoice_list.py
    options: --account bench-0001 --runs 7 --warmups 2 --explain --profile

Needs the dataset (manage.py generate_dataset) in the configured database; reads only (the login
writes one session, removed at the end). For each filter, three variants run interleaved:
- view: GET of the page through Django's test Client, logged in as the owner: middleware, session,
  the access gate, the filter form, the totals and page queries, the template (what a user waits for,
  minus HTTP);
- view SQL: the queries on the documents table that the view sent (built by the ORM), captured and
  sent again as they are through the database cursor (what the database costs the view);
- raw SQL: the same page written by hand: one count-and-sums query and the 50 rows with their client:
  the floor the database sets.
It prints the medians against the page budget (every HTML page at most 60 ms on PostgreSQL, 80 ms on
SQLite; bench/pages.py measures every page), the number of queries of the view (which must not grow
with the data: compare with the small account), and where the view's time goes.
"""

import argparse
import cProfile
import datetime
import pstats
import statistics
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from common import database_label, explain, interleaved, ms, record, run_queries, setup_django

# The budget of every HTML page, median server time in milliseconds (bench/pages.py checks them all).
BUDGET_MS = {"postgresql": 60, "sqlite": 80}


@dataclass(frozen=True)
class Scenario:
    label: str
    date_from: datetime.date | None = None
    date_to: datetime.date | None = None
    status: str = ""
    search: str = ""

    @property
    def query_string(self) -> str:
        values = {
            "date_from": self.date_from,
            "date_to": self.date_to,
            "status": self.status,
            "q": self.search,
        }
        return urlencode({k: str(v) for k, v in values.items() if v})


def scenarios(last_year: int) -> list[Scenario]:
    return [
        Scenario(
            f"year {last_year} + status issued",
            datetime.date(last_year, 1, 1),
            datetime.date(last_year, 12, 31),
            status="issued",
        ),
        Scenario("text search 'martin', all dates", search="martin"),
        Scenario("no filter (all documents)"),
    ]


def raw_queries(vendor: str, account_id: int, scenario: Scenario) -> list[tuple[str, list[Any]]]:
    """The page written by hand: the count and EUR sums of every match, then the first 50 rows."""
    from facturier.billing.models import PAYABLE_KINDS, Client, Document

    documents, clients = Document._meta.db_table, Client._meta.db_table
    where, params = ["d.account_id = %s"], [account_id]
    if scenario.date_from:
        where.append("d.issue_date >= %s")
        params.append(scenario.date_from)
    if scenario.date_to:
        where.append("d.issue_date <= %s")
        params.append(scenario.date_to)
    if scenario.status:
        where.append("d.status = %s")
        params.append(scenario.status)
    join = f" JOIN {clients} c ON c.id = d.client_id"
    if scenario.search:
        like = "ILIKE" if vendor == "postgresql" else "LIKE"  # SQLite's LIKE ignores ASCII case
        where.append(f"(d.number {like} %s OR d.buyer_name {like} %s OR c.name {like} %s)")
        params += [f"%{scenario.search}%"] * 3
    # Only table names and fixed fragments are formatted in; every value is a query parameter.
    condition = " AND ".join(where)
    payable = ", ".join(f"'{kind}'" for kind in sorted(PAYABLE_KINDS))
    totals = (
        "SELECT COUNT(*), SUM(d.net_total_eur), SUM(d.gross_total_eur), "  # noqa: S608
        f"SUM(CASE WHEN d.kind IN ({payable}) AND d.status <> 'draft' "
        "THEN (d.gross_total - d.advances_deducted - d.paid_total - d.credited_total) * d.exchange_rate "
        f"ELSE 0 END) FROM {documents} d{join if scenario.search else ''} WHERE {condition}"
    )
    page = (
        "SELECT d.id, d.kind, d.status, d.number, d.issue_date, d.due_date, d.buyer_name, d.currency, "  # noqa: S608
        "d.net_total, d.gross_total, d.advances_deducted, d.paid_total, d.credited_total, c.id, c.name "
        f"FROM {documents} d{join} WHERE {condition} ORDER BY d.issue_date DESC, d.id DESC LIMIT 50"
    )
    return [(totals, params), (page, params)]


def short(sql: str) -> str:
    """A query in a few words: its first table and what it does."""
    words = sql.replace('"', "").split()
    table = words[words.index("FROM") + 1] if "FROM" in words else "?"
    kind = "count+sums" if "COUNT(" in sql else "rows"
    return f"{words[0]} {table} ({kind})"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--account", default="bench-0001")
    parser.add_argument("--small-account", default="bench-0500", help="to compare query counts")
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--warmups", type=int, default=2)
    parser.add_argument("--explain", action="store_true", help="print the plans of the page's queries")
    parser.add_argument("--profile", action="store_true", help="profile the view (first filter)")
    args = parser.parse_args()
    setup_django()

    from django.db import connection
    from django.db.models import Max
    from django.test import Client as TestClient
    from django.urls import reverse

    from facturier.billing.models import Client, Document
    from facturier.tenancy.models import Account, Membership

    account = Account.objects.filter(slug=args.account).first()
    if account is None:
        raise SystemExit(f"No account {args.account}: run manage.py generate_dataset first.")
    small = Account.objects.filter(slug=args.small_account).first()
    browsers = {}
    for each in filter(None, (account, small)):
        browsers[each.slug] = TestClient(SERVER_NAME="localhost")
        browsers[each.slug].force_login(Membership.objects.get(account=each, is_owner=True).user)
    vendor = connection.vendor
    last = Document.objects.filter(account=account).aggregate(last=Max("issue_date"))["last"]
    print(f"Database: {database_label()}")
    print(
        f"Account {account.slug}: {Document.objects.filter(account=account).count():,} documents, "
        f"{Client.objects.filter(account=account).count():,} clients; "
        f"{args.runs} interleaved runs after {args.warmups} warm-ups, medians"
    )

    def page_getter(slug: str, scenario: Scenario) -> Callable[[], Any]:
        url = f"{reverse('billing:document_list', args=[slug])}?{scenario.query_string}"

        def get() -> Any:
            response = browsers[slug].get(url)
            assert response.status_code == 200, (url, response.status_code)
            return response

        return get

    table = Document._meta.db_table
    try:
        for scenario in scenarios(last.year):
            get = page_getter(account.slug, scenario)
            get()  # the first request of a process compiles templates and translations
            recorded = record(get)
            view_sql = [(sql, params) for sql, params, _ in recorded.queries if table in sql.replace('"', "")]
            raw = raw_queries(vendor, account.pk, scenario)
            small_count = None
            if small is not None:
                small_get = page_getter(small.slug, scenario)
                small_get()  # its session's first request also notes the current account
                small_count = len(record(small_get).queries)
            times = interleaved(
                {"view": get, "sql": lambda q=view_sql: run_queries(q), "raw": lambda q=raw: run_queries(q)},
                runs=args.runs,
                warmups=args.warmups,
            )
            view, view_sql_time, hand = (statistics.median(times[k]) for k in ("view", "sql", "raw"))
            with connection.cursor() as cursor:
                cursor.execute(*raw[0])
                matching = cursor.fetchone()[0]
            print(f"\n{scenario.label}: {matching:,} matching documents  [?{scenario.query_string}]")
            print(
                f"  queries per page: {len(recorded.queries)} "
                f"({args.small_account}: {small_count if small_count is not None else 'absent'})"
            )
            print(
                f"  view {ms(view)} (budget {BUDGET_MS[vendor]} ms) | view SQL {ms(view_sql_time)} | "
                f"raw SQL {ms(hand)} | view SQL/raw {view_sql_time / hand:.2f}x"
            )
            breakdown = [record(get).queries for _ in range(3)]
            per_query = [statistics.median(run[i][2] for run in breakdown) for i in range(len(breakdown[0]))]
            print(
                f"  in the view: SQL {ms(sum(per_query))}, the rest (Python, template) {ms(view - sum(per_query))}"
            )
            for (sql, _params, _), seconds in zip(breakdown[0], per_query, strict=True):
                print(f"    {ms(seconds):>10}  {short(sql)}")
            if args.explain:
                print("  plans of the view's document queries:")
                explain(vendor, view_sql, width=300)
                print("  plans of the raw queries:")
                explain(vendor, raw, width=300)
            if args.profile and scenario == scenarios(last.year)[0]:
                profiler = cProfile.Profile()
                profiler.runcall(lambda get=get: [get() for _ in range(5)])
                pstats.Stats(profiler).sort_stats("cumulative").print_stats(45)
    finally:
        for browser in browsers.values():
            browser.logout()


if __name__ == "__main__":
    main()
