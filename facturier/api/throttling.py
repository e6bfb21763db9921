"""Rate limits of the API (issue 7, section 8): so many requests per window, per token or per IP.

One fixed window per caller: a request made with a valid token counts against that token
(FACTURIER_API_RATE_LIMIT requests per FACTURIER_API_RATE_WINDOW seconds), one with HTTP Basic
credentials against that user's membership, with the same budget; a request without either
(`/login.json`, the OpenAPI document) counts against the caller's IP
(FACTURIER_API_RATE_LIMIT_ANONYMOUS). Past the limit the API answers 429 with `Retry-After`, the
seconds until the window ends, in the API's error body (errors.too_many_requests, which the login
lock of `/login.json` answers with too).

The counters are rows of the database (accounts/counters.py), added to and read back in one statement:
however many web processes count the same token at the same instant, a limit of N lets exactly N
requests through. The windows are aligned on the clock, so every process agrees on where one ends.
"""

import time
from typing import Any

from django.conf import settings
from rest_framework.request import Request
from rest_framework.throttling import BaseThrottle

from facturier.accounts import counters
from facturier.api.auth import ApiAccess
from facturier.tenancy.access import client_ip


class ApiRateThrottle(BaseThrottle):
    """DRF's throttle of every API view (REST_FRAMEWORK["DEFAULT_THROTTLE_CLASSES"])."""

    retry_after: float | None = None

    def budget(self, request: Request) -> tuple[str | None, int]:
        """Who is counted (`token:<id>`, `basic:<membership id>`, `ip:<address>`, or None) and how many requests they get."""
        if isinstance(request.auth, ApiAccess):
            return request.auth.caller, settings.FACTURIER_API_RATE_LIMIT
        ip = client_ip(request)
        return (f"ip:{ip}" if ip else None), settings.FACTURIER_API_RATE_LIMIT_ANONYMOUS

    def allow_request(self, request: Request, view: Any) -> bool:
        caller, limit = self.budget(request)
        window = settings.FACTURIER_API_RATE_WINDOW
        if caller is None or limit <= 0 or window <= 0:
            return True
        now = time.time()
        ends = (now // window + 1) * window
        count, expires_at = counters.hit(counters.key("api-rate", caller), expires_at=ends, now=now)
        if count <= limit:
            return True
        self.retry_after = expires_at - now
        return False

    def wait(self) -> float | None:
        return self.retry_after
