"""JSON in and out, whatever the Content-Type and Accept headers say (api.md, section 1, "Formats").

The format comes from the path's `.json` suffix: some clients send `Accept: */*` or no Content-Type.
Decimals in the body are read as Decimal, never as float, so amounts keep their exact value.
"""

import json
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import IO, Any

from django.conf import settings
from django.utils.translation import gettext_lazy as _
from rest_framework import status
from rest_framework.exceptions import APIException, ParseError
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.parsers import BaseParser
from rest_framework.renderers import BaseRenderer


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


class BodyTooLarge(APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = _("Le corps de la requête est trop volumineux.")


class LenientJSONParser(BaseParser):
    media_type = "*/*"

    def parse(
        self, stream: IO[Any], media_type: str | None = None, parser_context: Mapping[str, Any] | None = None
    ) -> Any:
        # DRF reads the WSGI stream itself, past Django's DATA_UPLOAD_MAX_MEMORY_SIZE check: apply it here.
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        raw = stream.read() if limit is None else stream.read(limit + 1)
        if limit is not None and len(raw) > limit:
            raise BodyTooLarge
        if not raw.strip():
            return {}
        try:
            return json.loads(raw.decode("utf-8"), parse_float=Decimal, parse_constant=_refuse_constant)
        except (ValueError, RecursionError) as error:  # UnicodeDecodeError is a ValueError
            raise ParseError(str(error)) from None


class JSONOnlyNegotiation(BaseContentNegotiation):
    def select_parser(self, request: Any, parsers: Iterable[BaseParser]) -> BaseParser | None:
        return next(iter(parsers), None)

    def select_renderer(
        self, request: Any, renderers: Iterable[BaseRenderer], format_suffix: str | None = None
    ) -> tuple[BaseRenderer, str]:
        renderer = next(iter(renderers))
        return renderer, renderer.media_type
