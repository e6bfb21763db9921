"""Every error of the API as a JSON object, in the shapes the public API's clients read.

`{"code": "error", "message": ...}`: the message is a text, or `{field: [texts]}` for a refused input.
The 401 and 404 bodies are the public API's own, word for word (clients compare them); the others are
in the user's language. No request gets a Django error page: what no rule caught is logged and
answered with a JSON 500.
"""

import logging
import math
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import SuspiciousOperation
from django.http import Http404
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from rest_framework import exceptions, status
from rest_framework.response import Response

from facturier.tenancy.errors import ServiceError

logger = logging.getLogger(__name__)

# The public API's own texts (api.md, section 2): clients match on them, so they stay in English.
NOT_LOGGED_IN = "You must be logged in to gain access to the site"
NOT_FOUND = "Not Found"


class InputError(Exception):
    """Values of a request the API refuses: `{field: [messages]}`, answered with a 422."""

    def __init__(self, messages: Mapping[str, list[str]]) -> None:
        super().__init__(str(dict(messages)))
        self.messages = dict(messages)

    @classmethod
    def on(cls, field: str, message: str) -> "InputError":
        return cls({field: [message]})


def body(message: Any, **extra: Any) -> dict[str, Any]:
    return {"code": "error", "message": message, **extra}


def error_response(status_code: int, message: Any, **extra: Any) -> Response:
    return Response(body(message, **extra), status=status_code)


def too_many_requests(seconds: float, message: str | None = None) -> Response:
    """The 429 of a rate limit (throttling.py) or of the login lock, with `Retry-After` in whole
    seconds, rounded up: a client that waits that long gets through."""
    wait = max(1, math.ceil(seconds))
    text = message or ngettext(
        "Trop de requêtes. Réessayez dans %(n)d seconde.",
        "Trop de requêtes. Réessayez dans %(n)d secondes.",
        wait,
    ) % {"n": wait}
    response = error_response(status.HTTP_429_TOO_MANY_REQUESTS, text)
    response["Retry-After"] = str(wait)
    return response


@contextmanager
def api_field_names(names: Mapping[str, str]) -> Iterator[None]:
    """Name the field of a service's refusal as the API calls it (`vat_number` → `tax_no`)."""
    try:
        yield
    except ServiceError as error:
        if error.field is not None and error.field in names:
            error.field = names[error.field]
        raise


def exception_handler(exc: Exception, context: Mapping[str, Any]) -> Response:
    """DRF's EXCEPTION_HANDLER: every exception a view raises becomes one of the documented bodies."""
    if isinstance(exc, exceptions.NotAuthenticated | exceptions.AuthenticationFailed):
        response = error_response(status.HTTP_401_UNAUTHORIZED, NOT_LOGGED_IN)
        response["WWW-Authenticate"] = 'Bearer realm="api"'
        return response
    if isinstance(exc, Http404 | exceptions.NotFound):
        return error_response(status.HTTP_404_NOT_FOUND, NOT_FOUND)
    if isinstance(exc, DjangoPermissionDenied | exceptions.PermissionDenied):
        refusal = str(exc) if isinstance(exc, DjangoPermissionDenied) and str(exc) else ""
        return error_response(
            status.HTTP_403_FORBIDDEN, refusal or _("Votre rôle ne vous permet pas de faire cela.")
        )
    if isinstance(exc, InputError):
        return error_response(status.HTTP_422_UNPROCESSABLE_ENTITY, exc.messages)
    if isinstance(exc, ServiceError):
        message: Any = {exc.field: [exc.message]} if exc.field else exc.message
        return error_response(status.HTTP_422_UNPROCESSABLE_ENTITY, message)
    if isinstance(exc, SuspiciousOperation):  # a body over DATA_UPLOAD_MAX_MEMORY_SIZE, a bad Host...
        return error_response(status.HTTP_400_BAD_REQUEST, _("Requête refusée."))
    if isinstance(exc, exceptions.ParseError):
        return error_response(
            status.HTTP_400_BAD_REQUEST, _("Le corps de la requête n'est pas du JSON valide.")
        )
    if isinstance(exc, exceptions.MethodNotAllowed):
        return error_response(status.HTTP_405_METHOD_NOT_ALLOWED, _("Méthode non permise sur cette adresse."))
    if isinstance(exc, exceptions.Throttled):
        return too_many_requests(getattr(exc, "wait", None) or 1)
    if isinstance(exc, exceptions.APIException):
        response = error_response(exc.status_code, str(exc.detail))
        wait = getattr(exc, "wait", None)
        if wait is not None:
            response["Retry-After"] = str(int(wait) + 1)
        return response
    request = context.get("request")
    logger.exception("API error on %s", getattr(request, "path", "?"), exc_info=exc)
    return error_response(status.HTTP_500_INTERNAL_SERVER_ERROR, _("Erreur interne du serveur."))
