"""JSON in and out, whatever the Content-Type and Accept headers say (api.md, section 1, "Formats").

The format comes from the path's `.json` suffix: some clients send `Accept: */*` or no Content-Type.
Decimals in the body are read as Decimal, never as float, so amounts keep their exact value.

A form-encoded body (`curl -d 'invoice[kind]=vat&invoice[positions][][name]=A'`) is read into the same
nested object as its JSON, with Rails's rules for brackets, since the public API is a Rails application
and its clients send such bodies. `curl -d '{...}'` labels JSON as a form too: a body that opens with a
brace is JSON whatever its label.
"""

import json
import re
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import IO, Any
from urllib.parse import parse_qsl

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
        if _is_form(media_type) and raw.lstrip()[:1] not in (b"{", b"["):
            return parse_form(raw)
        try:
            return json.loads(raw.decode("utf-8"), parse_float=Decimal, parse_constant=_refuse_constant)
        except (ValueError, RecursionError) as error:  # UnicodeDecodeError is a ValueError
            raise ParseError(str(error)) from None


FORM_TYPE = "application/x-www-form-urlencoded"
# Deeper keys than any body of the public API: a bound on the work one key can ask for.
MAX_KEY_PARTS = 8
_KEY = re.compile(r"\A([^\[\]]+)((?:\[[^\[\]]*\])*)\Z")


def _is_form(media_type: str | None) -> bool:
    return (media_type or "").split(";")[0].strip().lower() == FORM_TYPE


def parse_form(raw: bytes) -> dict[str, Any]:
    """A form-encoded body as nested objects: `a[b]=1` is `{"a": {"b": "1"}}`, `a[]=1&a[]=2` a list,
    `a[][name]=x&a[][tax]=20&a[][name]=y` a list of two objects (a repeated key starts the next one),
    `a[0][name]=x` an object keyed "0" (read as a list where the API takes one). Values stay texts,
    which the API reads as it reads the texts of a JSON body."""
    try:
        pairs = parse_qsl(
            raw.decode("utf-8"),
            keep_blank_values=True,
            strict_parsing=False,
            max_num_fields=settings.DATA_UPLOAD_MAX_NUMBER_FIELDS,
        )
    except ValueError as error:  # not UTF-8, or too many fields
        raise ParseError(str(error)) from None
    root: dict[str, Any] = {}
    for key, value in pairs:
        match = _KEY.match(key)
        if match is None:
            raise ParseError(f"malformed key: {key[:100]}")
        parts = [match[1], *re.findall(r"\[([^\[\]]*)\]", match[2])]
        if len(parts) > MAX_KEY_PARTS:
            raise ParseError(f"key too deep: {key[:100]}")
        _assign(root, parts, value)
    return root


def _assign(container: dict[str, Any], parts: list[str], value: str) -> None:
    head, rest = parts[0], parts[1:]
    if not rest:
        if isinstance(container.get(head), dict | list):
            raise ParseError(f"{head} is both a value and an object or a list")
        container[head] = value
        return
    if rest[0] == "":
        items = container.setdefault(head, [])
        if not isinstance(items, list):
            raise ParseError(f"{head} is both a list and a value")
        if len(rest) == 1:
            items.append(value)
        elif items and isinstance(items[-1], dict) and not _holds(items[-1], rest[1:]):
            _assign(items[-1], rest[1:], value)
        else:
            item: dict[str, Any] = {}
            _assign(item, rest[1:], value)
            items.append(item)
        return
    child = container.setdefault(head, {})
    if not isinstance(child, dict):
        raise ParseError(f"{head} is both an object and a value")
    _assign(child, rest, value)


def _holds(item: dict[str, Any], parts: list[str]) -> bool:
    """Whether the last object of a list already has that key (then the key starts a new object)."""
    if "" in parts:
        return False
    node: Any = item
    for part in parts:
        if not isinstance(node, dict) or part not in node:
            return False
        node = node[part]
    return True


class JSONOnlyNegotiation(BaseContentNegotiation):
    def select_parser(self, request: Any, parsers: Iterable[BaseParser]) -> BaseParser | None:
        return next(iter(parsers), None)

    def select_renderer(
        self, request: Any, renderers: Iterable[BaseRenderer], format_suffix: str | None = None
    ) -> tuple[BaseRenderer, str]:
        renderer = next(iter(renderers))
        return renderer, renderer.media_type
