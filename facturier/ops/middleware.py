"""Middleware of operations: request ids (ops/logs.py), metrics (ops/metrics.py), the CSP header."""

from collections.abc import Callable

import sentry_sdk
from django.conf import settings
from django.http import HttpRequest, HttpResponse

from facturier.ops import logs


class RequestIdMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request_id = logs.new_request_id(request.headers.get("X-Request-ID"))
        token = logs.set_request_id(request_id)
        sentry_sdk.get_isolation_scope().set_tag("request_id", request_id)  # a no-op without Sentry
        try:
            response = self.get_response(request)
        finally:
            logs.reset_request_id(token)
        response.headers.setdefault("X-Request-ID", request_id)
        return response


# The policy docs/deployment.md recommends for FACTURIER_CSP: nothing from another site; scripts from the
# site's files only (templates hold no inline script, handler attribute or javascript: link, which
# facturier/web/tests/test_csp.py checks); inline styles are still allowed (style attributes, the <style>
# of the print pages, htmx's indicator style).
RECOMMENDED_CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self'; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)


class ContentSecurityPolicyMiddleware:
    """Sends settings.FACTURIER_CSP, when set, as the Content-Security-Policy (or its report-only form)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if settings.FACTURIER_CSP:
            report_only = settings.FACTURIER_CSP_REPORT_ONLY
            header = "Content-Security-Policy-Report-Only" if report_only else "Content-Security-Policy"
            response.headers.setdefault(header, settings.FACTURIER_CSP)
        return response
