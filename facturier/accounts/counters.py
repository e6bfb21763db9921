"""Counters that hold under parallel requests, for the login throttle and the API's rate limits.

`hit` adds to a counter and reads the new total in one SQL statement (an upsert with RETURNING):
however many web processes count the same key at the same instant, each gets a different total, so a
limit of N lets exactly N through. The ORM cannot express this (`update_or_create` reads then writes,
and `bulk_create(update_conflicts=True)` returns no values), hence the hand-written statement. It runs
as written on PostgreSQL and on SQLite 3.35 or newer (RETURNING; `accounts.checks` refuses older).

A counter lives until its `expires_at`; the first hit after that starts a new window at one. The
same table serves every deployment, Redis or not, so one mechanism is tested on both databases.
`manage.py purge_rate_counters` deletes the expired rows.
"""

import hashlib
import time

from django.db import connection
from django.db.models import F
from django.db.models.functions import Greatest

from facturier.accounts.models import RateCounter


def key(scope: str, *parts: object) -> str:
    """The counter of `scope` for these values, e.g. key("login-email", "jo@x.fr"); hashed, so no
    email or address is stored, and of a fixed length whatever the input."""
    digest = hashlib.sha256("\x00".join(str(part) for part in parts).encode()).hexdigest()
    return f"{scope}:{digest}"


# The table and columns of RateCounter, quoted the standard way (both databases read double quotes). In
# SET, the table's columns are the row as it was: an expired row starts again, a live one adds.
UPSERT = """
    INSERT INTO "accounts_ratecounter" ("key", "count", "expires_at") VALUES (%s, %s, %s)
    ON CONFLICT ("key") DO UPDATE SET
        "count" = CASE WHEN "accounts_ratecounter"."expires_at" <= %s THEN excluded."count"
                       ELSE "accounts_ratecounter"."count" + excluded."count" END,
        "expires_at" = CASE WHEN "accounts_ratecounter"."expires_at" <= %s THEN excluded."expires_at"
                            ELSE "accounts_ratecounter"."expires_at" END
    RETURNING "count", "expires_at"
"""


def hit(counter: str, *, expires_at: float, now: float | None = None, amount: int = 1) -> tuple[int, float]:
    """Add `amount` to the counter and return its new total and when it expires.

    A counter that does not exist or has expired starts again at `amount`, expiring at `expires_at`;
    a live one keeps its expiry.
    """
    now = time.time() if now is None else now
    with connection.cursor() as cursor:
        cursor.execute(UPSERT, [counter, amount, expires_at, now, now])
        row = cursor.fetchone()
    return int(row[0]), float(row[1])


def release(counter: str, *, now: float | None = None) -> None:
    """Take back one hit (a reserved try that turned out not to count), if the window is still open."""
    now = time.time() if now is None else now
    RateCounter.objects.filter(key=counter, expires_at__gt=now, count__gt=0).update(count=F("count") - 1)


def extend(counter: str, until: float) -> None:
    """Keep the counter (and whatever limit it has reached) alive until at least `until`."""
    RateCounter.objects.filter(key=counter).update(expires_at=Greatest(F("expires_at"), until))


def reset(*counters: str) -> None:
    RateCounter.objects.filter(key__in=counters).delete()


def purge(now: float | None = None) -> int:
    """Delete the expired counters; returns how many."""
    now = time.time() if now is None else now
    deleted, _by_model = RateCounter.objects.filter(expires_at__lte=now).delete()
    return deleted
