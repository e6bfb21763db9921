"""`GET /invoices.json?per_page=100&include_positions=true` on the dataset's largest account.

    DEBUG=true FACTURIER_VAR_DIR=/tmp/ds .venv/bin/python bench/api_list.py
    DEBUG=true DATABASE_URL=postgres://postgres@127.0.0.1:5432/facturier_bench .venv/bin/python bench/api_list.py
    options: --account bench-0001 --small-account bench-0500 --period last_12_months --pages 1,50
             --runs 15 --warmups 3

Needs the dataset (manage.py generate_dataset) in the configured database. The requests go through the
whole Django stack in-process (WSGI handler, middleware, token authentication, rate limit counter, the
list's queries, JSON rendering), minus HTTP; `bench/api_load.py` adds HTTP and concurrency. For each
page asked it prints the median time per request (min–max), the size of the answer and its number of
queries, which must be the same for every page and for a small account (the list does not grow its
queries with the data). Then the serializer alone: the time per document of turning the first page of
the largest account, read once with its positions, into the answer's data (its median over `--runs`,
in wall time and in this process's CPU time). It writes an API token of the account's owner (and its audit event), deleted
at the end, and the counters of the rate limit in the cache table.
"""

import argparse
import json
from collections.abc import Callable
from typing import Any

from common import database_label, interleaved, setup_django, summary


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--account", default="bench-0001")
    parser.add_argument("--small-account", default="bench-0500", help="to compare query counts")
    parser.add_argument("--period", default="last_12_months", help="the list's period (its default)")
    parser.add_argument("--pages", default="1,50", help="pages to time, comma-separated")
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--warmups", type=int, default=3)
    args = parser.parse_args()
    setup_django()

    from django.core.management import call_command
    from django.db import connection
    from django.test import Client as TestClient
    from django.test.utils import CaptureQueriesContext

    from facturier.billing.models import Document
    from facturier.tenancy.access import Actor
    from facturier.tenancy.models import Account, ApiToken, Membership
    from facturier.tenancy.services import create_api_token

    call_command("createcachetable")  # a dataset migrated before the rate limit existed lacks it
    account = Account.objects.filter(slug=args.account).first()
    if account is None:
        raise SystemExit(f"No account {args.account}: run manage.py generate_dataset first.")
    accounts = [account, *Account.objects.filter(slug=args.small_account).exclude(pk=account.pk)]
    tokens: dict[str, str] = {}
    created: list[int] = []
    for each in accounts:
        owner = Membership.objects.select_related("user", "account").get(account=each, is_owner=True)
        token, plain = create_api_token(Actor(user=owner.user, membership=owner), owner)
        tokens[each.slug] = plain
        created.append(token.pk)
    http = TestClient(SERVER_NAME="localhost")
    pages = [int(page) for page in args.pages.split(",")]

    def getter(slug: str, page: int) -> Callable[[], Any]:
        url = (
            f"/invoices.json?per_page=100&include_positions=true&period={args.period}&page={page}"
            f"&api_token={tokens[slug]}"
        )

        def get() -> Any:
            response = http.get(url)
            assert response.status_code == 200, (url, response.status_code, response.content[:300])
            return response

        return get

    print(f"Database: {database_label()}")
    print(
        f"Account {account.slug}: {Document.objects.filter(account=account).count():,} sales documents; "
        f"period={args.period}; {args.runs} interleaved runs after {args.warmups} warm-ups"
    )
    try:
        variants: dict[str, Callable[[], Any]] = {}
        for slug in tokens:
            for page in pages if slug == account.slug else pages[:1]:
                get = getter(slug, page)
                get()  # the first request of a process loads the URLconf, translations...
                with CaptureQueriesContext(connection) as queries:
                    rows = json.loads(get().content)
                label = f"{slug} page {page}"
                positions = sum(len(row.get("positions", [])) for row in rows)
                print(f"  {label}: {len(rows)} documents, {positions} positions, {len(queries)} queries")
                variants[label] = get
        times = interleaved(variants, runs=args.runs, warmups=args.warmups)
        for label, samples in times.items():
            print(f"  {label:<28} {summary(samples)}")
        serializer_cost(account, args)
    finally:
        ApiToken.objects.filter(pk__in=created).delete()


def serializer_cost(account: Any, args: argparse.Namespace) -> None:
    """The serializer alone, on rows read once: microseconds per document with its positions."""
    import statistics
    import time

    from django.http import QueryDict

    from facturier.api.invoice_output import InvoiceSerializer, with_output_data
    from facturier.api.invoices import filtered
    from facturier.api.views import paginate
    from facturier.billing.models import Document

    params = QueryDict(f"per_page=100&include_positions=true&period={args.period}")
    rows = filtered(Document.objects.filter(account=account), params, account)
    page = list(paginate(with_output_data(rows, positions=True), params))
    samples, cpu = [], []
    for run in range(args.warmups + args.runs):
        started, started_cpu = time.perf_counter(), time.process_time()
        data = InvoiceSerializer(page, many=True, positions=True).data
        elapsed, elapsed_cpu = time.perf_counter() - started, time.process_time() - started_cpu
        if run >= args.warmups:
            samples.append(elapsed / len(page))
            cpu.append(elapsed_cpu / len(page))
    positions = sum(len(row["positions"]) for row in data)
    # The CPU time of this process as well: on a shared machine the wall time also counts the others.
    print(
        f"  serializer: {statistics.median(samples) * 1e6:.0f} µs per document (min "
        f"{min(samples) * 1e6:.0f}; CPU {statistics.median(cpu) * 1e6:.0f}, min {min(cpu) * 1e6:.0f}), "
        f"{len(page)} documents with {positions} positions"
    )


if __name__ == "__main__":
    main()
