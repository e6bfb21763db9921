"""A bounded HTTP load on running web nodes: throughput, p50 and p95 per page, as a load balancer sees them.

    # one node (2 gunicorn workers) or several, already started with the production environment:
    gunicorn facturier.wsgi --workers 2 --bind 127.0.0.1:8000
    .venv/bin/python bench/http_load.py --base http://127.0.0.1:8000 [--base http://127.0.0.1:8001] \\
        --slug bench-0001 --email owner@bench-0001.test --password ... --api-token ... --seconds 60
    options: --clients 8 --warmup 5 --api-create (also POST /invoices.json: writes invoices)

Unlike bench/api_load.py, it starts nothing: it loads the nodes named by --base (each client alternates
between them, request by request, as a round-robin balancer would), which may be a deployment's own.
Each of --clients threads logs in once on the first node (the session is shared by every node) and then
requests in turn: the dashboard, the sales list, a document's page, its PDF, and with a token the API
list (and creation with --api-create), for --seconds after --warmup seconds not counted. It prints, per
kind of request and in all, the requests per second, p50, p95 and the errors (any status but 200/201, or
no answer). Loopback only by intent: the clients share the machine's CPUs with the server, so the figures
are those of the machine, client included. Standard library only.
"""

import argparse
import http.cookiejar
import json
import re
import statistics
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import defaultdict
from itertools import cycle


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--base", action="append", required=True, help="a node's address (repeat for several)"
    )
    parser.add_argument("--slug", required=True, help="the account to load")
    parser.add_argument("--email", required=True)
    parser.add_argument("--password", required=True)
    parser.add_argument("--api-token", default="", help="an API token of the account (API requests)")
    parser.add_argument("--api-create", action="store_true", help="also create invoices through the API")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--warmup", type=float, default=5)
    return parser.parse_args()


class Client:
    """One user: a cookie jar shared by every node, and the nodes in turn."""

    def __init__(self, bases: list[str]) -> None:
        self.nodes = cycle(bases)
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
        )

    def request(
        self, path: str, data: bytes | None = None, headers: dict[str, str] | None = None
    ) -> tuple[int, bytes]:
        url = next(self.nodes) + path
        request = urllib.request.Request(url, data=data, headers=headers or {})  # noqa: S310 (http(s) nodes given by the operator)
        try:
            with self.opener.open(request, timeout=30) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as error:
            return error.code, error.read()

    def log_in(self, email: str, password: str) -> None:
        status, page = self.request("/login/")
        match = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        if status != 200 or match is None:
            raise SystemExit(f"no login form ({status})")
        form = {"csrfmiddlewaretoken": match.group(1).decode(), "email": email, "password": password}
        status, page = self.request("/login/", urllib.parse.urlencode(form).encode())
        if status != 200 or b'name="password"' in page:
            raise SystemExit("login refused: check --email and --password")


def first_document(client: Client, slug: str) -> int:
    status, page = client.request(f"/{slug}/documents/")
    match = re.search(rf'href="/{re.escape(slug)}/documents/(\d+)/"'.encode(), page)
    if status != 200 or match is None:
        raise SystemExit(f"no document in the sales list of {slug} ({status})")
    return int(match.group(1))


def invoice_body(client_id: int) -> bytes:
    position = {"name": "Charge", "quantity": 1, "price_net": "100", "tax": "20"}
    return json.dumps({"invoice": {"client_id": client_id, "positions": [position]}}).encode()


def requests_of(
    args: argparse.Namespace, document: int, client_id: int | None
) -> list[tuple[str, str, bytes | None]]:
    slug = args.slug
    plan: list[tuple[str, str, bytes | None]] = [
        ("dashboard", f"/{slug}/", None),
        ("sales list", f"/{slug}/documents/", None),
        ("document page", f"/{slug}/documents/{document}/", None),
        ("PDF", f"/{slug}/documents/{document}/pdf/", None),
    ]
    if args.api_token:
        token = urllib.parse.quote(args.api_token)
        plan.append(("API list", f"/invoices.json?api_token={token}", None))
        if args.api_create and client_id is not None:
            plan.append(("API create", f"/invoices.json?api_token={token}", invoice_body(client_id)))
    return plan


def main() -> None:
    args = parse_args()
    bases = [base.rstrip("/") for base in args.base]
    probe = Client(bases[:1])
    probe.log_in(args.email, args.password)
    document = first_document(probe, args.slug)
    client_id = None
    if args.api_create:
        status, body = probe.request(
            f"/invoices/{document}.json?api_token={urllib.parse.quote(args.api_token)}"
        )
        client_id = json.loads(body)["client_id"] if status == 200 else None
    plan = requests_of(args, document, client_id)

    timings: dict[str, list[float]] = defaultdict(list)
    errors: dict[str, int] = defaultdict(int)
    lock = threading.Lock()
    start = time.monotonic()
    counted_from, stop_at = start + args.warmup, start + args.warmup + args.seconds

    def run() -> None:
        client = Client(bases)
        client.log_in(args.email, args.password)
        for name, path, data in cycle(plan):
            began = time.monotonic()
            if began >= stop_at:
                return
            headers = {"Content-Type": "application/json"} if data else {}
            try:
                status, _body = client.request(path, data, headers)
            except OSError:
                status = 0
            ended = time.monotonic()
            if began >= counted_from:
                with lock:
                    timings[name].append(ended - began)
                    if status not in (200, 201):
                        errors[name] += 1

    threads = [threading.Thread(target=run) for _ in range(args.clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    print(
        f"{len(bases)} node(s), {args.clients} clients, {args.seconds:.0f} s counted after {args.warmup:.0f} s"
    )
    print(f"{'request':<15} {'req/s':>8} {'p50 ms':>8} {'p95 ms':>8} {'errors':>7}")
    everything: list[float] = []
    for name, _path, _data in plan:
        values = sorted(timings[name])
        everything += values
        print(_row(name, values, errors[name], args.seconds))
    print(_row("all", sorted(everything), sum(errors.values()), args.seconds))
    if sum(errors.values()):
        sys.exit(1)


def _row(name: str, values: list[float], failed: int, seconds: float) -> str:
    if not values:
        return f"{name:<15} {'-':>8} {'-':>8} {'-':>8} {failed:>7}"
    p95 = values[min(len(values) - 1, int(len(values) * 0.95))]
    return f"{name:<15} {len(values) / seconds:>8.1f} {statistics.median(values) * 1000:>8.1f} {p95 * 1000:>8.1f} {failed:>7}"


if __name__ == "__main__":
    main()
