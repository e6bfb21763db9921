"""The pages of the issue's performance budgets, and a 10-line invoice created and issued, on the dataset;
with --compare REV, the same measurements for another revision, side by side in one table.

    DEBUG=true FACTURIER_VAR_DIR=/work/ds .venv/bin/python bench/pages.py
    DEBUG=true DATABASE_URL=postgres://postgres@127.0.0.1:5432/facturier_bench .venv/bin/python bench/pages.py
    options: --account bench-0001 --small-account bench-0300 --runs 20 --warmups 3 --issue-runs 30
             --compare REV --blocks 2

Needs the dataset (manage.py generate_dataset) in the configured database.
- Pages: GET through Django's test Client, logged in as the account's owner (the firm's list as the
  firm's owner): middleware, session, access gate, queries, template; no HTTP server. Every round
  requests each page once, the order rotating (common.interleaved), after warm-up rounds. For each page:
  the median and p95 of the large account, and the queries of one request for the large and the small
  account (they must be the same number: queries do not grow with the data).
- Invoice: a 10-line invoice (common.INVOICE_LINES) through the services as the sales form calls them,
  each in its own transaction (commit and on-commit work included): a new draft saved, that draft
  issued, and a new invoice created and issued in one call (create_document(issue=True): the budget's
  case); the account and the member are read before the timer starts, as the access gate reads them.
  Reported with their queries (savepoints included).

What it writes, kept so that every run measures the same thing:
- the firm "cabinet-bench" with 5,000 client accounts and 20,000 memberships, built as
  client_accounts_list.py builds it (then ANALYZE) on the first run against a database without it;
- the account "bench-pages-issue" (owner bench@example.com, one client) that the invoices are issued
  in, apart from the dataset's accounts (generate_dataset --replace leaves it): it keeps the invoices,
  2 × (--issue-runs + --warmups) of them a run, dated 2026-03-10;
- one session per logged-in browser, deleted at the end (logout).

--compare REV checks REV out in a git worktree under /tmp, runs this same script in a child process with
the same environment and database but the project imported from the worktree, and removes the worktree.
The runs are split in --blocks blocks alternating the two revisions (REV, now, now, REV, ...), so the
drift of this machine's speed touches both alike. Both revisions must work on the database's schema.
"""

import argparse
import datetime
import json
import math
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from common import Recorder, database_label, interleaved, invoice_input, record, scratch_account, setup_django

BENCH = Path(__file__).resolve().parent
FIRM_SLUG = "cabinet-bench"  # the firm client_accounts_list.build creates
FIRM_ACCOUNTS, FIRM_MEMBERSHIPS = 5000, 20000
ISSUE_SLUG = "bench-pages-issue"
PAGE_BUDGET_MS = {"postgresql": 60, "sqlite": 80}
SUMMARY_BUDGET_MS = 25  # the VAT register and the OSS return, read from the report summary
ISSUE_BUDGET_MS = {"postgresql": 40}
ISSUE_BUDGET_QUERIES = 15
# Statements that only open or close a transaction or a savepoint (counted among the queries: each is a
# round trip to the database).
CONTROL = ("BEGIN", "SAVEPOINT", "RELEASE SAVEPOINT", "ROLLBACK TO SAVEPOINT")
INVOICE_ROWS = ("invoice: new draft (10 lines)", "invoice: that draft issued", "invoice: created and issued")


@dataclass(frozen=True)
class Page:
    label: str
    url_name: str
    query: dict[str, str] = field(default_factory=dict)
    code: str = ""  # a report's code
    document: bool = False  # the page of the account's document
    firm: bool = False  # the firm's page, as the firm's owner
    budget: str = "page"  # "page", "summary" or "" (shown for reference)


def custom(start: datetime.date, end: datetime.date, **more: str) -> dict[str, str]:
    return {"period": "custom", "date_from": start.isoformat(), "date_to": end.isoformat(), **more}


