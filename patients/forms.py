"""Registering a patient and recording their diagnoses, on one page."""

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Column, Fieldset, Layout, Row
from django import forms
from django.core.exceptions import ValidationError

from patients.models import Diagnosis, Patient

# The DB check in Diagnosis.clean; the formset sees every diagnosis at once and
# decides instead (see DiagnosisFormSet.clean).
PRIMARY_EXISTS_CODE = "primary_diagnosis_exists"
TWO_PRIMARY_MESSAGE = "Only one diagnosis can be the primary one; untick all but one."


class DateInput(forms.DateInput):
    """The browser's date picker; ISO format so it can show the stored value."""

    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%d")


class PatientForm(forms.ModelForm):
    class Meta:
        model = Patient
        fields = [
            "full_name",
            "date_of_birth",
            "sex",
            "phone",
            "preferred_language",
            "family_contact_name",
            "family_contact_relation",
            "family_contact_phone",
            "is_active",
        ]
        # A phone's number pad, and no browser offering the desk's own number.
        widgets = {
            "date_of_birth": DateInput(),
            "phone": forms.TextInput(attrs={"type": "tel", "autocomplete": "off"}),
            "family_contact_phone": forms.TextInput(attrs={"type": "tel", "autocomplete": "off"}),
        }
        labels = {
            "full_name": "Full name",
            "phone": "Phone",
            "family_contact_name": "Name",
            "family_contact_relation": "Relation to the patient",
            "family_contact_phone": "Phone",
            "is_active": "Active patient",
        }
        help_texts = {
            "is_active": "Untick when the patient no longer attends the clinic.",
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["sex"].choices = [("", "Choose"), *Patient.Sex.choices]
        registering = self.instance.pk is None
        if registering:
            # A newly registered patient is active; the flag matters only later.
            del self.fields["is_active"]
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True
        about = [
            "full_name",
            Row(Column("date_of_birth", css_class="col-sm-6"), Column("sex", css_class="col-sm-6")),
            Row(
                Column("phone", css_class="col-sm-6"),
                Column("preferred_language", css_class="col-sm-6"),
            ),
        ]
        if not registering:
            about.append("is_active")
        self.helper.layout = Layout(
            Fieldset("About the patient", *about),
            Fieldset(
                "Family contact",
                Row(
                    Column("family_contact_name", css_class="col-sm-6"),
                    Column("family_contact_relation", css_class="col-sm-6"),
                ),
                "family_contact_phone",
            ),
        )


class ConditionSelect(forms.Select):
    """The conditions, each option saying whether it records a spinal-cord level and
    whether it affects a side, so the form can show the level and ASIA grade only
    where they apply and suggest the side's answer."""

    def create_option(self, name, value, label, selected, index, subindex=None, attrs=None):
        option = super().create_option(name, value, label, selected, index, subindex, attrs)
        condition = getattr(value, "instance", None)
        if condition is not None and condition.has_spinal_level:
            option["attrs"]["data-spinal-level"] = "yes"
        if condition is not None and condition.has_side:
            option["attrs"]["data-has-side"] = "yes"
        return option


class DiagnosisForm(forms.ModelForm):
    class Meta:
        model = Diagnosis
        fields = [
            "condition",
            "onset_date",
            "affected_side",
            "spinal_cord_level",
            "asia_grade",
            "notes",
            "is_primary",
        ]
        widgets = {
            "condition": ConditionSelect(),
            "onset_date": DateInput(),
            "notes": forms.Textarea(attrs={"rows": 2}),
        }
        labels = {
            "onset_date": "Onset date",
            "spinal_cord_level": "Spinal-cord level",
            "is_primary": "Primary diagnosis (the one the rehab plan treats)",
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["condition"].queryset = self.fields["condition"].queryset.order_by("name")
        self.fields["condition"].empty_label = "Choose a condition"
        side = self.fields["affected_side"]
        side.choices = [("", "Choose the side"), *Diagnosis.Side.choices]
        side.error_messages["required"] = "Choose the affected side, or “Not applicable”."
        side.help_text = "The side of the body affected (after a stroke, the weaker side)."
        if self.instance.pk is None:
            # A new diagnosis starts with no side chosen: offered "Not applicable" by
            # default, a stroke was saved without the side it affects.
            self.initial["affected_side"] = ""
        self.fields["asia_grade"].choices = [("", "Not recorded"), *Diagnosis.AsiaGrade.choices]
        self.fields["asia_grade"].help_text = "Needs the level."
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True
        # The diagnosis id and patient are hidden fields outside the layout.
        self.helper.render_hidden_fields = True
        self.helper.layout = Layout(
            Row(
                Column("condition", css_class="col-md-6"),
                Column("onset_date", css_class="col-sm-6 col-md-3"),
                Column("affected_side", css_class="col-sm-6 col-md-3"),
            ),
            # Shown only for a condition that records a level (diagnosis-form.js).
            Row(
                Column("spinal_cord_level", css_class="col-sm-6 col-md-3"),
                Column("asia_grade", css_class="col-sm-6 col-md-9"),
                css_class="spinal-cord-fields",
            ),
            "notes",
            "is_primary",
        )

    @property
    def is_filled_in(self) -> bool:
        """An existing diagnosis, or a blank one the user started filling in."""
        return self.instance.pk is not None or self.has_changed()


class BaseDiagnosisFormSet(forms.BaseInlineFormSet):
    """Every diagnosis of the patient, plus one blank form for a new one.

    Clinical history is never deleted, so there is no delete box.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The current primary first: saving in this order frees the primary
        # slot before another diagnosis takes it (a database constraint).
        self.queryset = self.queryset.select_related("condition").order_by(
            "-is_primary", "-onset_date", "pk"
        )

    def clean(self):
        super().clean()
        filled = [form for form in self.forms if form.is_filled_in]
        primary = [form for form in filled if form.instance.is_primary]
        if len(primary) > 1:
            for form in primary:
                form.add_error("is_primary", TWO_PRIMARY_MESSAGE)
            raise ValidationError(TWO_PRIMARY_MESSAGE, code="two_primary_diagnoses")
        # The model compares with the primary stored in the database, which this
        # very submission may be unticking; the check above covers every
        # diagnosis of the patient, so moving the primary in one step is fine.
        for form in filled:
            errors = form.errors.as_data().get("is_primary", [])
            kept = [e for e in errors if e.code != PRIMARY_EXISTS_CODE]
            if errors and not kept:
                del form.errors["is_primary"]
                form.cleaned_data["is_primary"] = form.instance.is_primary


DiagnosisFormSet = forms.inlineformset_factory(
    Patient,
    Diagnosis,
    form=DiagnosisForm,
    formset=BaseDiagnosisFormSet,
    extra=1,
    can_delete=False,
)
