"""Rate limits of the API (issue 7, section 8): so many requests per window, per token or per IP.

One fixed window per caller: a request made with a valid token counts against that token
(FACTURIER_API_RATE_LIMIT requests per FACTURIER_API_RATE_WINDOW seconds); a request without one
(`/login.json`, the OpenAPI document) counts against the caller's IP
(FACTURIER_API_RATE_LIMIT_ANONYMOUS). Past the limit the API answers 429 with `Retry-After`, the
seconds until the window ends, in the API's error body (errors.too_many_requests, which the login
lock of `/login.json` answers with too).

The counters live in Django's default cache, shared by every web process (settings.CACHES: a table
of the database by default, Redis when FACTURIER_CACHE_URL names one). The windows are aligned on
the clock, so every process agrees on where one ends.
"""

import time
from typing import Any

from django.conf import settings
from django.core.cache import cache
from rest_framework.request import Request
from rest_framework.throttling import BaseThrottle

from facturier.api.auth import ApiAccess
from facturier.tenancy.access import client_ip


def count_hit(key: str, timeout: int) -> int:
    """Add one to the counter `key` and return its new value.

    `incr` is atomic where the backend can do it (Redis); on the database cache it reads then
    writes, so two processes counting at the same instant may count once: a limit slightly loose
    under heavy concurrency, never a request refused too early."""
    try:
        return cache.incr(key)
    except ValueError:  # no counter yet in this window
        pass
    if cache.add(key, 1, timeout):
        return 1
    try:
        return cache.incr(key)  # another process created it in between
    except ValueError:
        return 1


class ApiRateThrottle(BaseThrottle):
    """DRF's throttle of every API view (REST_FRAMEWORK["DEFAULT_THROTTLE_CLASSES"])."""

    retry_after: float | None = None

    def budget(self, request: Request) -> tuple[str | None, int]:
        """Who is counted (`token:<id>`, `ip:<address>`, or None) and how many requests they get."""
        if isinstance(request.auth, ApiAccess):
            return f"token:{request.auth.token.pk}", settings.FACTURIER_API_RATE_LIMIT
        ip = client_ip(request)
        return (f"ip:{ip}" if ip else None), settings.FACTURIER_API_RATE_LIMIT_ANONYMOUS

    def allow_request(self, request: Request, view: Any) -> bool:
        caller, limit = self.budget(request)
        window = settings.FACTURIER_API_RATE_WINDOW
        if caller is None or limit <= 0 or window <= 0:
            return True
        now = time.time()
        number = int(now // window)
        count = count_hit(f"api-rate:{caller}:{number}", timeout=window)
        if count <= limit:
            return True
        self.retry_after = (number + 1) * window - now
        return False

    def wait(self) -> float | None:
        return self.retry_after
