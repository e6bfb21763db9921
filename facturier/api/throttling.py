"""Budgets of the API: so many requests per window, per token, per Basic user or per IP.

The one home of the API's windows. Every budget is a fixed window aligned on the clock, counted by
`spend`:
- a request made with a valid token counts against that token (FACTURIER_API_RATE_LIMIT requests per
  FACTURIER_API_RATE_WINDOW seconds), one with HTTP Basic credentials against that user's membership,
  with the same budget; a request without either (`/login.json`, the OpenAPI document) counts against
  the caller's IP (FACTURIER_API_RATE_LIMIT_ANONYMOUS): ApiRateThrottle, on every view;
- before an HTTP Basic password is hashed (auth.py), the hash counts against the caller's IP in that
  same anonymous budget, so a flood of Basic requests cannot spend more password hashes than a flood of
  `/login.json` calls (`spend_anonymous`).
Past a limit the API answers 429 with `Retry-After`, the seconds until the window ends, in the API's
error body (errors.too_many_requests, which the login lock of `/login.json` answers with too).

The counters are rows of the database (accounts/counters.py), added to and read back in one statement:
however many web processes count the same caller at the same instant, a limit of N lets exactly N
requests through. The windows are aligned on the clock, so every process agrees on where one ends.
"""

import time
from typing import Any, Protocol, runtime_checkable

from django.conf import settings
from rest_framework.request import Request
from rest_framework.throttling import BaseThrottle

from facturier.accounts import counters
from facturier.tenancy.access import client_ip


@runtime_checkable
class Counted(Protocol):
    """What authentication leaves in `request.auth` (auth.ApiAccess): whose budget a request spends."""

    @property
    def caller(self) -> str: ...


def spend(caller: str, limit: int, *, now: float | None = None) -> float | None:
    """Count one request of `caller` in the current window of FACTURIER_API_RATE_WINDOW seconds.

    None while the caller is within `limit` (or when the limit or the window is 0: no limit), else the
    seconds until the window ends.
    """
    window = settings.FACTURIER_API_RATE_WINDOW
    if limit <= 0 or window <= 0:
        return None
    now = time.time() if now is None else now
    ends = (now // window + 1) * window
    count, expires_at = counters.hit(counters.key("api-rate", caller), expires_at=ends, now=now)
    return None if count <= limit else expires_at - now


def anonymous_caller(request: Request) -> str | None:
    """The budget of a caller not (yet) known: its IP address, None when there is none to count."""
    ip = client_ip(request)
    return f"ip:{ip}" if ip else None


def spend_anonymous(request: Request) -> float | None:
    """Count one request against the caller's IP, as a request without a token; the seconds to wait past the limit."""
    caller = anonymous_caller(request)
    if caller is None:
        return None
    return spend(caller, settings.FACTURIER_API_RATE_LIMIT_ANONYMOUS)


class ApiRateThrottle(BaseThrottle):
    """DRF's throttle of every API view (REST_FRAMEWORK["DEFAULT_THROTTLE_CLASSES"])."""

    retry_after: float | None = None

    def allow_request(self, request: Request, view: Any) -> bool:
        if isinstance(request.auth, Counted):
            self.retry_after = spend(request.auth.caller, settings.FACTURIER_API_RATE_LIMIT)
        else:
            self.retry_after = spend_anonymous(request)
        return self.retry_after is None

    def wait(self) -> float | None:
        return self.retry_after