def pages(last: datetime.date) -> list[Page]:
    """The pages, their periods fixed by the dataset's last document date `last` (not by today)."""
    year = (datetime.date(last.year - 1, 1, 1), datetime.date(last.year - 1, 12, 31))
    month_end = last.replace(day=1) - datetime.timedelta(days=1)
    month = (month_end.replace(day=1), month_end)
    quarter_end = datetime.date(last.year, 3 * ((last.month - 1) // 3) + 1, 1) - datetime.timedelta(days=1)
    quarter = (quarter_end.replace(day=1, month=quarter_end.month - 2), quarter_end)
    this_year = {"date_from": f"{last.year}-01-01", "date_to": f"{last.year}-12-31"}
    return [
        Page("dashboard", "web:dashboard"),
        Page("sales list, no filter", "billing:document_list"),
        Page(f"sales list, {last.year} + status issued", "billing:document_list", {**this_year, "status": "issued"}),
        Page("sales list, search 'martin'", "billing:document_list", {"q": "martin"}),
        Page("client list", "billing:client_list"),
        Page("document page (latest paid invoice)", "billing:document_detail", document=True),
        Page(f"firm client accounts ({FIRM_ACCOUNTS:,}), by name", "firm:account_list", firm=True),
        Page("firm client accounts, by users desc", "firm:account_list", {"sort": "users", "dir": "desc"}, firm=True),
        Page(f"report: revenue list, {year[0].year}", "reports:report", custom(*year), code="revenue"),
        Page(f"report: expense list, {year[0].year}", "reports:report", custom(*year), code="expenses"),
        Page(f"report: VAT register, {month[0]:%Y-%m}", "reports:report", custom(*month, vat_mode="debits"), code="vat-register", budget="summary"),
        Page(f"report: VAT register due, {month[0]:%Y-%m}", "reports:report", custom(*month, vat_mode="due"), code="vat-register", budget="summary"),
        Page(f"report: VAT register, {year[0].year}", "reports:report", custom(*year, vat_mode="debits"), code="vat-register", budget="summary"),
        Page(f"report: OSS return, {quarter[0]:%Y-%m}..{quarter[1]:%m}", "reports:report", custom(*quarter), code="oss", budget="summary"),
        Page("report: unpaid list, all dates", "reports:report", code="unpaid"),
        Page("floor: settings, lock date", "tenancy:lock_date", budget=""),
    ]  # fmt: skip


# --- Fixtures kept in the database ----------------------------------------------------------------


def ensure_vacuumed() -> None:
    """On PostgreSQL, VACUUM (ANALYZE) a database whose documents were never vacuumed (a dataset written
    where autovacuum is off, as on the machine of these figures): without a visibility map every
    index-only scan reads the table to check each row, which no database that has lived a while does."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT last_vacuum IS NULL AND last_autovacuum IS NULL FROM pg_stat_user_tables "
            "WHERE relname = 'billing_document'"
        )
        (never,) = cursor.fetchone() or (False,)
        if never:
            started = time.perf_counter()
            cursor.execute("VACUUM (ANALYZE)")
            print(f"Vacuumed the database, never vacuumed before ({time.perf_counter() - started:.0f} s)")


def ensure_fixtures() -> None:
    """The firm with its client accounts and the account the invoices are issued in, made if missing."""
    from django.db import transaction

    from facturier.billing.services.clients import create_client
    from facturier.tenancy.models import Account

    firm = Account.objects.filter(slug=FIRM_SLUG).first()
    if firm is None:
        from client_accounts_list import build

        started = time.perf_counter()
        with transaction.atomic():
            firm, _owner = build(FIRM_ACCOUNTS, FIRM_MEMBERSHIPS)
        print(
            f"Made the firm {FIRM_SLUG}: {FIRM_ACCOUNTS:,} client accounts, {FIRM_MEMBERSHIPS:,} "
            f"memberships ({time.perf_counter() - started:.0f} s, kept for the next runs)"
        )
    managed = Account.objects.filter(managed_by=firm).count()
    if managed != FIRM_ACCOUNTS:
        print(f"WARNING: the firm {FIRM_SLUG} manages {managed:,} accounts, not {FIRM_ACCOUNTS:,}")
    if not Account.objects.filter(slug=ISSUE_SLUG).exists():
        with transaction.atomic():
            account, actor = scratch_account(
                ISSUE_SLUG,
                "Bench Pages SAS",
                siren="732829320",
                vat_number="FR44732829320",
                iban="",
                street="1 rue de Rivoli",
                post_code="75001",
                city="Paris",
            )  # the legal mentions an invoice needs (billing/mentions.py)
            create_client(
                actor, account, name="Dupont SARL", siren="552100554", street="2 quai Saint-Antoine",
                post_code="69002", city="Lyon", country="FR",
            )  # fmt: skip
        print(f"Made the account {ISSUE_SLUG} for the issued invoices (kept for the next runs)")


# --- Measuring --------------------------------------------------------------------------------------


class Bench:
    """The browsers, logged in, and the URLs of each page for the large and the small account."""

    def __init__(self, slug: str, small_slug: str) -> None:
        from django.db.models import Max
        from django.test import Client as TestClient

        from facturier.billing.models import Client, Document
        from facturier.tenancy.models import Account, Membership

        self.account = Account.objects.filter(slug=slug).first()
        if self.account is None:
            raise SystemExit(f"No account {slug}: run manage.py generate_dataset first.")
        self.small = Account.objects.get(slug=small_slug)
        firm = Account.objects.get(slug=FIRM_SLUG)
        last = Document.objects.filter(account=self.account).aggregate(last=Max("issue_date"))["last"]
        self.pages = pages(last)
        self.browsers: dict[str, Any] = {}
        for each in (self.account, self.small, firm):
            self.browsers[each.slug] = TestClient(SERVER_NAME="localhost")
            self.browsers[each.slug].force_login(Membership.objects.get(account=each, is_owner=True).user)
        self.urls = {page.label: self.url(page, self.account, firm) for page in self.pages}
        self.small_urls = {
            page.label: self.url(page, self.small, firm) for page in self.pages if not page.firm
        }
        membership = Membership.objects.get(account__slug=ISSUE_SLUG, is_owner=True)
        self.issue_membership_id = membership.pk
        self.issue_client_id = Client.objects.filter(account_id=membership.account_id).values_list(
            "pk", flat=True
        )[0]
        self.described = (
            f"{self.account.slug}: {Document.objects.filter(account=self.account).count():,} documents, "
            f"{Client.objects.filter(account=self.account).count():,} clients, the last dated {last}; "
            f"{self.small.slug}: {Document.objects.filter(account=self.small).count():,} documents"
        )

    def url(self, page: Page, account: Any, firm: Any) -> tuple[str, str]:
        """The browser's key and the URL of the page for that account."""
        from django.urls import reverse

        from facturier.billing.models import Document, Kind, Status

        if page.firm:
            return firm.slug, f"{reverse(page.url_name, args=[firm.slug])}?{urlencode(page.query)}"
        args: list[Any] = [account.slug]
        if page.code:
            args.append(page.code)
        if page.document:
            documents = Document.objects.filter(account=account, kind=Kind.INVOICE).order_by(
                "-issue_date", "-id"
            )
            document = documents.filter(status=Status.PAID).first() or documents.first()
            if document is None:
                raise SystemExit(f"No invoice in {account.slug}.")
            args.append(document.pk)
        return account.slug, f"{reverse(page.url_name, args=args)}?{urlencode(page.query)}"

    def getter(self, browser_url: tuple[str, str]) -> Callable[[], Any]:
        browser, url = self.browsers[browser_url[0]], browser_url[1]

        def get() -> Any:
            response = browser.get(url)
            assert response.status_code == 200, (url, response.status_code)
            return response

        return get

    def measure_pages(self, runs: int, warmups: int) -> dict[str, Any]:
        getters = {label: self.getter(url) for label, url in self.urls.items()}
        results: dict[str, Any] = {}
        for label, get in getters.items():
            get()  # a session's first request also notes the current account in it
            small = self.small_urls.get(label)
            small_get = self.getter(small) if small else None
            if small_get:
                small_get()
            results[label] = {
                "samples": [],
                "queries": [len(record(get).queries)],
                "small_queries": [len(record(small_get).queries)] if small_get else [],
            }
        times = interleaved(getters, runs=runs, warmups=warmups)
        for label, samples in times.items():
            results[label]["samples"] = samples
            # The time spent waiting on the database, as the driver returns each query (3 requests).
            results[label]["sql"] = [sum(q[2] for q in record(getters[label]).queries) for _ in range(3)]
        return results

    def measure_issue(self, runs: int, warmups: int) -> dict[str, Any]:
        """Per round, three invoices' paths as the sales form takes them: a new draft saved
        (create_document without issue), that draft issued (issue, the draft page's button), and a new
        invoice created and issued in one go (create_document with issue: the budget's case). Each is its
        own transaction, commit and on-commit work included."""
        from django.db import connection

        from facturier.billing.services.documents import create_document, issue
        from facturier.tenancy.access import Actor
        from facturier.tenancy.models import Membership

        data = invoice_input(self.issue_client_id)
        rows: dict[str, Any] = {
            label: {"samples": [], "sql": [], "queries": [], "small_queries": [], "control": []}
            for label in INVOICE_ROWS
        }
        for round_number in range(warmups + runs):
            membership = Membership.objects.select_related("account", "user").get(pk=self.issue_membership_id)
            actor, account = Actor(user=membership.user, membership=membership), membership.account
            draft = None
            for label in INVOICE_ROWS:
                recorder = Recorder()
                with connection.execute_wrapper(recorder):
                    started = time.perf_counter()
                    if draft is None:
                        draft = create_document(actor, account, data, issue=False)
                    elif draft.is_draft:
                        draft = issue(actor, draft)
                    else:
                        create_document(actor, account, data, issue=True)
                    seconds = time.perf_counter() - started
                if round_number < warmups:
                    continue
                control = sum(
                    sql.lstrip().upper().startswith(CONTROL) for sql, _params, _seconds in recorder.queries
                )
                rows[label]["samples"].append(seconds)
                rows[label]["sql"].append(sum(waited for _sql, _params, waited in recorder.queries))
                for key, value in (("queries", len(recorder.queries)), ("control", control)):
                    if value not in rows[label][key]:
                        rows[label][key].append(value)
        return rows

    def close(self) -> None:
        for browser in self.browsers.values():
            browser.logout()


def measure(bench: Bench, args: argparse.Namespace, runs: int, issue_runs: int) -> dict[str, Any]:
    results = bench.measure_pages(runs, args.warmups)
    results.update(bench.measure_issue(issue_runs, args.warmups))
    return results


def merge(into: dict[str, Any], more: dict[str, Any]) -> None:
    for label, row in more.items():
        if label not in into:
            into[label] = row
            continue
        into[label]["samples"] += row["samples"]
        into[label]["sql"] += row["sql"]
        for key in ("queries", "small_queries", "control"):
            if key in row:
                into[label][key] += [n for n in row[key] if n not in into[label][key]]


# --- The other revision -----------------------------------------------------------------------------


def git(*arguments: str, cwd: Path = BENCH.parent) -> str:
    # git from PATH, with arguments this script chooses (REV is resolved by git itself).
    done = subprocess.run(["git", *arguments], cwd=cwd, capture_output=True, text=True, check=True)  # noqa: S603, S607
    return done.stdout.strip()


def revision(checkout: Path) -> str:
    """The checkout's commit, and whether its tracked files have changed since."""
    changed = git("status", "--porcelain", "--untracked-files=no", cwd=checkout)
    return git("rev-parse", "--short", "HEAD", cwd=checkout) + (" + uncommitted changes" if changed else "")


@contextmanager
def worktree(rev: str) -> Iterator[tuple[Path, str]]:
    """REV checked out in a new folder under /tmp, removed afterwards."""
    sha = git("rev-parse", "--verify", f"{rev}^{{commit}}")
    folder = Path(tempfile.mkdtemp(prefix=f"pages-{sha[:10]}-", dir="/tmp"))
    try:
        git("worktree", "add", "--detach", str(folder), sha)
    except subprocess.CalledProcessError as error:
        folder.rmdir()
        raise SystemExit(f"git worktree add failed: {error.stderr}") from error
    try:
        # Compiled translations are not in git: made as `make` makes them, so pages in English are
        # translated in both revisions alike.
        # (facturier/locale since the templates, static files and translations moved into the package).
        catalogs = [
            *folder.glob("locale/*/LC_MESSAGES/*.po"),
            *folder.glob("facturier/locale/*/LC_MESSAGES/*.po"),
        ]
        for catalog in catalogs:
            command = ["msgfmt", "--check-format", "-o", str(catalog.with_suffix(".mo")), str(catalog)]
            subprocess.run(command, check=True)  # noqa: S603 (gettext's msgfmt from PATH)
        yield folder, sha
    finally:
        git("worktree", "remove", "--force", str(folder))


def run_child(folder: Path, args: argparse.Namespace, runs: int, issue_runs: int) -> dict[str, Any]:
    """This script's measurements with the project imported from `folder`, in a child process."""
    from django.conf import settings

    env = dict(os.environ)
    # The worktree's settings would put the default SQLite database under its own var/ folder.
    env.setdefault("FACTURIER_VAR_DIR", str(settings.VAR_DIR))
    with tempfile.NamedTemporaryFile(suffix=".json", prefix="pages-") as out:
        command = [
            sys.executable, str(BENCH / "pages.py"), "--child", out.name, "--code-root", str(folder),
            "--account", args.account, "--small-account", args.small_account, "--runs", str(runs),
            "--warmups", str(args.warmups), "--issue-runs", str(issue_runs),
        ]  # fmt: skip
        subprocess.run(command, cwd=folder, env=env, check=True)  # noqa: S603 (this script, our arguments)
        return json.loads(Path(out.name).read_text())


# --- Output -----------------------------------------------------------------------------------------


def migration_warnings() -> list[str]:
    """What differs between the database's migrations and this code's."""
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    graph = executor.loader.graph
    unapplied = executor.migration_plan(graph.leaf_nodes())
    unknown = sorted(set(executor.loader.applied_migrations) - set(graph.nodes))
    warnings = []
    if unapplied:
        warnings.append(f"{len(unapplied)} migrations of this code are not applied: {unapplied[0][0]}...")
    if unknown:
        warnings.append(f"the database has {len(unknown)} migrations this code lacks: {unknown[0]}...")
    return warnings


def header() -> str:
    import facturier

    code = Path(facturier.__file__).resolve().parent.parent
    load = ", ".join(f"{value:.2f}" for value in os.getloadavg())
    return f"code {code} ({revision(code)}), database {database_label()}, load average {load}"


def p95(samples: list[float]) -> float:
    return statistics.quantiles(samples, n=20, method="inclusive")[18] if len(samples) > 1 else samples[0]


def budget(vendor: str, label: str, page: Page | None) -> tuple[float | None, str]:
    """The budget in seconds (None if none), and how it is shown."""
    if page is None:  # an invoice row
        if label != INVOICE_ROWS[2]:
            return None, ""
        limit = ISSUE_BUDGET_MS.get(vendor)
        shown = f"{limit} ms, " if limit else ""
        return (limit / 1000 if limit else None), f"{shown}{ISSUE_BUDGET_QUERIES} queries"
    if page.budget == "summary":
        return SUMMARY_BUDGET_MS / 1000, f"{SUMMARY_BUDGET_MS} ms"
    if page.budget == "page":
        return PAGE_BUDGET_MS[vendor] / 1000, f"{PAGE_BUDGET_MS[vendor]} ms"
    return None, ""


def cells(row: dict[str, Any], limit: float | None, query_limit: int | None) -> list[str]:
    """Median, p95, the median time in queries, and the number of queries (the small account's in
    brackets); what exceeds its budget in bold."""
    median = statistics.median(row["samples"])
    shown = f"{median * 1000:,.1f}"
    queries = "/".join(map(str, sorted(row["queries"])))
    if query_limit is not None and max(row["queries"]) > query_limit:
        queries = f"**{queries}**"
    if row["small_queries"]:
        queries += f" ({'/'.join(map(str, sorted(row['small_queries'])))})"
    over = limit is not None and median > limit
    sql = f"{statistics.median(row['sql']) * 1000:,.1f}"
    return [f"**{shown}**" if over else shown, f"{p95(row['samples']) * 1000:,.1f}", sql, queries]


def table(vendor: str, bench: Bench, columns: list[tuple[str, dict[str, Any]]]) -> str:
    by_label = {page.label: page for page in bench.pages}
    head = ["page", "budget"]
    for name, _results in columns:
        head += [f"{name}: median ms", "p95 ms", "SQL ms", "queries"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for label in [*by_label, *INVOICE_ROWS]:
        limit, shown = budget(vendor, label, by_label.get(label))
        row = [label, shown]
        for _name, results in columns:
            row += cells(results[label], limit, ISSUE_BUDGET_QUERIES if label == INVOICE_ROWS[2] else None)
        lines.append("| " + " | ".join(row) + " |")
    return "\n".join(lines)


# --- Main -------------------------------------------------------------------------------------------


def profile(bench: Bench, text: str, runs: int) -> None:
    """Where a page's time goes: cProfile over `runs` requests after one warm-up, the functions that
    take the most time of their own and the most time with what they call."""
    import cProfile
    import pstats

    for label, browser_url in bench.urls.items():
        if text not in label:
            continue
        get = bench.getter(browser_url)
        get()
        profiler = cProfile.Profile()
        profiler.enable()
        for _ in range(runs):
            get()
        profiler.disable()
        print(f"\n=== {label}: {runs} requests ===")
        stats = pstats.Stats(profiler).strip_dirs()
        stats.sort_stats("tottime").print_stats(25)
        stats.sort_stats("cumulative").print_stats(40)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--account", default="bench-0001")
    parser.add_argument("--small-account", default="bench-0300", help="to compare query counts")
    parser.add_argument("--runs", type=int, default=20, help="requests of each page (after the warm-ups)")
    parser.add_argument("--warmups", type=int, default=3)
    parser.add_argument("--issue-runs", type=int, default=30, help="invoices created and issued")
    parser.add_argument("--compare", metavar="REV", help="also measure this git revision, side by side")
    parser.add_argument("--blocks", type=int, default=2, help="with --compare: alternating blocks of runs")
    parser.add_argument("--child", metavar="JSON", help=argparse.SUPPRESS)  # --compare's child: results there
    parser.add_argument("--code-root", type=Path, help=argparse.SUPPRESS)
    parser.add_argument(
        "--profile",
        metavar="TEXT",
        help="instead of measuring: profile the pages whose label contains TEXT (cProfile, --runs requests)",
    )
    args = parser.parse_args()
    setup_django(args.code_root)

    from django.db import connection

    import facturier

    code = Path(facturier.__file__).resolve().parent.parent
    if args.code_root and code != args.code_root.resolve():
        raise SystemExit(f"facturier imported from {code}, not from {args.code_root}")
    if args.child:
        print(f"  [child] {header()}", flush=True)
        for warning in migration_warnings():
            print(f"  [child] WARNING: {warning}", flush=True)
        bench = Bench(args.account, args.small_account)
        try:
            results = measure(bench, args, args.runs, args.issue_runs)
        finally:
            bench.close()
        Path(args.child).write_text(json.dumps(results))
        return

    ensure_vacuumed()
    ensure_fixtures()
    print(header())
    for warning in migration_warnings():
        print(f"WARNING: {warning}")
    bench = Bench(args.account, args.small_account)
    if args.profile:
        try:
            profile(bench, args.profile, args.runs)
        finally:
            bench.close()
        return
    blocks = args.blocks if args.compare else 1
    runs, issue_runs = math.ceil(args.runs / blocks), math.ceil(args.issue_runs / blocks)
    print(
        f"{bench.described}; {runs * blocks} requests of each page and {issue_runs * blocks} invoices "
        f"after {args.warmups} warm-ups{f' per block, in {blocks} blocks' if blocks > 1 else ''}"
    )
    now: dict[str, Any] = {}
    try:
        if not args.compare:
            now = measure(bench, args, runs, issue_runs)
            columns = [("now", now)]
        else:
            before: dict[str, Any] = {}
            with worktree(args.compare) as (folder, sha):
                for block in range(blocks):
                    order = ["rev", "now"] if block % 2 == 0 else ["now", "rev"]
                    for which in order:
                        print(
                            f"block {block + 1}/{blocks}: {args.compare if which == 'rev' else 'now'}",
                            flush=True,
                        )
                        if which == "rev":
                            merge(before, run_child(folder, args, runs, issue_runs))
                        else:
                            merge(now, measure(bench, args, runs, issue_runs))
            columns = [(f"{args.compare} ({sha[:7]})", before), ("now", now)]
    finally:
        bench.close()
    print(f"load average at the end: {', '.join(f'{value:.2f}' for value in os.getloadavg())}")
    print(
        "\nMedians over budget in bold; queries of one request for "
        f"{args.account} ({args.small_account} in brackets), invoice queries including savepoints; "
        "SQL ms: the median time waiting on the queries (3 more requests, or each invoice).\n"
    )
    print(table(connection.vendor, bench, columns))
    for name, results in columns:
        control = ", ".join(
            f"{label.removeprefix('invoice: ')} {'/'.join(map(str, sorted(results[label]['control'])))}"
            for label in INVOICE_ROWS
        )
        print(f"\n{name}: of the invoice's queries, BEGIN and savepoint statements: {control}")


if __name__ == "__main__":
    main()
