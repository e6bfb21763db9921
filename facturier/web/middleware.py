from collections.abc import Callable

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme

from facturier.tenancy.errors import ServiceError


class ServiceErrorMiddleware:
    """A refusal by the rules that a view did not catch becomes a message, never a 500.

    Forms catch ServiceError themselves to show it beside the field; this is the safety net for
    buttons (remove a user, revoke a token...): back to the page the user came from, with the message.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, ServiceError):
            return None
        referer = request.META.get("HTTP_REFERER", "")
        if request.method == "POST" and url_has_allowed_host_and_scheme(
            referer, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        ):
            messages.error(request, exception.message)
            return redirect(referer)
        return render(request, "web/refused.html", {"message": exception.message}, status=409)
