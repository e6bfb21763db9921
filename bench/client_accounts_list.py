"""The "Comptes clients" list of a firm with 5,000 client accounts and 20,000 memberships: the page
against the raw SQL of the same data (issue 4, section 5: at most 2x).

    DEBUG=true .venv/bin/python bench/client_accounts_list.py
    DEBUG=true DATABASE_URL=postgres://postgres@127.0.0.1:5432/facturier_bench .venv/bin/python bench/client_accounts_list.py
    options: --accounts 5000 --memberships 20000 --runs 7 --warmups 2 --explain

Builds the data with bulk_create in a scratch database (a temporary SQLite file, or a database of its
own on the PostgreSQL server of DATABASE_URL, dropped at the end; the configured database is never
touched): one firm, its owner holding a membership (firm staff, owner) in every client account, and
client users making up the rest of the memberships. For each scenario three variants run interleaved:
- view: GET of firm:account_list through Django's test Client, logged in as the firm owner: middleware,
  the access gate, the count and page queries, the template;
- ORM SQL: the view's queries on the accounts table (count, page), captured and sent again as they are;
- raw SQL: the same data written by hand: COUNT(*) of the matches, then the 50 rows with correlated
  subqueries for what a row shows besides its columns: its number of memberships, how many are the
  firm's staff, and whether the user has one (without it the name is not a link).
A fourth variant, "floor", is a plain page with the same layout and gate (the firm's Paramètres > Date
de protection des documents): what any page costs this user before the list adds anything. It prints
the medians, view / raw SQL (the target: at most 2), ORM SQL / raw SQL, the floor, and where the view's
time goes, query by query.
"""

import argparse
import datetime
import random
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from common import (
    database_label,
    explain,
    interleaved,
    ms,
    record,
    run_queries,
    scratch_database,
    setup_django,
)

WORDS = [
    "Boulangerie", "Garage", "Atelier", "Menuiserie", "Pharmacie", "Transports", "Bâtiment", "Conseil",
    "Librairie", "Plomberie", "Électricité", "Restaurant", "Fromagerie", "Imprimerie", "Paysages",
]  # fmt: skip
NAMES = [
    "Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand", "Leroy", "Moreau",
    "Simon", "Laurent", "Lefebvre", "Michel", "Garcia", "David", "Bertrand", "Roux", "Vincent", "Fournier",
]  # fmt: skip
PAGE = 50


@dataclass(frozen=True)
class Scenario:
    label: str
    query: dict[str, str]

    @property
    def query_string(self) -> str:
        from urllib.parse import urlencode

        return urlencode(self.query)


SCENARIOS = [
    Scenario("sorted by name, first page", {}),
    Scenario("search 'garage' (name or slug), first page", {"q": "garage"}),
    Scenario(
        "sorted by number of users, descending (counts every account)", {"sort": "users", "dir": "desc"}
    ),
]


def name(n: int) -> str:
    return f"{WORDS[n % len(WORDS)]} {NAMES[n // len(WORDS) % len(NAMES)]} {n}"


