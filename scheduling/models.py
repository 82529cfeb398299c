"""The clinic's calendar and the appointments booked from plans.

A therapist works set hours on set weekdays (Monday to Saturday, 09:00–17:00
when nothing is recorded), the clinic closes on holidays and a therapist may be
on leave. Appointments are proposed from a plan stage's PT/OT mix
(`scheduling.proposer`) and booked, moved and marked through
`scheduling.services`.
"""

import datetime
import hashlib

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.formats import date_format

from rehab.models import Discipline

# Session starts fall on this step of the clock (minutes); a clinic may choose
# another with the SCHEDULING_SLOT_MINUTES setting.
DEFAULT_SLOT_MINUTES = 15
# When a therapist has no working hours recorded: Monday to Saturday, 09:00–17:00.
DEFAULT_WORKING_DAYS = range(0, 6)
DEFAULT_DAY_START = datetime.time(9)
DEFAULT_DAY_END = datetime.time(17)


def slot_minutes() -> int:
    return int(getattr(settings, "SCHEDULING_SLOT_MINUTES", DEFAULT_SLOT_MINUTES))


class Weekday(models.IntegerChoices):
    MONDAY = 0, "Monday"
    TUESDAY = 1, "Tuesday"
    WEDNESDAY = 2, "Wednesday"
    THURSDAY = 3, "Thursday"
    FRIDAY = 4, "Friday"
    SATURDAY = 5, "Saturday"
    SUNDAY = 6, "Sunday"


class WorkingHours(models.Model):
    """The hours a therapist works on one weekday; a day without a row is a day off
    (once the therapist has any rows at all)."""

    therapist = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="working_hours"
    )
    weekday = models.PositiveSmallIntegerField(choices=Weekday.choices)
    start = models.TimeField("starts at")
    end = models.TimeField("ends at")

    class Meta:
        ordering = ["therapist", "weekday"]
        verbose_name_plural = "working hours"
        constraints = [
            models.UniqueConstraint(
                fields=["therapist", "weekday"],
                name="scheduling_one_working_day_per_weekday",
                violation_error_message="This therapist already has hours on that day.",
            ),
            models.CheckConstraint(
                condition=Q(end__gt=F("start")),
                name="scheduling_working_hours_end_after_start",
                violation_error_message="The working day must end after it starts.",
            ),
            models.CheckConstraint(
                condition=Q(weekday__gte=0) & Q(weekday__lte=6),
                name="scheduling_working_hours_weekday_0_to_6",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.therapist}: {self.get_weekday_display()} {self.start:%H:%M}–{self.end:%H:%M}"


class ClinicHoliday(models.Model):
    date = models.DateField(unique=True)
    name = models.CharField(max_length=120)

    class Meta:
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{date_format(self.date, 'j M Y')}: {self.name}"


class Leave(models.Model):
    therapist = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="leave"
    )
    start_date = models.DateField("first day")
    end_date = models.DateField("last day")
    reason = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["start_date", "therapist"]
        verbose_name_plural = "leave"
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__gte=F("start_date")),
                name="scheduling_leave_ends_after_start",
                violation_error_message="Leave cannot end before it starts.",
            ),
        ]

    def __str__(self) -> str:
        first, last = date_format(self.start_date, "j M"), date_format(self.end_date, "j M Y")
        return f"{self.therapist}: {first} – {last}"


class PatientPreference(models.Model):
    class TimeOfDay(models.TextChoices):
        MORNING = "morning", "Morning"
        AFTERNOON = "afternoon", "Afternoon"
        ANY = "any", "Any time"

    patient = models.OneToOneField(
        "patients.Patient", on_delete=models.CASCADE, related_name="timetable_preference"
    )
    time_of_day = models.CharField(
        "preferred time of day", max_length=10, choices=TimeOfDay.choices, default=TimeOfDay.ANY
    )

    def __str__(self) -> str:
        return f"{self.patient}: {self.get_time_of_day_display()}"


