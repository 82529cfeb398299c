"""Forms of a patient's plan pages: start, allocate, individualise, change stage and status.

The forms check only what a form can know (a date against the diagnosis, a
choice among the right staff); the clinical rules stay in `plans.services`,
whose refusals the views place next to these fields.
"""

from dataclasses import dataclass

from django import forms
from django.utils import timezone
from django.utils.formats import date_format

from plans.models import Mix, PlanStage, Protocol, RehabPlan
from rehab.models import Role, staff_with_role

Concern = RehabPlan.PrimaryConcern

# The guide's intake question, in the words a clinician would say to a family.
CONCERN_CHOICES = [
    (
        Concern.PAIN_AND_MOVEMENT,
        "Pain and movement — start PT-led, add OT if daily tasks stay hard",
    ),
    (
        Concern.DAILY_INDEPENDENCE,
        "Independence in daily tasks — OT definitely, PT alongside",
    ),
    (Concern.BOTH, "Both — both therapies, the focus shifting over recovery"),
]


def suits_concern(first_stage_mix: Mix, concern: str) -> bool:
    """Whether a protocol's opening mix fits the intake answer.

    Pain and movement wants a PT-led start, daily independence an OT-led one;
    "both" wants both therapies from the first stage (whichever leads, since the
    focus is expected to shift over recovery).
    """
    if concern == Concern.PAIN_AND_MOVEMENT:
        return first_stage_mix.lead == "PT-led"
    if concern == Concern.DAILY_INDEPENDENCE:
        return first_stage_mix.lead == "OT-led"
    if concern == Concern.BOTH:
        return first_stage_mix.pt_sessions_per_week > 0 and first_stage_mix.ot_sessions_per_week > 0
    return False


def mix_in_words(stages) -> str:
    """A protocol's PT/OT sessions a week, stage by stage: "6/2 → 5/5 → 3/5"."""
    return " → ".join(f"{s.pt_sessions_per_week}/{s.ot_sessions_per_week}" for s in stages)


@dataclass(frozen=True)
class ProtocolOption:
    """One protocol as the start form offers it."""

    protocol: Protocol
    trajectory: str
    start_lead: str  # "PT-led", "OT-led" or "Balanced"
    suits: bool  # fits the intake answer given so far
    suited_concerns: tuple[str, ...]  # every answer it fits, for the page's script
    position: int  # place in name order, so the page's script can sort back

    @property
    def start_label(self) -> str:
        return f"{self.start_lead} start"


class StaffChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return obj.display_name


def date_input() -> forms.DateInput:
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class PlanStartForm(forms.Form):
    primary_concern = forms.ChoiceField(
        label="What is the main problem?",
        choices=CONCERN_CHOICES,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose the main problem."},
    )
    protocol = forms.ModelChoiceField(
        queryset=Protocol.objects.none(),
        label="Protocol",
        widget=forms.RadioSelect,
        error_messages={
            "required": "Choose a protocol.",
            "invalid_choice": "Choose one of the published protocols for this condition.",
        },
    )
    start_date = forms.DateField(label="Start date", widget=date_input())
    lead_physician = StaffChoiceField(
        queryset=staff_with_role(Role.PHYSICIAN), label="Lead physician", empty_label=None
    )
    physiotherapist = StaffChoiceField(
        queryset=staff_with_role(Role.PHYSIOTHERAPIST),
        label="Physiotherapist",
        required=False,
        empty_label="Not yet — allocate later",
    )
    occupational_therapist = StaffChoiceField(
        queryset=staff_with_role(Role.OCCUPATIONAL_THERAPIST),
        label="Occupational therapist",
        required=False,
        empty_label="Not yet — allocate later",
    )

    def __init__(self, *args, diagnosis, lead_physician, **kwargs):
        super().__init__(*args, **kwargs)
        self.diagnosis = diagnosis
        self.fields["protocol"].queryset = (
            Protocol.objects.filter(
                condition_id=diagnosis.condition_id, status=Protocol.Status.PUBLISHED
            )
            .select_related("condition")
            .prefetch_related("stages")
            .order_by("name", "-version")
        )
        self.fields["start_date"].initial = timezone.localdate()
        self.fields["lead_physician"].initial = lead_physician.pk
        self._options = None

    @property
    def concern(self) -> str:
        """The intake answer given so far: the posted one, else the initial one."""
        if self.is_bound:
            return self.data.get("primary_concern", "")
        return self.initial.get("primary_concern", "")

    @property
    def protocol_options(self) -> list[ProtocolOption]:
        """The condition's published protocols, those fitting the intake answer first."""
        if self._options is None:
            options = []
            for position, protocol in enumerate(self.fields["protocol"].queryset):
                stages = list(protocol.stages.all())
                first = stages[0].mix if stages else Mix(0, 0)
                suited = tuple(value for value, _ in CONCERN_CHOICES if suits_concern(first, value))
                options.append(
                    ProtocolOption(
                        protocol=protocol,
                        trajectory=mix_in_words(stages),
                        start_lead=first.lead,
                        suits=self.concern in suited,
                        suited_concerns=suited,
                        position=position,
                    )
                )
            # A stable sort keeps the name order within each group.
            self._options = sorted(options, key=lambda option: not option.suits)
        return self._options

    @property
    def chosen_protocol(self) -> str:
        """The protocol to show ticked: the one sent, or the only one there is."""
        value = self["protocol"].value()
        if not value and not self.is_bound and len(self.protocol_options) == 1:
            value = self.protocol_options[0].protocol.pk
        return str(value) if value else ""

    def clean_start_date(self):
        start = self.cleaned_data["start_date"]
        onset = self.diagnosis.onset_date
        if start < onset:
            raise forms.ValidationError(
                "The plan cannot start before the condition began (onset %(onset)s).",
                code="start_before_onset",
                params={"onset": date_format(onset, "j M Y")},
            )
        return start


