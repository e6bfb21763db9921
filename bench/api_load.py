"""A bounded load test of the API on loopback: 20 concurrent clients of list and show behind gunicorn.

    createdb -h 127.0.0.1 -U postgres bench_api_load
    export DEBUG=true DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_api_load
    .venv/bin/python manage.py migrate && .venv/bin/python manage.py generate_dataset --accounts 3 --invoices 20000
    .venv/bin/python bench/api_load.py
    options: --account bench-0001 --clients 20 --workers 4 --seconds 30 --warmup 3

Needs the dataset in the database of DATABASE_URL (PostgreSQL: the point is several processes on one
database; SQLite works too, its writers queue). The script starts gunicorn on a free loopback port
with `--workers` sync workers, in production mode (DEBUG off, a throw-away SECRET_KEY) and the rate
limit counted as usual but set out of reach; then `--clients` threads, each with its own API token of
the account's owner, call in turn `GET /invoices.json` (the default list: 25 documents of the last
12 months) and `GET /invoices/{id}.json` (a random document of the account, positions included), one
new connection per request (gunicorn's sync workers close it), for `--seconds` after `--warmup`
seconds not counted. It prints the throughput, p50 and p95 per kind of request and in all, and the
errors (any status but 200, or no answer), which must be 0; then stops gunicorn and deletes its
tokens. The clients run in this process, on the same 2 vCPUs as the server: the figures are those of
the whole machine, client included.
"""

import argparse
import http.client
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


def get(port: int, path: str) -> int:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        response.read()
        return response.status
    finally:
        connection.close()


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
    args = parser.parse_args()
    setup_django()

    from facturier.billing.models import Document
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
    print(f"Database: {database_label()}")
    print(
        f"Account {account.slug}: {Document.objects.filter(account=account).count():,} documents; "
        f"{args.clients} clients, gunicorn with {args.workers} sync workers, {args.seconds:g} s after "
        f"{args.warmup:g} s of warm-up; rate limit {'off' if args.no_rate_limit else 'counted'}; "
        f"DB_CONN_MAX_AGE={os.environ.get('DB_CONN_MAX_AGE', '0')}"
    )

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
            turn = number % 2
            while (now := time.monotonic()) < stop_at:
                turn = 1 - turn
                if turn == 0:
                    kind, path = "list", f"/invoices.json?api_token={token}"
                else:
                    kind, path = "show", f"/invoices/{chance.choice(ids)}.json?api_token={token}"
                try:
                    status = get(port, path)
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
    errors = sum(count for status, count in statuses.items() if status != 200)
    print(f"  {len(results):,} requests in {args.seconds:g} s: {len(results) / args.seconds:,.1f} requests/s")
    for kind in ("list", "show", "all"):
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
