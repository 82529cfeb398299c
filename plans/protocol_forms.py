"""The protocol authoring page: the protocol itself and its stages, on one form."""

from crispy_forms.helper import FormHelper
from crispy_forms.layout import HTML, Column, Div, Layout, Row
from django import forms
from django.core.exceptions import ValidationError
from django.forms.formsets import DELETION_FIELD_NAME, ORDERING_FIELD_NAME

from patients.models import Condition
from plans.models import Protocol, ProtocolStage
from rehab.templatetags.charts import OT_COLOUR, PT_COLOUR

# The prescription of a stage, as `services.save_protocol_draft` takes it.
STAGE_FIELDS = [
    "name",
    "goal",
    "typical_weeks",
    "pt_sessions_per_week",
    "ot_sessions_per_week",
    "pt_minutes_per_session",
    "ot_minutes_per_session",
    "pt_focus_areas",
    "ot_focus_areas",
    "exit_criteria",
]
STAGE_PREFIX = "stages"


class ProtocolForm(forms.ModelForm):
    class Meta:
        model = Protocol
        fields = ["condition", "name", "summary", "rationale"]
        widgets = {
            "summary": forms.Textarea(attrs={"rows": 2}),
            "rationale": forms.Textarea(attrs={"rows": 3}),
        }
        help_texts = {
            "summary": "One or two sentences a colleague reads in the protocol library.",
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["condition"].queryset = Condition.objects.order_by("name")
        self.fields["condition"].empty_label = "Choose a condition"
        if self.instance.pk and self.instance.version > 1:
            # A later version belongs to its protocol: same condition, same name.
            for name in ("condition", "name"):
                self.fields[name].disabled = True
                self.fields[
                    name
                ].help_text = "A new version keeps the condition and name of its protocol."
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True
        self.helper.layout = Layout(
            Row(Column("condition", css_class="col-md-5"), Column("name", css_class="col-md-7")),
            "summary",
            "rationale",
        )

    def clean(self):
        cleaned_data = super().clean()
        condition, name = cleaned_data.get("condition"), cleaned_data.get("name")
        renamed = self.instance.pk is None or {"condition", "name"} & set(self.changed_data)
        if condition and name and renamed:
            others = Protocol.objects.filter(condition=condition, name__iexact=name.strip())
            if self.instance.pk:
                others = others.exclude(pk=self.instance.pk)
            if others.exists():
                self.add_error(
                    "name",
                    ValidationError(
                        "There is already a protocol called “%(name)s” for %(condition)s; "
                        "open it and make a new version instead.",
                        code="protocol_name_taken",
                        params={"name": name.strip(), "condition": condition.name},
                    ),
                )
        return cleaned_data


class StageForm(forms.ModelForm):
    """One stage. Being a ModelForm, validating it builds an unsaved ProtocolStage
    from the entered values and runs its full_clean() without the protocol and
    the number (the service sets those), so every dose rule shows on its field."""

    class Meta:
        model = ProtocolStage
        fields = STAGE_FIELDS
        widgets = {
            "goal": forms.Textarea(attrs={"rows": 2}),
            "pt_focus_areas": forms.Textarea(attrs={"rows": 3}),
            "ot_focus_areas": forms.Textarea(attrs={"rows": 3}),
            "exit_criteria": forms.Textarea(attrs={"rows": 2}),
        }
        labels = {
            "name": "Stage name",
            "pt_sessions_per_week": "PT sessions a week",
            "ot_sessions_per_week": "OT sessions a week",
            "pt_minutes_per_session": "PT minutes a session",
            "ot_minutes_per_session": "OT minutes a session",
            "pt_focus_areas": "PT focus areas",
            "ot_focus_areas": "OT focus areas",
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in STAGE_FIELDS:
            if name.endswith(("_per_week", "_per_session")) or name == "typical_weeks":
                self.fields[name].widget.attrs.update({"min": 0, "inputmode": "numeric"})
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True
        self.helper.render_hidden_fields = True
        self.helper.layout = Layout(
            Row(
                Column(ORDERING_FIELD_NAME, css_class="col-4 col-md-2"),
                Column("name", css_class="col-8 col-md-7"),
                Column("typical_weeks", css_class="col-md-3"),
            ),
            "goal",
            Row(
                Column(
                    HTML('<h4 class="h6 pt">Physiotherapy (PT)</h4>'),
                    Row(
                        Column("pt_sessions_per_week", css_class="col-6"),
                        Column("pt_minutes_per_session", css_class="col-6"),
                    ),
                    "pt_focus_areas",
                    css_class="col-md-6 border-start border-3",
                    style=f"border-color: {PT_COLOUR} !important",
                ),
                Column(
                    HTML('<h4 class="h6 ot">Occupational therapy (OT)</h4>'),
                    Row(
                        Column("ot_sessions_per_week", css_class="col-6"),
                        Column("ot_minutes_per_session", css_class="col-6"),
                    ),
                    "ot_focus_areas",
                    css_class="col-md-6 border-start border-3",
                    style=f"border-color: {OT_COLOUR} !important",
                ),
            ),
            "exit_criteria",
            Div(DELETION_FIELD_NAME, css_class="text-danger-emphasis"),
        )

    def dose(self) -> dict:
        """The stage's prescription for `services.save_protocol_draft`."""
        return {name: self.cleaned_data[name] for name in STAGE_FIELDS}

    def unsaved_stage(self, order: int) -> ProtocolStage:
        return ProtocolStage(order=order, **self.dose())


class BaseStageFormSet(forms.BaseFormSet):
    """The stages in the order the physician sets with the position numbers;
    a ticked "Remove" leaves a stage out."""

    def add_fields(self, form, index):
        super().add_fields(form, index)
        form.fields[ORDERING_FIELD_NAME].label = "Position"
        if index is not None and index >= self.initial_form_count():
            # A new stage goes after the others unless its number is changed.
            form.fields[ORDERING_FIELD_NAME].initial = index + 1
        form.fields[ORDERING_FIELD_NAME].widget.attrs.update({"min": 1})
        form.fields[DELETION_FIELD_NAME].label = "Remove this stage"

    def kept_forms(self) -> list[StageForm]:
        """Valid stages to keep, in the chosen order (also for the preview of a
        page with mistakes elsewhere)."""
        kept = []
        for index, form in enumerate(self.forms):
            if index >= self.initial_form_count() and not form.has_changed():
                continue  # a blank stage nobody filled in
            if not form.is_valid() or form.cleaned_data.get(DELETION_FIELD_NAME):
                continue
            kept.append((form.cleaned_data.get(ORDERING_FIELD_NAME), index, form))
        # Unnumbered stages go last; equal numbers keep the order on the page.
        kept.sort(key=lambda item: (item[0] is None, item[0] or 0, item[1]))
        return [form for _, _, form in kept]


StageFormSet = forms.formset_factory(
    StageForm, formset=BaseStageFormSet, extra=1, can_order=True, can_delete=True
)


def stage_formset(data=None, stages=()):
    """The stages form set, filled with existing stages on a GET."""
    initial = [{name: getattr(stage, name) for name in STAGE_FIELDS} for stage in stages]
    return StageFormSet(data=data, initial=initial or None, prefix=STAGE_PREFIX)


def with_one_more_stage(data):
    """The posted data with one more stage, filled with a blank stage's defaults
    so it counts as untouched ("Add a stage")."""
    data = data.copy()
    key = f"{STAGE_PREFIX}-TOTAL_FORMS"
    try:
        count = int(data.get(key, ""))
    except ValueError:
        return data  # a tampered count: the form set reports it
    blank = StageForm()
    for name in STAGE_FIELDS:
        value = blank.get_initial_for_field(blank.fields[name], name)
        data[f"{STAGE_PREFIX}-{count}-{name}"] = "" if value is None else str(value)
    data[f"{STAGE_PREFIX}-{count}-{ORDERING_FIELD_NAME}"] = str(count + 1)
    data[key] = str(count + 1)
    return data
