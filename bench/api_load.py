"""A bounded load test of the API on loopback: 20 concurrent clients of list and show behind gunicorn.

    createdb -h 127.0.0.1 -U postgres bench_api_load
    export DEBUG=true DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_api_load
    .venv/bin/python manage.py migrate && .venv/bin/python manage.py generate_dataset --accounts 3 --invoices 20000
    .venv/bin/python bench/api_load.py
    .venv/bin/python bench/api_load.py --creates     # also POST /invoices.json (writes invoices)
    options: --account bench-0001 --clients 20 --workers 4 --seconds 30 --warmup 3 --creates
             --create-runs 20

Needs the dataset in the database of DATABASE_URL (PostgreSQL: the point is several processes on one
database; SQLite works too, its writers queue). The script starts gunicorn on a free loopback port
with `--workers` sync workers, in production mode (DEBUG off, a throw-away SECRET_KEY) and the rate
limit counted as usual but set out of reach; then `--clients` threads, each with its own API token of
the account's owner, call in turn `GET /invoices.json` (the default list: 25 documents of the last
12 months) and `GET /invoices/{id}.json` (a random document of the account, positions included), one
new connection per request (gunicorn's sync workers close it), for `--seconds` after `--warmup`
seconds not counted. It prints the throughput, p50 and p95 per kind of request and in all, and the
errors (any status but 200, 201 for a create, or no answer), which must be 0; then stops gunicorn and deletes its
tokens. The clients run in this process, on the same 2 vCPUs as the server: the figures are those of
the whole machine, client included.

With `--creates` it first creates `--create-runs` invoices in-process (the whole Django stack, no
HTTP), each issued at once for a client of the account, with the README's two positions (one gross
price, one net) and a product's when the account has one (the dataset's have none), and prints the number of queries of one and the median time per
create, with the share spent in the database (DEBUG's query timings); then the clients take turns at
list, show and create. Each create issues a real invoice in the account, numbered today: run it on a
scratch copy of the dataset.
"""

import argparse
import http.client
import json
import os
import random
import secrets
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