def build(accounts: int, memberships: int) -> tuple[Any, Any]:
    """The firm and its owner; `accounts` client accounts and `memberships` memberships in them."""
    from django.db import connection
    from django.utils.text import slugify

    from facturier.accounts.models import User
    from facturier.tenancy import permissions, plans
    from facturier.tenancy.models import Account, Membership

    rng = random.Random(42)
    owner = User.objects.create_user("associe@cabinet-bench.test", first_name="Claire", last_name="Bench")
    firm = Account.objects.create(
        slug="cabinet-bench", name="Cabinet Bench", plan=plans.ACCOUNTING, firm_module_enabled=True
    )
    Membership.objects.create(account=firm, user=owner, role=permissions.ROLE_ADMIN, is_owner=True)
    start = datetime.datetime(2021, 1, 1, 9, 0, tzinfo=datetime.UTC)
    clients = Account.objects.bulk_create(
        Account(
            slug=slugify(name(n)),
            name=name(n),
            plan=rng.choice([plans.PRO, plans.PRO, plans.MAX]),
            managed_by=firm,
            created_at=start + datetime.timedelta(hours=rng.randrange(5 * 365 * 24)),
            locked_until=datetime.date(2025, rng.randrange(1, 13), 1) if rng.random() < 0.6 else None,
            subscription_ends_on=datetime.date(2027, 1, 1) + datetime.timedelta(days=rng.randrange(365)),
        )
        for n in range(accounts)
    )
    # The owner of every client account: the firm's partner, as firm staff (as the creation service does).
    staff = [
        Membership(account=client, user=owner, role=permissions.ROLE_ADMIN, is_owner=True, firm=firm)
        for client in clients
    ]
    extra = memberships - len(staff)
    unusable = "!"  # an unusable password, as set_unusable_password leaves it (no hashing for 15,000 users)
    users = User.objects.bulk_create(
        User(email=f"user{n}@client.test", password=unusable) for n in range(extra)
    )
    others = [
        Membership(account=rng.choice(clients), user=user, role=permissions.ROLE_MEMBER) for user in users
    ]
    Membership.objects.bulk_create(staff + others, batch_size=2000)
    # Fresh statistics, as a database that has lived a while would have them.
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return firm, owner


def raw_queries(vendor: str, firm_id: int, user_id: int, scenario: Scenario) -> list[tuple[str, list[Any]]]:
    """The page written by hand: the count of matching accounts, then 50 rows with their member count,
    their count of firm staff and whether the user is a member."""
    from facturier.tenancy.models import Account, Membership

    accounts, members = Account._meta.db_table, Membership._meta.db_table
    where, params = "a.managed_by_id = %s", [firm_id]
    search = scenario.query.get("q")
    if search:
        like = "ILIKE" if vendor == "postgresql" else "LIKE"  # SQLite's LIKE ignores ASCII case
        where += f" AND (a.name {like} %s OR a.slug {like} %s)"
        params += [f"%{search}%", f"%{search}%"]
    order = "user_count DESC, a.name, a.id" if scenario.query.get("sort") == "users" else "a.name, a.id"
    # Only table names and fixed fragments are formatted in; every value is a query parameter.
    count = f"SELECT COUNT(*) FROM {accounts} a WHERE {where}"  # noqa: S608
    page = (
        "SELECT a.id, a.slug, a.name, a.created_at, a.locked_until, a.plan, a.subscription_ends_on, "  # noqa: S608
        f"(SELECT COUNT(*) FROM {members} m WHERE m.account_id = a.id) AS user_count, "
        f"(SELECT COUNT(*) FROM {members} s WHERE s.account_id = a.id AND s.firm_id = %s) AS staff_count, "
        f"EXISTS(SELECT 1 FROM {members} u WHERE u.account_id = a.id AND u.user_id = %s) AS has_access "
        f"FROM {accounts} a WHERE {where} ORDER BY {order} LIMIT {PAGE}"
    )
    return [(count, params), (page, [firm_id, user_id, *params])]


def short(sql: str, list_sql: list[str]) -> str:
    """A query in a few words: the list's own two, or the table another one reads first."""
    if sql in list_sql:
        return "client accounts: count" if sql.startswith("SELECT COUNT(*)") else "client accounts: page rows"
    words = sql.replace('"', "").split()
    table = words[words.index("FROM") + 1] if "FROM" in words else "?"
    return f"{words[0]} {table}"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--accounts", type=int, default=5000)
    parser.add_argument("--memberships", type=int, default=20000)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--warmups", type=int, default=2)
    parser.add_argument("--explain", action="store_true", help="print the plans of the list's queries")
    parser.add_argument(
        "--profile", action="store_true", help="print a cProfile of the view (first scenario)"
    )
    args = parser.parse_args()
    if args.memberships < args.accounts:
        parser.error("--memberships must be at least --accounts (every account has its owner)")
    setup_django()
    with scratch_database():
        run(args)


