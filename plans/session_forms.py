"""The therapy session form, used both to log a session and to correct one.

The limits (5–240 minutes, pain 0–10) and their messages are read from the
TherapySession model so the page and the service refuse with the same words.
The discipline is never on the form: it follows from the therapist's role.
"""

import re

from django import forms
from django.utils import timezone

from plans.models import (
    MAX_LOGGED_MINUTES,
    MIN_LOGGED_MINUTES,
    TherapySession,
)

# The fields the session services accept under the same names.
SESSION_FIELDS = (
    "date",
    "start_time",
    "duration_minutes",
    "attendance",
    "focus_areas",
    "subjective",
    "objective",
    "assessment",
    "plan_notes",
    "pain_before",
    "pain_after",
)

MISSED_ATTENDANCE = (
    TherapySession.Attendance.PATIENT_ABSENT,
    TherapySession.Attendance.CANCELLED_BY_CLINIC,
)


def model_message(field_name: str, code: str) -> str:
    """The model's own message for a limit (first validator with that code)."""
    for validator in TherapySession._meta.get_field(field_name).validators:
        if getattr(validator, "code", None) == code:
            return str(validator.message)
    raise LookupError(f"{field_name} has no {code} validator")


def split_other(text: str) -> list[str]:
    """'grip, stairs' or one per line -> ['grip', 'stairs']."""
    return [part.strip() for part in re.split(r"[,\n]", text) if part.strip()]


class SessionForm(forms.Form):
    date = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    start_time = forms.TimeField(
        label="Start time",
        required=False,
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        help_text="Optional.",
    )
    duration_minutes = forms.IntegerField(
        label="Duration (minutes)",
        min_value=MIN_LOGGED_MINUTES,
        max_value=MAX_LOGGED_MINUTES,
        error_messages={
            "min_value": model_message("duration_minutes", "min_value"),
            "max_value": model_message("duration_minutes", "max_value"),
        },
    )
    attendance = forms.ChoiceField(
        choices=TherapySession.Attendance.choices,
        initial=TherapySession.Attendance.ATTENDED,
        widget=forms.RadioSelect,
    )
    focus_areas = forms.MultipleChoiceField(
        label="What you worked on",
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="From this stage's focus areas.",
    )
    other_focus = forms.CharField(
        label="Anything else you worked on",
        required=False,
        max_length=300,
        help_text="Separate several with commas, e.g. stairs, grip.",
    )
    subjective = forms.CharField(
        label="Subjective",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="What the patient or family tells you: how they feel, what is hard.",
    )
    objective = forms.CharField(
        label="Objective",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="What you saw and measured: what was done, scores, assistance needed.",
    )
    assessment = forms.CharField(
        label="Assessment",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Your judgement: progress towards this stage's goal.",
    )
    plan_notes = forms.CharField(
        label="Plan",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="What comes next session, and any home practice.",
    )
    pain_before = forms.IntegerField(
        label="Pain before (0–10)",
        required=False,
        min_value=0,
        max_value=10,
        error_messages={
            "min_value": model_message("pain_before", "max_value"),
            "max_value": model_message("pain_before", "max_value"),
        },
    )
    pain_after = forms.IntegerField(
        label="Pain after (0–10)",
        required=False,
        min_value=0,
        max_value=10,
        error_messages={
            "min_value": model_message("pain_after", "max_value"),
            "max_value": model_message("pain_after", "max_value"),
        },
    )

    def __init__(self, *args, focus_choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["focus_areas"].choices = [(area, area) for area in focus_choices]
        if not focus_choices:
            self.fields["focus_areas"].widget = forms.MultipleHiddenInput()
        # A session is never in the future: the date picker stops at today.
        self.fields["date"].widget.attrs["max"] = timezone.localdate().isoformat()

    @classmethod
    def for_session(cls, session: TherapySession, focus_choices, *args, **kwargs):
        """The form pre-filled from a logged session; focus areas that are not
        among the stage's offered ones go to the free text field."""
        offered = list(focus_choices)
        # Keep anything ticked before even if the stage's list changed since.
        ticked = [area for area in session.focus_areas if area in offered]
        others = [area for area in session.focus_areas if area not in offered]
        initial = {name: getattr(session, name) for name in SESSION_FIELDS}
        initial["focus_areas"] = ticked
        initial["other_focus"] = ", ".join(others)
        return cls(*args, initial=initial, focus_choices=offered, **kwargs)

    def session_values(self) -> dict:
        """The cleaned values as the session services take them."""
        values = {name: self.cleaned_data[name] for name in SESSION_FIELDS}
        focus = list(values["focus_areas"])
        for area in split_other(self.cleaned_data["other_focus"]):
            if area not in focus:
                focus.append(area)
        values["focus_areas"] = focus
        return values


class MissedSessionForm(forms.Form):
    """The one-click no-show or clinic cancellation from the worklist."""

    attendance = forms.ChoiceField(
        choices=[(value, TherapySession.Attendance(value).label) for value in MISSED_ATTENDANCE]
    )
