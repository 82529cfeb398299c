from django import forms
from django.core.exceptions import ValidationError

from rehab.forms import add_service_errors


class ReasonForm(forms.Form):
    reason = forms.CharField(required=False)
    to_stage = forms.IntegerField(required=False)


def test_service_errors_land_next_to_their_field():
    form = ReasonForm(data={"reason": ""})
    form.is_valid()
    add_service_errors(
        form,
        ValidationError({"reason": "Say why.", "to_order": "No such stage.", "plan": "Closed."}),
        field_map={"to_order": "to_stage"},
    )
    assert form.errors["reason"] == ["Say why."]
    assert form.errors["to_stage"] == ["No such stage."]
    assert form.non_field_errors() == ["Closed."]


def test_service_error_without_a_field_goes_on_top():
    form = ReasonForm(data={})
    form.is_valid()
    add_service_errors(form, ValidationError("This is the last stage.", code="last_stage"))
    assert form.non_field_errors() == ["This is the last stage."]
