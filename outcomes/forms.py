"""Forms of the outcomes pages.

One assessment form is built from any measure's definition: a row of radio
buttons per choice item (quick to tap on a tablet) and a number box per timed
item. The form only collects; `services.record_assessment` checks each item and
its refusals are shown next to the item they name.
"""

from crispy_forms.bootstrap import InlineRadios
from crispy_forms.helper import FormHelper
from crispy_forms.layout import Field, Layout
from django import forms
from django.utils import timezone

from outcomes import measures
from outcomes.models import Goal, StageExitCriterion
from rehab.models import Discipline

# Items whose every answer is this short are laid out on one line.
SHORT_LABEL = 4


class AssessmentForm(forms.Form):
    date = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    notes = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Optional: how the patient did, aids used.",
    )

    def __init__(self, *args, measure: measures.Measure, **kwargs):
        kwargs.setdefault("initial", {}).setdefault("date", timezone.localdate())
        super().__init__(*args, **kwargs)
        self.measure = measure
        layout = [Field("date")]
        for item in measure.items:
            if item.is_choice:
                self.fields[item.key] = forms.CharField(
                    label=item.label,
                    required=False,
                    help_text=item.help_text,
                    widget=forms.RadioSelect(
                        choices=[(str(c.value), c.label) for c in item.choices]
                    ),
                )
                short = all(len(c.label) <= SHORT_LABEL for c in item.choices)
                layout.append(InlineRadios(item.key) if short else Field(item.key))
            else:
                step = "1" if item.decimals == 0 else "0." + "0" * (item.decimals - 1) + "1"
                self.fields[item.key] = forms.CharField(
                    label=f"{item.label} ({item.unit})",
                    required=False,
                    help_text=item.help_text,
                    widget=forms.NumberInput(
                        attrs={
                            "step": step,
                            "min": str(item.minimum),
                            "max": str(item.maximum),
                            "inputmode": "decimal",
                        }
                    ),
                )
                layout.append(Field(item.key))
        layout.append(Field("notes"))
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.layout = Layout(*layout)

    def item_scores(self) -> dict:
        return {item.key: self.cleaned_data.get(item.key) for item in self.measure.items}


def measure_choices() -> list[tuple[str, str]]:
    from outcomes.services import enabled_measures

    return [("", "No measure")] + [
        (measure.key, f"{measure.name}{measure.unit_suffix and f' ({measure.unit})'}")
        for measure in enabled_measures()
    ]


class GoalForm(forms.ModelForm):
    measure = forms.ChoiceField(
        required=False,
        help_text="Optional: a measure whose score shows the goal is met.",
    )

    class Meta:
        model = Goal
        fields = [
            "discipline",
            "family",
            "description",
            "target_date",
            "status",
            "measure",
            "target_value",
            "gas_score",
            "gas_weight",
        ]
        widgets = {
            "description": forms.Textarea(attrs={"rows": 2}),
            "target_date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "family": forms.RadioSelect,
            "status": forms.RadioSelect,
        }
        labels = {"family": "Aim", "target_value": "Target value"}
        help_texts = {
            "target_value": "The score that shows the goal is met (at least, or at most when "
            "lower is better).",
            "gas_weight": "How much this goal counts in the goal attainment score (usually 1).",
        }

    gas_score = forms.TypedChoiceField(
        label="Goal attainment at review",
        required=False,
        coerce=int,
        empty_value=None,
        choices=[("", "Not reviewed yet")] + [(c.value, c.label) for c in measures.GAS_SCORES],
        help_text="Score the goal when you review it: 0 is the expected outcome.",
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["measure"].choices = measure_choices()
        self.fields["family"].choices = Goal.Family.choices
        self.fields["status"].choices = Goal.Status.choices
        if user.discipline is not None and not user.is_physician:
            # A therapist sets goals of their own discipline.
            self.fields["discipline"].choices = [
                (user.discipline, Discipline(user.discipline).label)
            ]
            self.fields["discipline"].initial = user.discipline
        self.helper = FormHelper()
        self.helper.form_tag = False

    def _post_clean(self):
        # The service validates the goal (and shows its refusals on these fields).
        pass


# --- A draft protocol stage's measured exit rules -------------------------------------


class MinimumWeeksForm(forms.Form):
    minimum_weeks = forms.IntegerField(
        label="Minimum weeks in the stage",
        min_value=0,
        max_value=104,
        initial=0,
        help_text="A plan is never flagged ready before this, whatever the scores.",
    )


class ExitCriterionForm(forms.Form):
    """One measured condition: e.g. Berg Balance Scale at least 45."""

    measure = forms.ChoiceField(
        label="Measure", required=False, widget=forms.Select(attrs={"class": "form-select"})
    )
    comparison = forms.ChoiceField(
        label="Must be",
        choices=StageExitCriterion.Comparison.choices,
        required=False,
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    value = forms.DecimalField(
        label="Score",
        max_digits=7,
        decimal_places=2,
        required=False,
        widget=forms.NumberInput(attrs={"class": "form-control", "step": "any"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["measure"].choices = [("", "—")] + measures.MEASURE_CHOICES

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("measure"):
            if cleaned.get("value") is not None and not cleaned.get("DELETE"):
                self.add_error("measure", "Choose the measure this score is for.")
            return cleaned  # an empty row is left out
        if cleaned.get("value") is None and "value" not in self.errors:
            self.add_error("value", "Give the score the stage asks for.")
        if not cleaned.get("comparison"):
            self.add_error("comparison", "Say whether the score must be at least or at most this.")
        if self.errors:
            return cleaned
        # The measure's range, as the model checks it, next to the score.
        try:
            StageExitCriterion(
                measure=cleaned["measure"],
                comparison=cleaned["comparison"],
                value=cleaned["value"],
            ).clean()
        except forms.ValidationError as error:
            for field, messages in error.message_dict.items():
                self.add_error(field if field in self.fields else None, messages)
        return cleaned

    def criterion(self) -> dict | None:
        cleaned = self.cleaned_data
        if not cleaned.get("measure") or cleaned.get("DELETE"):
            return None
        return {key: cleaned[key] for key in ("measure", "comparison", "value")}


class ExitCriterionBaseFormSet(forms.BaseFormSet):
    def add_fields(self, form, index):
        super().add_fields(form, index)
        form.fields["DELETE"].label = "Remove"
        form.fields["DELETE"].widget.attrs["class"] = "form-check-input"


ExitCriterionFormSet = forms.formset_factory(
    ExitCriterionForm, formset=ExitCriterionBaseFormSet, extra=2, can_delete=True
)
