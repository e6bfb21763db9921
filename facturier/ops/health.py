"""Health endpoints for load balancers and orchestrators, `/healthz` and `/readyz`, and the metrics of
`/metrics` (ops/metrics.py).

They are answered by the first middleware, before host validation, sessions, the language or the access
gate: a load balancer calls them by the node's own address, without cookies, many times a minute.
- `/healthz`: the process is alive and serves requests (no dependency is touched): 200.
- `/readyz`: the node can do its work: the database answers, the cache keeps what it is given, the file
  storage answers. 200 when all do, 503 otherwise; the JSON names each check and, on failure, the kind of
  error (never its message, which may carry addresses or credentials). Background jobs go through the
  database with the default task backend, so the database check covers them.
"""

import logging
import secrets
from collections.abc import Callable

from django.core.cache import cache
from django.core.files.storage import default_storage
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse

from facturier.ops import metrics

logger = logging.getLogger(__name__)
PROBE_KEY = "facturier:readyz"


def _database() -> None:
    # SQL by hand: the smallest round trip that proves the connection works; no model is involved.
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


def _cache() -> None:
    # The cache swallows its own outages (lib/cache.py): only reading back what was written tells.
    token = secrets.token_hex(8)
    cache.set(PROBE_KEY, token, 30)
    if cache.get(PROBE_KEY) != token:
        raise ConnectionError("the cache did not keep the value written")


def _storage() -> None:
    # One cheap call that reaches the store (a HEAD request on S3, a stat on a disk).
    default_storage.exists("readyz-probe")


CHECKS: dict[str, Callable[[], None]] = {"database": _database, "cache": _cache, "storage": _storage}


def readiness() -> tuple[bool, dict[str, str]]:
    results = {}
    for name, check in CHECKS.items():
        try:
            check()
        except Exception as error:  # any failure means "not ready", reported by its kind
            logger.warning("Readiness check %s failed: %r", name, error)
            results[name] = f"error: {type(error).__name__}"
        else:
            results[name] = "ok"
    return all(result == "ok" for result in results.values()), results


class HealthMiddleware:
    """Answers /healthz, /readyz and /metrics (GET or HEAD) itself; every other request goes on."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path not in ("/healthz", "/readyz", "/metrics"):
            return self.get_response(request)
        if request.method not in ("GET", "HEAD"):
            return JsonResponse({"status": "method not allowed"}, status=405, headers={"Allow": "GET, HEAD"})
        if request.path == "/metrics":
            return metrics.metrics_response(request)
        if request.path == "/healthz":
            response = JsonResponse({"status": "ok"})
        else:
            ready, checks = readiness()
            response = JsonResponse(
                {"status": "ok" if ready else "unavailable", "checks": checks}, status=200 if ready else 503
            )
        response["Cache-Control"] = "no-store"
        return response
