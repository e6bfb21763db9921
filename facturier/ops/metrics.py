"""Prometheus metrics (prometheus-client), served at `/metrics` to a scraper that sends the token.

- `facturier_http_requests_total{method,view,status}` and `facturier_http_request_duration_seconds{method,view}`:
  every request, named by its URL pattern (`billing:document_list`), never by its path (whose account slugs
  and ids would make a series per user).
- `facturier_jobs{task,status}`: the background jobs in the database by task and state (e-mails, webhooks,
  exports: queued, running, failed...), read at each scrape.
With several gunicorn workers, set PROMETHEUS_MULTIPROC_DIR to an empty folder shared by the workers of a
node (prometheus-client's multiprocess mode): each scrape then adds up every worker's counters.
"""

import os
import time
from collections.abc import Callable, Iterator

from django.conf import settings
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.utils.crypto import constant_time_compare
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import REGISTRY, Collector

REQUESTS = Counter("facturier_http_requests", "HTTP requests answered", ["method", "view", "status"])
LATENCY = Histogram(
    "facturier_http_request_duration_seconds",
    "Time to answer an HTTP request",
    ["method", "view"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


class JobsCollector(Collector):
    """The job rows of the database task backend, counted by task and status at scrape time."""

    def describe(self) -> list[GaugeMetricFamily]:
        return [self._family()]  # the names, without asking the database (registering calls this)

    def collect(self) -> Iterator[GaugeMetricFamily]:
        from django_tasks_db.models import DBTaskResult

        gauge = self._family()
        rows = DBTaskResult.objects.values_list("task_path", "status").annotate(n=Count("id")).order_by()
        for task_path, status, count in rows:
            gauge.add_metric([task_path.rsplit(".", 1)[-1], status], count)
        yield gauge

    @staticmethod
    def _family() -> GaugeMetricFamily:
        return GaugeMetricFamily(
            "facturier_jobs", "Background jobs by task and state", labels=["task", "status"]
        )


# The jobs are counted from the database, once per scrape, by whichever process answers it.
_JOBS = CollectorRegistry()
_JOBS.register(JobsCollector())


def exposition() -> bytes:
    """This process's metrics (or, in multiprocess mode, every worker's of the node), then the jobs'."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        processes = CollectorRegistry()
        MultiProcessCollector(processes)  # type: ignore[no-untyped-call]
    else:
        processes = REGISTRY
    return generate_latest(processes) + generate_latest(_JOBS)


def authorised(request: HttpRequest) -> bool:
    token = settings.FACTURIER_METRICS_TOKEN
    given = request.headers.get("Authorization", "")
    return bool(token) and constant_time_compare(given, f"Bearer {token}")


def metrics_response(request: HttpRequest) -> HttpResponse:
    if not settings.FACTURIER_METRICS_TOKEN:
        return HttpResponse(status=404)  # off unless a token is configured
    if not authorised(request):
        return HttpResponse(status=401, headers={"WWW-Authenticate": "Bearer"})
    return HttpResponse(exposition(), content_type=CONTENT_TYPE_LATEST)


class MetricsMiddleware:
    """Counts and times every request (after the health endpoints, which would drown the others)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        response = self.get_response(request)
        match = request.resolver_match
        view = match.view_name if match is not None else "unmatched"
        method = request.method if request.method in _METHODS else "other"
        REQUESTS.labels(method, view, str(response.status_code)).inc()
        LATENCY.labels(method, view).observe(time.perf_counter() - started)
        return response
