"""Form helpers shared by every page."""

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError


def add_service_errors(form: forms.BaseForm, error: ValidationError, field_map=None) -> None:
    """Show a service's ValidationError on the form: next to the field it names
    (renamed through `field_map` where the form calls it differently), else at the top."""
    field_map = field_map or {}
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for field, errors in error.error_dict.items():
        name = field_map.get(field, field)
        if name != NON_FIELD_ERRORS and name in form.fields:
            form.add_error(name, errors)
        else:
            form.add_error(None, errors)
