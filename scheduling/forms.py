"""Forms of the timetable pages. Limits and refusals come from the services, which
say why a slot cannot be booked; these forms only parse what was typed."""

import datetime

from django import forms
from django.utils import timezone

from plans.session_forms import SessionForm
from scheduling.models import Appointment, PatientPreference
from scheduling.services import DEFAULT_WEEKS, MAX_WEEKS, MISSED_STATUSES


def next_monday(today: datetime.date) -> datetime.date:
    return today + datetime.timedelta(days=7 - today.weekday())


class ProposalForm(forms.Form):
    """Which weeks to propose: read from the address, so a preview can be shared."""

    first_day = forms.DateField(
        label="From",
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text="The first day to book. A week already under way gets its share of sessions.",
    )
    weeks = forms.IntegerField(
        label="Weeks",
        min_value=1,
        max_value=MAX_WEEKS,
        initial=DEFAULT_WEEKS,
        error_messages={
            "min_value": "Propose at least one week.",
            "max_value": f"Propose at most {MAX_WEEKS} weeks at a time.",
        },
    )

    def clean_first_day(self):
        day = self.cleaned_data["first_day"]
        if day < timezone.localdate():
            raise forms.ValidationError("Choose today or a later day: the past is not booked.")
        return day


class ProposedRowForm(forms.Form):
    """One proposed appointment, which the person booking may move or leave out."""

    # Sized for a finger: the booking is often checked on a tablet at the desk.
    include = forms.BooleanField(
        label="Book",
        required=False,
        initial=True,
        widget=forms.CheckboxInput(attrs={"class": "form-check-input fs-4 m-0"}),
    )
    discipline = forms.CharField(widget=forms.HiddenInput)
    therapist_id = forms.IntegerField(widget=forms.HiddenInput)
    minutes = forms.IntegerField(widget=forms.HiddenInput, min_value=5, max_value=240)
    date = forms.DateField(
        label="Day",
        widget=forms.DateInput(attrs={"type": "date", "class": "form-control"}, format="%Y-%m-%d"),
    )
    start_time = forms.TimeField(
        label="Starts at",
        widget=forms.TimeInput(attrs={"type": "time", "class": "form-control"}, format="%H:%M"),
    )

    @property
    def weekday(self) -> str:
        """The day's name beside its date box ("Tuesday"), as proposed or as typed."""
        value = self["date"].value()
        if isinstance(value, str):
            try:
                value = datetime.date.fromisoformat(value)
            except ValueError:
                return ""
        return value.strftime("%A") if value else ""

    def start(self) -> datetime.datetime:
        return timezone.make_aware(
            datetime.datetime.combine(self.cleaned_data["date"], self.cleaned_data["start_time"])
        )


ProposedRowFormSet = forms.formset_factory(ProposedRowForm, extra=0, max_num=200)


class MoveForm(forms.Form):
    date = forms.DateField(
        label="New day", widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    start_time = forms.TimeField(
        label="New start time", widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
    )

    @classmethod
    def for_appointment(cls, appointment: Appointment, *args, **kwargs):
        local = appointment.local_start
        return cls(*args, initial={"date": local.date(), "start_time": local.time()}, **kwargs)

    def start(self) -> datetime.datetime:
        return timezone.make_aware(
            datetime.datetime.combine(self.cleaned_data["date"], self.cleaned_data["start_time"])
        )


class MissedForm(forms.Form):
    status = forms.ChoiceField(
        choices=[(value, Appointment.Status(value).label) for value in MISSED_STATUSES]
    )
    reason = forms.CharField(
        label="Reason (optional)",
        required=False,
        max_length=300,
        help_text="For example: fever, family function, therapist unwell.",
    )


class AttendedForm(SessionForm):
    """The session form, prefilled from the appointment; attended goes without saying."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        del self.fields["attendance"]

    def session_values(self) -> dict:
        self.cleaned_data["attendance"] = "attended"
        return super().session_values()


class PreferenceForm(forms.Form):
    time_of_day = forms.ChoiceField(
        label="Preferred time of day",
        choices=PatientPreference.TimeOfDay.choices,
        help_text="Tried first when appointments are proposed.",
    )


# --- The clinic calendar -----------------------------------------------------------

DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
# The working week is a table of plain inputs (no crispy layout), styled here.
WEEK_TIME_INPUT = forms.TimeInput(attrs={"type": "time", "class": "form-control"}, format="%H:%M")


class HolidayForm(forms.Form):
    date = forms.DateField(label="Day", widget=DATE_INPUT)
    name = forms.CharField(label="Holiday", max_length=120)

    def clean_date(self):
        day = self.cleaned_data["date"]
        if day < timezone.localdate():
            raise forms.ValidationError("Choose today or a later day.")
        return day


class LeaveForm(forms.Form):
    therapist = forms.ModelChoiceField(label="Therapist", queryset=None)
    start_date = forms.DateField(label="First day", widget=DATE_INPUT)
    end_date = forms.DateField(label="Last day", widget=DATE_INPUT)
    reason = forms.CharField(label="Reason", max_length=200, required=False)

    def __init__(self, *args, therapists, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["therapist"].queryset = therapists
        self.fields["therapist"].label_from_instance = lambda user: (
            f"{user.display_name} ({user.role_label})"
        )

    def clean(self):
        cleaned = super().clean()
        first, last = cleaned.get("start_date"), cleaned.get("end_date")
        if first and last and last < first:
            self.add_error("end_date", "The last day cannot come before the first.")
        elif last and last < timezone.localdate():
            # The timetable only looks ahead: leave already over changes nothing.
            self.add_error("end_date", "This leave is over: record leave that ends today or later.")
        return cleaned


class WorkingDayForm(forms.Form):
    """One weekday of a therapist's week: working (from, to) or a day off."""

    works = forms.BooleanField(
        label="Works",
        required=False,
        widget=forms.CheckboxInput(attrs={"class": "form-check-input"}),
    )
    start = forms.TimeField(label="From", required=False, widget=WEEK_TIME_INPUT)
    end = forms.TimeField(label="To", required=False, widget=WEEK_TIME_INPUT)

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("works"):
            return cleaned
        start, end = cleaned.get("start"), cleaned.get("end")
        if start is None:
            self.add_error("start", "Give the time the day starts.")
        if end is None:
            self.add_error("end", "Give the time the day ends.")
        if start and end and end <= start:
            self.add_error("end", "The day must end after it starts.")
        return cleaned

    def hours(self):
        cleaned = self.cleaned_data
        return (cleaned["start"], cleaned["end"]) if cleaned.get("works") else None


WorkingWeekFormSet = forms.formset_factory(WorkingDayForm, extra=0, min_num=7, max_num=7)