from common import database_label, setup_django

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def get(port: int, path: str, body: bytes | None = None) -> int:
    """GET `path`, or POST `body` (JSON) to it; the answer's status."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        if body is None:
            connection.request("GET", path)
        else:
            connection.request("POST", path, body, {"Content-Type": "application/json"})
        response = connection.getresponse()
        response.read()
        return response.status
    finally:
        connection.close()


def create_body(client_id: int, product_id: int | None) -> bytes:
    """An invoice as the README creates one: a gross price, a net price and the account's first product
    when it has one."""
    positions: list[dict[str, object]] = [
        {"name": "Produit A1", "tax": 20, "total_price_gross": 10.23, "quantity": 1},
        {"name": "Conseil", "quantity": 2, "price_net": "100", "tax": "20", "quantity_unit": "h"},
    ]
    if product_id is not None:
        positions.append({"product_id": product_id, "quantity": 1})
    return json.dumps({"invoice": {"kind": "vat", "client_id": client_id, "positions": positions}}).encode()


def measure_creates(token: str, bodies: list[bytes], runs: int) -> None:
    """Creates in-process: the queries of one, the median time and its share in the database."""
    from django.db import connection
    from django.test import Client as TestClient
    from django.test.utils import CaptureQueriesContext

    http = TestClient(SERVER_NAME="localhost")
    path = f"/invoices.json?api_token={token}"
    times: list[float] = []
    database: list[float] = []
    counts: set[int] = set()
    for run in range(runs + 2):
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            response = http.post(path, bodies[run % len(bodies)], content_type="application/json")
            elapsed = time.perf_counter() - started
        assert response.status_code == 201, response.content[:300]
        if run >= 2:  # the first ones load the URLconf, translations, the PDF compiler...
            times.append(elapsed)
            database.append(sum(float(query["time"]) for query in queries.captured_queries))
            counts.add(len(queries.captured_queries))
    print(
        f"  create in-process: {'/'.join(str(count) for count in sorted(counts))} queries, "
        f"median {statistics.median(times) * 1000:.1f} ms of which database "
        f"{statistics.median(database) * 1000:.1f} ms ({runs} creates)"
    )


def start_gunicorn(port: int, workers: int, *, rate_limit: bool) -> subprocess.Popen[bytes]:
    env = dict(os.environ)
    env.update(
        DEBUG="false",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="127.0.0.1",
        FACTURIER_API_RATE_LIMIT=str(10**9) if rate_limit else "0",
        LOG_LEVEL="WARNING",
        PYTHONWARNINGS="ignore::UserWarning",  # whitenoise's "No directory at" var/static/
    )
    command = [
        str(Path(sys.executable).parent / "gunicorn"),
        "facturier.wsgi:application",
        f"--bind=127.0.0.1:{port}",
        f"--workers={workers}",
        "--worker-class=sync",
        "--log-level=warning",
    ]
    return subprocess.Popen(command, cwd=ROOT, env=env)  # noqa: S603 (our own gunicorn, fixed arguments)


def wait_until_up(port: int, server: subprocess.Popen[bytes], path: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit("gunicorn stopped at start.")
        try:
            if get(port, path) == 200:
                return
        except OSError:
            pass
        time.sleep(0.3)
    raise SystemExit("gunicorn did not answer within 60 s.")


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--account", default="bench-0001")
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--warmup", type=float, default=3)
    parser.add_argument(
        "--no-rate-limit", action="store_true", help="turn the rate limit off (its counter costs queries)"
    )
    parser.add_argument(
        "--creates", action="store_true", help="also create invoices (writes to the database)"
    )
    parser.add_argument("--create-runs", type=int, default=20, help="creates timed in-process first")
    args = parser.parse_args()
    setup_django()

    from facturier.billing.models import Client, Document, Product
    from facturier.tenancy.access import Actor
    from facturier.tenancy.models import Account, ApiToken, Membership
    from facturier.tenancy.services import create_api_token

    account = Account.objects.filter(slug=args.account).first()
    if account is None:
        raise SystemExit(f"No account {args.account}: run manage.py generate_dataset first.")
    owner = Membership.objects.select_related("user", "account").get(account=account, is_owner=True)
    ids = list(Document.objects.filter(account=account).values_list("pk", flat=True).order_by("?")[:1000])
    created = [create_api_token(Actor(user=owner.user, membership=owner), owner) for _ in range(args.clients)]
    tokens = [plain for _token, plain in created]
    bodies: list[bytes] = []
    if args.creates:
        # Clients that an invoice can be issued to as they are (a company needs its SIREN and address).
        product = Product.objects.filter(account=account).order_by("pk").first()
        buyers = Client.objects.filter(account=account).exclude(is_company=True, siren="").order_by("pk")[:50]
        if not buyers:
            raise SystemExit(f"{account.slug} has no client to invoice.")
        bodies = [create_body(buyer.pk, product.pk if product else None) for buyer in buyers]
    print(f"Database: {database_label()}")
    print(
        f"Account {account.slug}: {Document.objects.filter(account=account).count():,} documents; "
        f"{args.clients} clients, gunicorn with {args.workers} sync workers, {args.seconds:g} s after "
        f"{args.warmup:g} s of warm-up; rate limit {'off' if args.no_rate_limit else 'counted'}; "
        f"DB_CONN_MAX_AGE={os.environ.get('DB_CONN_MAX_AGE', '0')}"
    )

    if args.creates:
        try:
            measure_creates(tokens[0], bodies, args.create_runs)
        except BaseException:
            ApiToken.objects.filter(pk__in=[token.pk for token, _plain in created]).delete()
            raise

    port = free_port()
    server = start_gunicorn(port, args.workers, rate_limit=not args.no_rate_limit)
    results: list[tuple[str, float, int]] = []  # kind, seconds, status (0: no answer)
    lock = threading.Lock()
    try:
        wait_until_up(port, server, f"/invoices.json?api_token={tokens[0]}")
        started = time.monotonic()
        measure_from = started + args.warmup
        stop_at = measure_from + args.seconds

        def client(number: int) -> None:
            chance = random.Random(number)
            token = tokens[number]
            kinds = 3 if args.creates else 2
            turn = number % kinds
            while (now := time.monotonic()) < stop_at:
                turn = (turn + 1) % kinds
                body = None
                if turn == 0:
                    kind, path = "list", f"/invoices.json?api_token={token}"
                elif turn == 1:
                    kind, path = "show", f"/invoices/{chance.choice(ids)}.json?api_token={token}"
                else:
                    kind, path = "create", f"/invoices.json?api_token={token}"
                    body = chance.choice(bodies)
                try:
                    status = get(port, path, body)
                except OSError:
                    status = 0
                done = time.monotonic()
                if now >= measure_from:
                    with lock:
                        results.append((kind, done - now, status))

        threads = [threading.Thread(target=client, args=(number,)) for number in range(args.clients)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        server.terminate()
        server.wait(timeout=30)
        ApiToken.objects.filter(pk__in=[token.pk for token, _plain in created]).delete()

    statuses = Counter(status for _kind, _seconds, status in results)
    errors = sum(count for status, count in statuses.items() if status not in (200, 201))
    print(f"  {len(results):,} requests in {args.seconds:g} s: {len(results) / args.seconds:,.1f} requests/s")
    for kind in ("list", "show", "create", "all"):
        samples = [seconds for each, seconds, _status in results if kind in ("all", each)]
        if samples:
            print(
                f"  {kind:<5} {len(samples):>7,} requests  p50 {statistics.median(samples) * 1000:7.1f} ms  "
                f"p95 {percentile(samples, 0.95) * 1000:7.1f} ms  max {max(samples) * 1000:7.1f} ms"
            )
    print(f"  errors: {errors} (statuses: {dict(sorted(statuses.items()))})")
    if errors:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