def profile_view(get: Callable[[], Any], runs: int = 20) -> None:
    """Where the view's time goes, by function (cumulative), over a few requests."""
    import cProfile
    import pstats

    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(runs):
        get()
    profiler.disable()
    print(f"  cProfile of {runs} requests (own time, top 25):")
    pstats.Stats(profiler).sort_stats("tottime").print_stats(25)


def run(args: argparse.Namespace) -> None:
    from django.db import connection
    from django.test import Client as TestClient
    from django.urls import reverse

    from facturier.tenancy.models import Account

    started = time.perf_counter()
    firm, owner = build(args.accounts, args.memberships)
    print(f"Database: {database_label()}")
    print(
        f"Firm {firm.slug}: {args.accounts:,} client accounts, {args.memberships:,} memberships "
        f"(built in {time.perf_counter() - started:.1f} s); {args.runs} interleaved runs after "
        f"{args.warmups} warm-ups, medians"
    )
    browser = TestClient(SERVER_NAME="localhost")
    browser.force_login(owner)
    vendor = connection.vendor
    table = Account._meta.db_table
    ratios = []
    floor = reverse("tenancy:lock_date", args=[firm.slug])
    for scenario in SCENARIOS:
        url = f"{reverse('firm:account_list', args=[firm.slug])}?{scenario.query_string}"

        def get(url: str = url) -> Any:
            response = browser.get(url)
            assert response.status_code == 200, (url, response.status_code)
            return response

        get()  # the first request compiles templates and notes the current account in the session
        recorded = record(get)
        orm_sql = [
            (sql, params)
            for sql, params, _ in recorded.queries
            if f'FROM "{table}"' in sql and "managed_by_id" in sql
        ]
        raw = raw_queries(vendor, firm.pk, owner.pk, scenario)
        times = interleaved(
            {
                "view": get,
                "orm": lambda q=orm_sql: run_queries(q),
                "raw": lambda q=raw: run_queries(q),
                "floor": lambda: get(floor),
            },
            runs=args.runs,
            warmups=args.warmups,
        )
        view, orm, hand, base = (statistics.median(times[k]) for k in ("view", "orm", "raw", "floor"))
        ratios.append((view / hand, orm / hand, max(times["view"])))
        with connection.cursor() as cursor:
            cursor.execute(*raw[0])
            (matching,) = cursor.fetchone()
        print(f"\n{scenario.label}: {matching:,} matching accounts  [?{scenario.query_string}]")
        print(
            f"  view {ms(view)} | ORM SQL {ms(orm)} | raw SQL {ms(hand)} | "
            f"view/raw {view / hand:.2f}x | ORM SQL/raw {orm / hand:.2f}x | slowest view {ms(max(times['view']))}"
        )
        print(f"  floor (a plain page, same layout and gate) {ms(base)}: the list adds {ms(view - base)}")
        breakdown = [record(get).queries for _ in range(3)]
        per_query = [statistics.median(run[i][2] for run in breakdown) for i in range(len(breakdown[0]))]
        print(
            f"  in the view: {len(per_query)} queries, SQL {ms(sum(per_query))}, "
            f"the rest (Python, template) {ms(view - sum(per_query))}"
        )
        for (sql, _params, _), seconds in zip(breakdown[0], per_query, strict=True):
            print(f"    {ms(seconds):>10}  {short(sql, [sql for sql, _params in orm_sql])}")
        if args.profile and scenario is SCENARIOS[0]:
            profile_view(get)
        if args.explain:
            print("  plans of the view's list queries:")
            explain(vendor, orm_sql, width=240)
            print("  plans of the raw queries:")
            explain(vendor, raw, width=240)
    browser.logout()
    print(
        f"\nview / raw SQL: {', '.join(f'{view:.2f}x' for view, _orm, _max in ratios)} (target: at most 2x)"
    )
    print(f"ORM SQL / raw SQL: {', '.join(f'{orm:.2f}x' for _view, orm, _max in ratios)}")
    print(
        f"slowest view: {', '.join(ms(slowest) for _view, _orm, slowest in ratios)} (perf-baselines: p95 < 50 ms)"
    )


if __name__ == "__main__":
    main()
