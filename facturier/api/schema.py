"""The OpenAPI description of the API (drf-spectacular), served at /api/schema/.

It describes the canonical form of each field; the API accepts looser input too (numbers as strings or
with a decimal comma, booleans as 1/0 or yes/no: see coercion.py).
"""

from collections.abc import Callable, Sequence
from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import build_bearer_security_scheme_object
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, inline_serializer
from rest_framework import serializers

from facturier.api import coercion
from facturier.api.coercion import Field


class ApiAutoSchema(AutoSchema):
    """Operation ids and tags named after the resource (`clients_list`), without the `.json` suffix."""

    def get_operation_id(self) -> str:
        return super().get_operation_id().replace("_.json", "").replace(".json", "")

    def get_tags(self) -> list[str]:
        return [tag.removesuffix(".json") for tag in super().get_tags()]

    def _map_basic_serializer(self, serializer: Any, direction: str) -> dict[str, Any]:
        # drf-spectacular makes every read-only field required; a serializer names in
        # `optional_fields` those its answers may leave out (`positions` of a list without
        # include_positions).
        # drf-spectacular leaves this method unannotated, and mypy's untyped_calls_exclude (pyproject.toml)
        # does not reach calls through super().
        schema: dict[str, Any] = super()._map_basic_serializer(serializer, direction)  # type: ignore[no-untyped-call]
        optional = getattr(serializer, "optional_fields", ())
        if optional and "required" in schema:
            schema["required"] = [name for name in schema["required"] if name not in optional]
        return schema


class TokenAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = "facturier.api.auth.ApiTokenAuthentication"
    name = ["apiTokenQuery", "bearer"]

    def get_security_requirement(self, auto_schema: Any) -> list[dict[str, list[Any]]]:
        return [{"apiTokenQuery": []}, {"bearer": []}]  # either one, not both

    def get_security_definition(self, auto_schema: Any) -> list[dict[str, Any]]:
        bearer = build_bearer_security_scheme_object(header_name="Authorization", token_prefix="Bearer")  # noqa: S106
        return [
            {
                "type": "apiKey",
                "in": "query",
                "name": "api_token",
                "description": "Kept for the public API's clients; prefer the Bearer header: a URL lands in "
                "access logs.",
            },
            bearer | {"description": "Preferred."},
        ]


class ErrorSerializer(serializers.Serializer[dict[str, Any]]):
    code = serializers.CharField(default="error")
    message = serializers.JSONField(help_text="A text, or {field: [texts]} for refused values.")


ERRORS = {
    400: OpenApiResponse(ErrorSerializer, description="Malformed JSON."),
    401: OpenApiResponse(ErrorSerializer, description="Missing or bad token."),
    403: OpenApiResponse(ErrorSerializer, description="The role lacks the permission."),
    404: OpenApiResponse(ErrorSerializer, description="Unknown id, or another account's object."),
    422: OpenApiResponse(ErrorSerializer, description="A value or a rule refused the request."),
    429: OpenApiResponse(ErrorSerializer, description="Rate limit reached: retry after Retry-After seconds."),
}

_SCHEMA_FIELDS: dict[Callable[..., Any], Callable[[], serializers.Field[Any, Any, Any, Any]]] = {
    coercion.to_bool: lambda: serializers.BooleanField(required=False),
    coercion.to_int: lambda: serializers.IntegerField(required=False),
    coercion.to_decimal: lambda: serializers.CharField(required=False, help_text="A decimal number."),
    coercion.to_object: lambda: serializers.DictField(required=False),
}


def schema_fields(fields: Sequence[Field]) -> dict[str, serializers.Field[Any, Any, Any, Any]]:
    return {
        field.api_name: _SCHEMA_FIELDS.get(field.coerce, lambda: serializers.CharField(required=False))()
        for field in fields
    }


def request_body(
    name: str,
    wrapper: str,
    fields: Sequence[Field],
    beside: Sequence[Field] = (),
    nested: dict[str, serializers.Field[Any, Any, Any, Any]] | None = None,
) -> serializers.Serializer[dict[str, Any]]:
    """`{"api_token": ..., wrapper: {...}}` with the resource's writable keys (and `nested` lists of
    objects), and the keys read beside the wrapper (`beside`)."""
    inner = inline_serializer(name=f"{name}Input", fields={**schema_fields(fields), **(nested or {})})
    top = {field.api_name: _SCHEMA_FIELDS[field.coerce]() for field in beside}
    return inline_serializer(
        name=f"{name}Request",
        fields={"api_token": serializers.CharField(required=False), **top, wrapper: inner},
    )


def responses(serializer: Any, status: int = 200, *, many: bool = False) -> dict[int, Any]:
    return {status: serializer(many=many) if many else serializer, **ERRORS}


PAGINATION = [
    OpenApiParameter("page", int, description="From 1."),
    OpenApiParameter("per_page", int, description="25 by default, 100 at most."),
]


def order_parameter(names: Sequence[str]) -> OpenApiParameter:
    return OpenApiParameter("order", str, description=f"One of {', '.join(names)}; add .desc to reverse.")


def decimals_as_strings(result: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    """A POSTPROCESSING_HOOK: the API writes every decimal as a string ("120.00"), never as a JSON
    number, so the `number` that drf-spectacular gives OpenApiTypes.DECIMAL is described as such."""

    def visit(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("type") == "number" and node.get("format") == "double":
                node.update(type="string", format="decimal", pattern=r"^-?\d+(\.\d+)?$")
            for value in node.values():
                visit(value)
        elif isinstance(node, list):
            for value in node:
                visit(value)

    visit(result)
    return result


DELETED = {200: OpenApiResponse(description='The JSON string "ok".'), **ERRORS}
