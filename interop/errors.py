"""One JSON shape for every refusal of the REST API.

    {"errors": [{"field": "date", "code": "date_in_future",
                 "message": "A session cannot be logged for a future date."}]}

`field` names the request field the message is about (dotted for nested ones,
e.g. "diagnoses.0.onset_date"), or is null for the request as a whole. A
service's Django ValidationError is shown the same way as a serializer's, so a
client never has to know which layer refused.
"""

from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import exceptions, serializers, status
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler, set_rollback

NON_FIELD_NAMES = {NON_FIELD_ERRORS, api_settings.NON_FIELD_ERRORS_KEY}


class ErrorSerializer(serializers.Serializer):
    field = serializers.CharField(
        allow_null=True, help_text="The request field concerned; null for the whole request."
    )
    code = serializers.CharField(help_text="A stable code, e.g. required or not_allocated.")
    message = serializers.CharField(help_text="The message to show a person.")


class ErrorResponseSerializer(serializers.Serializer):
    errors = ErrorSerializer(many=True)


def error(field, code, message) -> dict:
    return {"field": field, "code": code, "message": str(message)}


def _field_name(path: list[str]) -> str | None:
    names = [str(part) for part in path if part not in NON_FIELD_NAMES]
    return ".".join(names) or None


def flatten_drf_details(details, path=None) -> list[dict]:
    """DRF's nested {field: [ErrorDetail]} (from get_full_details) as a flat list."""
    path = path or []
    if isinstance(details, dict) and set(details) == {"message", "code"}:
        return [error(_field_name(path), details["code"], details["message"])]
    if isinstance(details, dict):
        return [
            item
            for key, value in details.items()
            for item in flatten_drf_details(value, [*path, key])
        ]
    if isinstance(details, list):
        items = []
        for index, value in enumerate(details):
            # A list of messages stays on the field; a list of objects gets its index.
            nested = isinstance(value, dict) and set(value) != {"message", "code"}
            items.extend(flatten_drf_details(value, [*path, index] if nested else path))
        return items
    return [error(_field_name(path), "invalid", details)]


def flatten_django_error(exc: DjangoValidationError, field_map=None) -> list[dict]:
    """A service's ValidationError: per field when it names fields, else for the request."""
    field_map = field_map or {}
    if hasattr(exc, "error_dict"):
        return [
            error(
                _field_name([field_map.get(field, field)]),
                item.code or "invalid",
                next(iter(item)),
            )
            for field, items in exc.error_dict.items()
            for item in items
        ]
    return [error(None, item.code or "invalid", next(iter(item))) for item in exc.error_list]


def errors_response(errors: list[dict], status_code: int) -> Response:
    return Response({"errors": errors}, status=status_code)


def api_exception_handler(exc, context):
    """DRF's handler, then every error body rewritten to the one shape."""
    view = context.get("view")
    if isinstance(exc, DjangoValidationError):
        set_rollback()
        field_map = getattr(view, "service_field_map", None)
        return errors_response(flatten_django_error(exc, field_map), status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    response = exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        errors = flatten_drf_details(exc.get_full_details())
    elif isinstance(exc, exceptions.APIException):
        details = exc.get_full_details()
        if isinstance(details, dict) and "message" in details:
            errors = [error(None, details["code"], details["message"])]
        else:
            errors = flatten_drf_details(details)
    else:  # pragma: no cover - DRF only answers for APIException
        errors = [error(None, "error", str(exc))]
    response.data = {"errors": errors}
    return response