class Appointment(models.Model):
    class Status(models.TextChoices):
        BOOKED = "booked", "Booked"
        ATTENDED = "attended", "Attended"
        PATIENT_ABSENT = "patient_absent", "Patient absent"
        CANCELLED_BY_CLINIC = "cancelled_by_clinic", "Cancelled by clinic"
        CANCELLED_BY_PATIENT = "cancelled_by_patient", "Cancelled by patient"

    # Statuses that still take the therapist's and the patient's time.
    HOLDS_TIME = (Status.BOOKED, Status.ATTENDED, Status.PATIENT_ABSENT)
    CANCELLED = (Status.CANCELLED_BY_CLINIC, Status.CANCELLED_BY_PATIENT)

    plan = models.ForeignKey("plans.RehabPlan", on_delete=models.PROTECT, related_name="+")
    plan_stage = models.ForeignKey("plans.PlanStage", on_delete=models.PROTECT, related_name="+")
    discipline = models.CharField(max_length=2, choices=Discipline.choices)
    therapist = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="appointments"
    )
    start = models.DateTimeField()
    end = models.DateTimeField()
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.BOOKED)
    therapy_session = models.OneToOneField(
        "plans.TherapySession",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="appointment",
        help_text="The logged session, once the appointment has happened.",
    )
    cancellation_reason = models.CharField(
        "reason",
        max_length=300,
        blank=True,
        help_text="Why the patient missed or it was cancelled.",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["start", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end__gt=F("start")),
                name="scheduling_appointment_end_after_start",
                violation_error_message="An appointment must end after it starts.",
            ),
            models.CheckConstraint(
                condition=~Q(status="attended") | Q(therapy_session__isnull=False),
                name="scheduling_attended_has_session",
                violation_error_message="An attended appointment links its logged session.",
            ),
            models.CheckConstraint(
                condition=Q(
                    status__in=[
                        "booked",
                        "attended",
                        "patient_absent",
                        "cancelled_by_clinic",
                        "cancelled_by_patient",
                    ]
                ),
                name="scheduling_appointment_status_known",
            ),
        ]
        indexes = [
            models.Index(fields=["therapist", "start"], name="scheduling_therapist_start_idx"),
            models.Index(fields=["plan", "start"], name="scheduling_plan_start_idx"),
        ]

    def __str__(self) -> str:
        local = timezone.localtime(self.start)
        return f"{self.discipline} {date_format(local, 'j M Y H:i')} — {self.therapist}"

    @property
    def minutes(self) -> int:
        return int((self.end - self.start).total_seconds() // 60)

    @property
    def is_booked(self) -> bool:
        return self.status == self.Status.BOOKED

    @property
    def is_cancelled(self) -> bool:
        return self.status in self.CANCELLED

    @property
    def local_start(self) -> datetime.datetime:
        return timezone.localtime(self.start)

    @property
    def local_end(self) -> datetime.datetime:
        return timezone.localtime(self.end)


class TimetableReviewQuerySet(models.QuerySet):
    def waiting(self):
        """Reviews not yet confirmed or dismissed (one a plan at most)."""
        return self.filter(resolved_at__isnull=True)


class TimetableReview(models.Model):
    """A plan whose mix or status moved after its timetable was booked: its future
    appointments wait for a physician or the front desk to confirm the change."""

    plan = models.ForeignKey("plans.RehabPlan", on_delete=models.CASCADE, related_name="+")
    reason = models.CharField(max_length=200)
    requested_at = models.DateTimeField(default=timezone.now)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    objects = TimetableReviewQuerySet.as_manager()

    class Meta:
        ordering = ["-requested_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["plan"],
                condition=Q(resolved_at__isnull=True),
                name="scheduling_one_open_review_per_plan",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.plan}: {self.reason}"


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class CalendarFeedToken(models.Model):
    """The secret in a therapist's private calendar address. Only its SHA-256 is
    stored, so a copy of the database does not open anyone's calendar."""

    therapist = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_tokens"
    )
    token_digest = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["therapist"],
                condition=Q(revoked_at__isnull=True),
                name="scheduling_one_live_feed_per_therapist",
                violation_error_message="This therapist already has a calendar address.",
            ),
        ]

    def __str__(self) -> str:
        state = "revoked" if self.revoked_at else "live"
        return f"Calendar address of {self.therapist} ({state})"