STALE_FORM_MESSAGE = "This form is out of date; reload the plan and try again."


class PlanVersionForm(forms.Form):
    """A plan form that carries the plan version it was filled in on (optimistic locking).

    The service compares it with the stored version and refuses a second save
    made on the same old page, instead of silently overwriting a colleague.
    """

    version = forms.CharField(widget=forms.HiddenInput, required=False)

    def clean_version(self) -> int | None:
        value = self.cleaned_data["version"].strip()
        if not value:
            return None
        if not value.isdigit() or len(value) > 9:
            self.add_error(None, forms.ValidationError(STALE_FORM_MESSAGE, code="bad_version"))
            return None
        return int(value)

    def clean(self):
        cleaned = super().clean()
        # A hidden field's own error (a NUL character) would be invisible: say it at the top.
        if "version" in self.errors:
            del self.errors["version"]
            self.add_error(None, forms.ValidationError(STALE_FORM_MESSAGE, code="bad_version"))
        return cleaned


class AllocateForm(PlanVersionForm):
    physiotherapist = StaffChoiceField(
        queryset=staff_with_role(Role.PHYSIOTHERAPIST),
        label="Physiotherapist (PT)",
        required=False,
        empty_label="Not yet allocated",
    )
    occupational_therapist = StaffChoiceField(
        queryset=staff_with_role(Role.OCCUPATIONAL_THERAPIST),
        label="Occupational therapist (OT)",
        required=False,
        empty_label="Not yet allocated",
    )


class IndividualiseForm(PlanVersionForm):
    pt_sessions_per_week = forms.IntegerField(
        label="PT sessions a week",
        min_value=0,
        error_messages={"min_value": "Sessions a week cannot be below zero."},
    )
    ot_sessions_per_week = forms.IntegerField(
        label="OT sessions a week",
        min_value=0,
        error_messages={"min_value": "Sessions a week cannot be below zero."},
    )
    # Required by the service, which says why in words a physician expects.
    reason = forms.CharField(
        label="Why this patient's mix differs from the protocol",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class AdvanceStageForm(forms.Form):
    to_order = forms.IntegerField(label="Move to", required=False, widget=forms.Select)
    # The stage the physician saw: a second physician on the same old page is
    # refused instead of moving the plan twice.
    expected_stage_order = forms.IntegerField(
        widget=forms.HiddenInput, required=False, min_value=1, max_value=1000
    )
    reason = forms.CharField(
        label="Reason",
        required=False,
        help_text=(
            "Needed when the plan goes back a stage, skips one, or moves on before the "
            "stage's measured exit criteria are met; kept with the stage change."
        ),
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    effective_date = forms.DateField(
        label="Date of the change",
        required=False,
        help_text="Leave empty for today.",
        widget=date_input(),
    )

    def __init__(self, *args, plan: RehabPlan, **kwargs):
        # Its own field ids: the status form beside it also has a reason and a date.
        kwargs.setdefault("auto_id", "stage-%s")
        super().__init__(*args, **kwargs)
        stages = list(plan.stages.all())
        current = next((s for s in stages if s.status == PlanStage.Status.CURRENT), None)
        if current is not None:
            self.fields["expected_stage_order"].initial = current.order
        choices = []
        # On the last stage there is nowhere to move on to: the page says to complete.
        self.on_last_stage = current is not None and not any(
            s.order > current.order for s in stages
        )
        if current is not None:
            following = next((s for s in stages if s.order == current.order + 1), None)
            if following is not None:
                choices.append(("", f"Next: stage {following.order} — {following.name}"))
            else:
                # Chosen as is, the service answers that the plan should be completed.
                choices.append(("", "No next stage: this is the last one"))
            for stage in stages:
                if stage.order < current.order:
                    choices.append((stage.order, f"Back to stage {stage.order} — {stage.name}"))
                elif stage.order > current.order + 1:
                    choices.append((stage.order, f"Skip to stage {stage.order} — {stage.name}"))
        self.fields["to_order"].widget.choices = choices or [("", "Next stage")]

    def clean(self):
        cleaned = super().clean()
        # A hidden field's error would be invisible: say it where the physician reads.
        if "expected_stage_order" in self.errors:
            del self.errors["expected_stage_order"]
            self.add_error(None, forms.ValidationError(STALE_FORM_MESSAGE, code="bad_stage"))
        return cleaned


class PlanStatusForm(PlanVersionForm):
    # Every status is accepted here so the service's refusal reaches the page.
    status = forms.ChoiceField(choices=RehabPlan.Status.choices)
    reason = forms.CharField(
        label="Reason",
        required=False,
        help_text="Needed to put the plan on hold, complete or discontinue it.",
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    # Holds are dated (a week on hold allocates no therapy): a hold that began
    # yesterday is recorded from yesterday.
    effective_date = forms.DateField(
        label="Date of the change",
        required=False,
        help_text="Leave empty for today.",
        widget=date_input(),
    )

    def __init__(self, *args, **kwargs):
        # Its own field ids: the stage form beside it also has a reason and a date.
        kwargs.setdefault("auto_id", "status-%s")
        super().__init__(*args, **kwargs)
