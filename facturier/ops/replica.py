"""Reports read from a streaming replica when DATABASE_REPLICA_URL names one (settings.DATABASES["replica"]).

Only what is marked reads there: the report pages (`@reads_from_replica`, under the access gate, so the
membership and the account are read from the primary: a member added a second ago is never refused), and
of their reads only the rows of the apps the reports read (not sessions, users, the cache or jobs).
Everything else, and any read inside a transaction of the primary (a service writing, a test), stays on
the primary: a replica may lag by a moment, which a report shown to a person may afford and a write may
not. A user who has just written (any POST, PUT, PATCH or DELETE of the web pages) reads their own
writes: for DATABASE_REPLICA_READ_YOUR_WRITES seconds (10 by default) a cookie set by RecentWriteMiddleware
keeps their report pages on the primary. Without a replica nothing changes (the router answers None:
Django's default).
"""

import contextlib
import functools
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from typing import Any, ParamSpec, TypeVar

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import Model
from django.http import HttpRequest, HttpResponse

REPLICA = "replica"
RECENT_WRITE_COOKIE = "facturier_wrote"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
# The apps whose rows the reports read; any other read stays on the primary even within replica_reads.
REPLICA_APPS = frozenset({"billing", "purchases", "reports", "tenancy"})
_reading: ContextVar[bool] = ContextVar("facturier_replica_reads", default=False)

P = ParamSpec("P")
R = TypeVar("R")


@contextlib.contextmanager
def replica_reads() -> Iterator[None]:
    """Within: reads may go to the replica (ReplicaRouter decides)."""
    token = _reading.set(True)
    try:
        yield
    finally:
        _reading.reset(token)


def reads_from_replica(view: Callable[P, R]) -> Callable[P, R]:
    """A read-only view whose queries may go to the replica (place it under the access gate's decorator)."""

    @functools.wraps(view)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        request = args[0] if args else None
        if isinstance(request, HttpRequest) and RECENT_WRITE_COOKIE in request.COOKIES:
            return view(
                *args, **kwargs
            )  # this user has just written: the primary has it, maybe not the replica
        with replica_reads():
            return view(*args, **kwargs)

    return wrapper


class RecentWriteMiddleware:
    """Marks the browser of a user who has just written, so their reports read from the primary for a
    while (settings.DATABASE_REPLICA_READ_YOUR_WRITES seconds); installed with a replica only."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if request.method not in SAFE_METHODS:
            response.set_cookie(
                RECENT_WRITE_COOKIE,
                "1",
                max_age=settings.DATABASE_REPLICA_READ_YOUR_WRITES,
                httponly=True,
                samesite="Lax",
                secure=settings.SESSION_COOKIE_SECURE,
            )
        return response


class ReplicaRouter:
    """settings.DATABASE_ROUTERS when a replica is configured."""

    def db_for_read(self, model: type[Model], **hints: Any) -> str | None:
        if not _reading.get() or REPLICA not in connections.settings:
            return None
        if model._meta.app_label not in REPLICA_APPS:
            return None  # sessions, users, the cache table, jobs: what was just written must be read
        if connections[DEFAULT_DB_ALIAS].in_atomic_block:
            return None  # inside a transaction of the primary: read what it wrote
        return REPLICA

    def db_for_write(self, model: type[Model], **hints: Any) -> str | None:
        return DEFAULT_DB_ALIAS

    def allow_relation(self, first: Model, second: Model, **hints: Any) -> bool | None:
        return True  # the same rows, whichever copy they were read from

    def allow_migrate(self, db: str, app_label: str, **hints: Any) -> bool | None:
        return db != REPLICA  # the replica follows the primary's schema by streaming
