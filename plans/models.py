"""Protocols, recovery stages, patients' rehab plans and the therapy delivered on them.

A protocol is a physician's sequence of recovery stages for one condition; each
stage fixes the PT/OT mix (sessions a week of each). A patient's plan copies the
stages of one published protocol version, and the physician may individualise a
stage's mix. Therapists are allocated per stage and discipline and log sessions.

Writes that touch several rows live in `plans.services`; the rules about a single
object live here as `clean()` and small methods.
"""

import datetime
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator, MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.formats import date_format
from simple_history.models import HistoricalRecords

from rehab.models import Discipline

MAX_SESSIONS_PER_WEEK = 14
MIN_SESSION_MINUTES, MAX_SESSION_MINUTES = 15, 180
MIN_LOGGED_MINUTES, MAX_LOGGED_MINUTES = 5, 240


def sessions_per_week_field(discipline: str) -> models.PositiveSmallIntegerField:
    return models.PositiveSmallIntegerField(
        f"{discipline} sessions a week",
        default=0,
        validators=[
            MaxValueValidator(
                MAX_SESSIONS_PER_WEEK,
                f"At most {MAX_SESSIONS_PER_WEEK} {discipline} sessions a week.",
            )
        ],
    )


def minutes_per_session_field(discipline: str) -> models.PositiveSmallIntegerField:
    article = "An" if discipline == "OT" else "A"
    return models.PositiveSmallIntegerField(
        f"{discipline} minutes a session",
        default=45,
        validators=[
            MinValueValidator(
                MIN_SESSION_MINUTES,
                f"{article} {discipline} session lasts at least {MIN_SESSION_MINUTES} minutes.",
            ),
            MaxValueValidator(
                MAX_SESSION_MINUTES,
                f"{article} {discipline} session lasts at most {MAX_SESSION_MINUTES} minutes.",
            ),
        ],
    )


def dose_constraints(prefix: str) -> list[models.BaseConstraint]:
    """The database's copy of the dose rules, shared by protocol and plan stages."""
    return [
        models.CheckConstraint(
            condition=Q(pt_sessions_per_week__lte=MAX_SESSIONS_PER_WEEK)
            & Q(ot_sessions_per_week__lte=MAX_SESSIONS_PER_WEEK),
            name=f"{prefix}_sessions_per_week_at_most_14",
            violation_error_message="At most 14 sessions a week per discipline.",
        ),
        models.CheckConstraint(
            condition=Q(pt_sessions_per_week__gte=1) | Q(ot_sessions_per_week__gte=1),
            name=f"{prefix}_at_least_one_session_a_week",
            violation_error_message="A stage needs at least one PT or OT session a week.",
        ),
        models.CheckConstraint(
            condition=Q(pt_minutes_per_session__gte=MIN_SESSION_MINUTES)
            & Q(pt_minutes_per_session__lte=MAX_SESSION_MINUTES)
            & Q(ot_minutes_per_session__gte=MIN_SESSION_MINUTES)
            & Q(ot_minutes_per_session__lte=MAX_SESSION_MINUTES),
            name=f"{prefix}_minutes_per_session_15_to_180",
            violation_error_message="A session lasts 15 to 180 minutes.",
        ),
    ]


def split_lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


@dataclass(frozen=True)
class Mix:
    """PT and OT sessions a week, and the PT share of all sessions."""

    pt_sessions_per_week: int
    ot_sessions_per_week: int

    @property
    def total(self) -> int:
        return self.pt_sessions_per_week + self.ot_sessions_per_week

    @property
    def pt_share(self) -> float:
        return self.pt_sessions_per_week / self.total if self.total else 0.0

    @property
    def ot_share(self) -> float:
        return self.ot_sessions_per_week / self.total if self.total else 0.0

    @property
    def lead(self) -> str:
        """Which discipline leads: 'PT-led', 'OT-led' or 'Balanced'."""
        if self.pt_sessions_per_week > self.ot_sessions_per_week:
            return "PT-led"
        if self.ot_sessions_per_week > self.pt_sessions_per_week:
            return "OT-led"
        return "Balanced"


class StageDose(models.Model):
    """What a stage prescribes: shared by a protocol's stages and a plan's copies."""

    order = models.PositiveSmallIntegerField(validators=[MinValueValidator(1)])
    name = models.CharField(max_length=120)
    goal = models.TextField(
        "goal in plain words", help_text="What this stage aims at, as you would tell a family."
    )
    typical_weeks = models.PositiveSmallIntegerField(
        "typical duration (weeks)",
        default=4,
        validators=[
            MinValueValidator(1, "A stage lasts at least one week."),
            MaxValueValidator(104, "A stage lasts at most 104 weeks."),
        ],
    )
    pt_sessions_per_week = sessions_per_week_field("PT")
    ot_sessions_per_week = sessions_per_week_field("OT")
    pt_minutes_per_session = minutes_per_session_field("PT")
    ot_minutes_per_session = minutes_per_session_field("OT")
    pt_focus_areas = models.TextField(
        "PT focus areas", blank=True, help_text="One per line, e.g. standing, walking, balance."
    )
    ot_focus_areas = models.TextField(
        "OT focus areas", blank=True, help_text="One per line, e.g. dressing, safe transfers."
    )
    exit_criteria = models.TextField(
        blank=True, help_text="When the patient is ready for the next stage."
    )

    class Meta:
        abstract = True

    def clean(self) -> None:
        super().clean()
        if (
            self.pt_sessions_per_week is not None
            and self.ot_sessions_per_week is not None
            and self.pt_sessions_per_week + self.ot_sessions_per_week < 1
        ):
            raise ValidationError(
                {
                    "pt_sessions_per_week": ValidationError(
                        "A stage needs at least one PT or OT session a week.",
                        code="no_sessions",
                    )
                }
            )

    @property
    def mix(self) -> Mix:
        return Mix(self.pt_sessions_per_week, self.ot_sessions_per_week)

    def sessions_per_week(self, discipline: str) -> int:
        return (
            self.pt_sessions_per_week if discipline == Discipline.PT else self.ot_sessions_per_week
        )

    def minutes_per_session(self, discipline: str) -> int:
        return (
            self.pt_minutes_per_session
            if discipline == Discipline.PT
            else self.ot_minutes_per_session
        )

    def focus_areas(self, discipline: str) -> list[str]:
        text = self.pt_focus_areas if discipline == Discipline.PT else self.ot_focus_areas
        return split_lines(text)

    @property
    def pt_focus_list(self) -> list[str]:
        return split_lines(self.pt_focus_areas)

    @property
    def ot_focus_list(self) -> list[str]:
        return split_lines(self.ot_focus_areas)

    def dose_fields(self) -> dict:
        """The prescription as keyword arguments, for copying a stage."""
        return {
            "order": self.order,
            "name": self.name,
            "goal": self.goal,
            "typical_weeks": self.typical_weeks,
            "pt_sessions_per_week": self.pt_sessions_per_week,
            "ot_sessions_per_week": self.ot_sessions_per_week,
            "pt_minutes_per_session": self.pt_minutes_per_session,
            "ot_minutes_per_session": self.ot_minutes_per_session,
            "pt_focus_areas": self.pt_focus_areas,
            "ot_focus_areas": self.ot_focus_areas,
            "exit_criteria": self.exit_criteria,
        }


class Protocol(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        PUBLISHED = "published", "Published"
        RETIRED = "retired", "Retired"

    condition = models.ForeignKey(
        "patients.Condition", on_delete=models.PROTECT, related_name="protocols"
    )
    name = models.CharField(max_length=120)
    version = models.PositiveIntegerField(default=1, validators=[MinValueValidator(1)])
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="authored_protocols",
        limit_choices_to={"groups__name": "Rehab physician"},
    )
    summary = models.TextField(blank=True)
    rationale = models.TextField(blank=True, help_text="Why this mix, with sources.")
    published_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["condition__name", "name", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["condition", "name", "version"],
                name="plans_protocol_unique_version",
                violation_error_message="This protocol already has that version.",
            ),
            # One draft at a time (new_protocol_version refuses a second; this holds
            # when two physicians ask at once).
            models.UniqueConstraint(
                fields=["condition", "name"],
                condition=Q(status="draft"),
                name="plans_one_draft_per_protocol",
                violation_error_message="This protocol already has a draft being written.",
            ),
            models.CheckConstraint(
                condition=Q(status="draft") | Q(published_at__isnull=False),
                name="plans_protocol_published_has_date",
                violation_error_message="A published protocol records when it was published.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} v{self.version}"

    @property
    def is_editable(self) -> bool:
        """Only drafts change; plans pin published versions."""
        return self.status == self.Status.DRAFT

    def clean(self) -> None:
        super().clean()
        if self.pk is None:
            return
        stored = Protocol.objects.filter(pk=self.pk).first()
        if stored is None or stored.status == self.Status.DRAFT:
            return
        changed = [
            field
            for field in ("condition_id", "name", "version", "author_id", "summary", "rationale")
            if getattr(stored, field) != getattr(self, field)
        ]
        retiring = stored.status == self.Status.PUBLISHED and self.status == self.Status.RETIRED
        if changed or (self.status != stored.status and not retiring):
            raise ValidationError(
                f"{stored} is {stored.get_status_display().lower()} and cannot be changed; "
                "make a new version to edit it.",
                code="protocol_not_editable",
            )

    @property
    def mix_trajectory(self) -> list[Mix]:
        return [stage.mix for stage in self.stages.all()]

    def new_version(self, *, author) -> "Protocol":
        """An editable draft copy of this protocol with the next version number."""
        from plans.services import new_protocol_version

        return new_protocol_version(protocol=self, author=author)


class ProtocolStage(StageDose):
    protocol = models.ForeignKey(Protocol, on_delete=models.CASCADE, related_name="stages")
    history = HistoricalRecords()

    class Meta:
        # By the key's id: ordering by the relation would join its table for its own ordering.
        ordering = ["protocol_id", "order"]
        constraints = [
            models.UniqueConstraint(
                fields=["protocol", "order"],
                name="plans_protocol_stage_unique_order",
                violation_error_message="Two stages of a protocol cannot share a number.",
            ),
            models.CheckConstraint(
                condition=Q(order__gte=1), name="plans_protocol_stage_order_from_one"
            ),
            *dose_constraints("plans_protocol_stage"),
        ]

    def __str__(self) -> str:
        return f"{self.protocol} — stage {self.order}: {self.name}"

    def clean(self) -> None:
        super().clean()
        if self.protocol_id and not self.protocol.is_editable:
            raise ValidationError(
                f"{self.protocol} is {self.protocol.get_status_display().lower()}: its stages "
                "cannot be changed; make a new version to edit them.",
                code="protocol_not_editable",
            )


class RehabPlan(models.Model):
    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        ON_HOLD = "on_hold", "On hold"
        COMPLETED = "completed", "Completed"
        DISCONTINUED = "discontinued", "Discontinued"

    class PrimaryConcern(models.TextChoices):
        """The intake question: what is the main problem?"""

        PAIN_AND_MOVEMENT = "pain_movement", "Pain and movement"
        DAILY_INDEPENDENCE = "daily_independence", "Independence in daily activities"
        BOTH = "both", "Both: movement and daily activities"

    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="plans")
    diagnosis = models.ForeignKey(
        "patients.Diagnosis", on_delete=models.PROTECT, related_name="plans"
    )
    protocol = models.ForeignKey(
        Protocol,
        on_delete=models.PROTECT,
        related_name="plans",
        help_text="The published protocol version this plan follows; it never changes.",
    )
    lead_physician = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="led_plans"
    )
    start_date = models.DateField()
    end_date = models.DateField(null=True, blank=True)
    status = models.CharField(max_length=14, choices=Status.choices, default=Status.ACTIVE)
    primary_concern = models.CharField(
        "main problem at intake", max_length=20, choices=PrimaryConcern.choices
    )
    status_reason = models.TextField(blank=True)
    # Optimistic locking: every plan service adds one, and a form sent with an
    # older number is refused instead of silently overwriting a colleague's change.
    version = models.PositiveIntegerField(default=1, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords(excluded_fields=["version"])

    class Meta:
        ordering = ["-start_date", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["diagnosis"],
                condition=Q(status="active"),
                name="plans_one_active_plan_per_diagnosis",
                violation_error_message="This diagnosis already has an active plan.",
            ),
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gte=F("start_date")),
                name="plans_plan_ends_after_start",
                violation_error_message="A plan cannot end before it starts.",
            ),
        ]
        indexes = [
            models.Index(fields=["lead_physician", "status"], name="plans_plan_physician_idx"),
            # Newest first, as the API's plan list reads them: a page of 25 is an
            # index scan instead of a sort of every plan the clinic ever had.
            models.Index(fields=["-start_date", "-id"], name="plans_plan_recent_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.patient.full_name} — {self.protocol.name}"

    def clean(self) -> None:
        super().clean()
        errors = {}
        if self.diagnosis_id and self.patient_id and self.diagnosis.patient_id != self.patient_id:
            errors["diagnosis"] = ValidationError(
                "This diagnosis belongs to another patient.", code="diagnosis_other_patient"
            )
        if (
            self.protocol_id
            and self.diagnosis_id
            and self.protocol.condition_id != self.diagnosis.condition_id
        ):
            errors["protocol"] = ValidationError(
                "This protocol is for %(condition)s, not the diagnosed condition.",
                code="protocol_other_condition",
                params={"condition": self.protocol.condition.name},
            )
        if (
            self.pk is None
            and self.protocol_id
            and self.protocol.status != Protocol.Status.PUBLISHED
        ):
            errors["protocol"] = ValidationError(
                "A plan can only follow a published protocol.", code="protocol_not_published"
            )
        if self.lead_physician_id and not self.lead_physician.is_physician:
            errors["lead_physician"] = ValidationError(
                "The lead must be a rehab physician.", code="lead_not_physician"
            )
        if (
            self.status == self.Status.ACTIVE
            and self.diagnosis_id
            and RehabPlan.objects.filter(diagnosis_id=self.diagnosis_id, status=self.Status.ACTIVE)
            .exclude(pk=self.pk)
            .exists()
        ):
            errors["diagnosis"] = ValidationError(
                "This diagnosis already has an active plan.", code="active_plan_exists"
            )
        if errors:
            raise ValidationError(errors)

    @property
    def is_active(self) -> bool:
        return self.status == self.Status.ACTIVE

    @property
    def current_stage(self) -> "PlanStage | None":
        # Reads the prefetched stages when a page prefetches them.
        return next((s for s in self.stages.all() if s.status == PlanStage.Status.CURRENT), None)

    def hold_periods(self) -> list[tuple[datetime.date, datetime.date | None]]:
        """(first day on hold, day it ended or None while it lasts), oldest first,
        from the status log (`status_changes`, prefetched or read here)."""
        periods: list[list] = []
        for change in sorted(self.status_changes.all(), key=lambda c: (c.changed_at, c.pk)):
            if change.to_status == self.Status.ON_HOLD:
                periods.append([change.effective_date, None])
            elif change.from_status == self.Status.ON_HOLD and periods and periods[-1][1] is None:
                periods[-1][1] = change.effective_date
        return [(start, end) for start, end in periods]

    def stage_on(self, day: datetime.date) -> "PlanStage | None":
        """The stage in force on a day: the last one started on or before it."""
        started = [s for s in self.stages.all() if s.started_on and s.started_on <= day]
        if not started:
            return None
        return max(started, key=lambda s: (s.started_on, s.entered_at or timezone.now(), s.order))

    def mix_on(self, day: datetime.date) -> Mix | None:
        """PT and OT sessions a week (and the PT share) in force on a day."""
        stage = self.stage_on(day)
        return stage.mix if stage else None

    def allocated_therapist(self, discipline: str):
        stage = self.current_stage
        if stage is None:
            return None
        allocation = next((a for a in stage.allocations.all() if a.discipline == discipline), None)
        return allocation.therapist if allocation else None


class PlanStage(StageDose):
    """A plan's own copy of a protocol stage, with its own (possibly individualised) mix."""

    class Status(models.TextChoices):
        UPCOMING = "upcoming", "Upcoming"
        CURRENT = "current", "Current"
        DONE = "done", "Done"

    # Clinical history is never deleted: no cascade from a plan to its stages.
    plan = models.ForeignKey(RehabPlan, on_delete=models.PROTECT, related_name="stages")
    protocol_stage = models.ForeignKey(
        ProtocolStage, on_delete=models.PROTECT, related_name="plan_stages"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.UPCOMING)
    started_on = models.DateField(null=True, blank=True)
    ended_on = models.DateField(null=True, blank=True)
    # Tie-break for two stage changes on one day.
    entered_at = models.DateTimeField(null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        # By the key's id: ordering by the relation would join its table for its own ordering.
        ordering = ["plan_id", "order"]
        constraints = [
            models.UniqueConstraint(
                fields=["plan", "order"],
                name="plans_plan_stage_unique_order",
                violation_error_message="Two stages of a plan cannot share a number.",
            ),
            models.UniqueConstraint(
                fields=["plan"],
                condition=Q(status="current"),
                name="plans_one_current_stage_per_plan",
                violation_error_message="A plan has only one current stage.",
            ),
            models.CheckConstraint(
                condition=Q(status="upcoming") | Q(started_on__isnull=False),
                name="plans_plan_stage_started_has_date",
                violation_error_message="A current or finished stage records when it started.",
            ),
            *dose_constraints("plans_plan_stage"),
        ]

    def __str__(self) -> str:
        return f"Stage {self.order}: {self.name}"

    @property
    def protocol_mix(self) -> Mix:
        """The protocol's own numbers, kept for comparison with an individualised mix."""
        return self.protocol_stage.mix

    @property
    def is_individualised(self) -> bool:
        return self.mix != self.protocol_mix

    @property
    def is_current(self) -> bool:
        return self.status == self.Status.CURRENT

    def expected_end(self) -> datetime.date | None:
        if self.started_on is None:
            return None
        return self.started_on + datetime.timedelta(weeks=self.typical_weeks)

    def is_past_typical_duration(self, today: datetime.date) -> bool:
        end = self.expected_end()
        return self.is_current and end is not None and today > end


class StageMixChange(models.Model):
    """A physician's individualisation of a plan stage's mix: who, when, why, before and after."""

    plan_stage = models.ForeignKey(PlanStage, on_delete=models.PROTECT, related_name="mix_changes")
    changed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT)
    changed_at = models.DateTimeField(default=timezone.now)
    pt_before = models.PositiveSmallIntegerField("PT a week before")
    ot_before = models.PositiveSmallIntegerField("OT a week before")
    pt_after = models.PositiveSmallIntegerField("PT a week after")
    ot_after = models.PositiveSmallIntegerField("OT a week after")
    reason = models.TextField()

    class Meta:
        ordering = ["-changed_at"]

    def __str__(self) -> str:
        return (
            f"{self.plan_stage}: PT {self.pt_before}→{self.pt_after}, "
            f"OT {self.ot_before}→{self.ot_after}"
        )


class StageTransition(models.Model):
    """The log of a plan moving between stages."""

    plan = models.ForeignKey(RehabPlan, on_delete=models.PROTECT, related_name="transitions")
    from_stage = models.ForeignKey(
        PlanStage, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    to_stage = models.ForeignKey(PlanStage, on_delete=models.PROTECT, related_name="+")
    changed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT)
    changed_at = models.DateTimeField(default=timezone.now)
    effective_date = models.DateField()
    reason = models.TextField(blank=True)

    class Meta:
        ordering = ["-changed_at"]

    def __str__(self) -> str:
        source = self.from_stage.name if self.from_stage else "start"
        return f"{self.plan}: {source} → {self.to_stage.name}"

    @property
    def is_step_back(self) -> bool:
        return self.from_stage is not None and self.to_stage.order < self.from_stage.order


class PlanStatusChange(models.Model):
    """The log of a plan put on hold, resumed, completed or discontinued: when, by
    whom and why (the plan itself keeps only its latest reason)."""

    plan = models.ForeignKey(RehabPlan, on_delete=models.PROTECT, related_name="status_changes")
    from_status = models.CharField(max_length=14, choices=RehabPlan.Status.choices)
    to_status = models.CharField(max_length=14, choices=RehabPlan.Status.choices)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    changed_at = models.DateTimeField(default=timezone.now)
    effective_date = models.DateField()
    reason = models.TextField(blank=True)

    class Meta:
        ordering = ["-changed_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(from_status=F("to_status")),
                name="plans_status_change_changes_status",
                violation_error_message="A status change moves the plan to another status.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.plan}: {self.get_from_status_display()} → {self.get_to_status_display()}"


class SessionAllocation(models.Model):
    """Who gives a plan stage's PT or OT sessions, and how many a week."""

    plan_stage = models.ForeignKey(PlanStage, on_delete=models.PROTECT, related_name="allocations")
    discipline = models.CharField(max_length=2, choices=Discipline.choices)
    therapist = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="allocations",
        help_text="Empty until a therapist is allocated.",
    )
    sessions_per_week = models.PositiveSmallIntegerField(
        validators=[MaxValueValidator(MAX_SESSIONS_PER_WEEK)]
    )
    minutes_per_session = models.PositiveSmallIntegerField(
        validators=[
            MinValueValidator(MIN_SESSION_MINUTES),
            MaxValueValidator(MAX_SESSION_MINUTES),
        ]
    )
    history = HistoricalRecords()

    class Meta:
        # By the key's id: ordering by the relation would join its table for its own ordering.
        ordering = ["plan_stage_id", "discipline"]
        constraints = [
            models.UniqueConstraint(
                fields=["plan_stage", "discipline"],
                name="plans_one_allocation_per_stage_and_discipline",
                violation_error_message="This stage already has an allocation for that discipline.",
            ),
            models.CheckConstraint(
                condition=Q(sessions_per_week__lte=MAX_SESSIONS_PER_WEEK),
                name="plans_allocation_sessions_at_most_14",
            ),
            models.CheckConstraint(
                condition=Q(minutes_per_session__gte=MIN_SESSION_MINUTES)
                & Q(minutes_per_session__lte=MAX_SESSION_MINUTES),
                name="plans_allocation_minutes_15_to_180",
            ),
        ]
        indexes = [
            models.Index(fields=["therapist", "discipline"], name="plans_alloc_therapist_idx"),
        ]

    def __str__(self) -> str:
        who = self.therapist.display_name if self.therapist else "unallocated"
        return f"{self.discipline} {self.sessions_per_week}/week — {who}"

    def clean(self) -> None:
        super().clean()
        if self.therapist_id and self.therapist.discipline != self.discipline:
            raise ValidationError(
                {
                    "therapist": ValidationError(
                        "%(name)s is not a %(role)s therapist.",
                        code="therapist_wrong_discipline",
                        params={
                            "name": self.therapist.display_name,
                            "role": Discipline(self.discipline).label.lower(),
                        },
                    )
                }
            )


# A SOAP note is a few paragraphs; a megabyte of text is a client's mistake.
note_length = MaxLengthValidator(
    10_000,
    message="A note is at most %(limit_value)d characters (this one has %(show_value)d).",
)


class TherapySession(models.Model):
    class Attendance(models.TextChoices):
        ATTENDED = "attended", "Attended"
        PATIENT_ABSENT = "patient_absent", "Patient absent (no-show)"
        CANCELLED_BY_CLINIC = "cancelled_by_clinic", "Cancelled by clinic"

    plan = models.ForeignKey(RehabPlan, on_delete=models.PROTECT, related_name="sessions")
    plan_stage = models.ForeignKey(
        PlanStage,
        on_delete=models.PROTECT,
        related_name="sessions",
        editable=False,
        help_text="The stage in force on the session's date, recorded when it is logged.",
    )
    discipline = models.CharField(max_length=2, choices=Discipline.choices)
    therapist = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="therapy_sessions"
    )
    date = models.DateField()
    start_time = models.TimeField(null=True, blank=True)
    duration_minutes = models.PositiveSmallIntegerField(
        "duration (minutes)",
        validators=[
            MinValueValidator(
                MIN_LOGGED_MINUTES, f"A session lasts at least {MIN_LOGGED_MINUTES} minutes."
            ),
            MaxValueValidator(
                MAX_LOGGED_MINUTES, f"A session lasts at most {MAX_LOGGED_MINUTES} minutes."
            ),
        ],
    )
    attendance = models.CharField(
        max_length=20, choices=Attendance.choices, default=Attendance.ATTENDED
    )
    focus_areas = models.JSONField(default=list, blank=True)
    subjective = models.TextField("S — subjective", blank=True, validators=[note_length])
    objective = models.TextField("O — objective", blank=True, validators=[note_length])
    assessment = models.TextField("A — assessment", blank=True, validators=[note_length])
    plan_notes = models.TextField("P — plan", blank=True, validators=[note_length])
    pain_before = models.PositiveSmallIntegerField(
        "pain before (0–10)",
        null=True,
        blank=True,
        validators=[MaxValueValidator(10, "Pain is scored from 0 to 10.")],
    )
    pain_after = models.PositiveSmallIntegerField(
        "pain after (0–10)",
        null=True,
        blank=True,
        validators=[MaxValueValidator(10, "Pain is scored from 0 to 10.")],
    )
    logged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-date", "-start_time", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(duration_minutes__gte=MIN_LOGGED_MINUTES)
                & Q(duration_minutes__lte=MAX_LOGGED_MINUTES),
                name="plans_session_duration_5_to_240",
                violation_error_message="A session lasts 5 to 240 minutes.",
            ),
            models.CheckConstraint(
                condition=(Q(pain_before__isnull=True) | Q(pain_before__lte=10))
                & (Q(pain_after__isnull=True) | Q(pain_after__lte=10)),
                name="plans_session_pain_0_to_10",
                violation_error_message="Pain is scored from 0 to 10.",
            ),
        ]
        indexes = [
            models.Index(fields=["plan", "date"], name="plans_session_plan_date_idx"),
            models.Index(fields=["therapist", "date"], name="plans_session_therapist_idx"),
            # "Sessions I logged today" on every worklist: without it, the benchmark's
            # EXPLAIN shows the therapist's whole history read to find today's few.
            models.Index(fields=["therapist", "created_at"], name="plans_session_logged_idx"),
            # Most recent first, as every session list reads them: the benchmark's
            # EXPLAIN shows a 2 s sort over 500,000 rows become an index scan.
            models.Index(fields=["-date", "-start_time", "-id"], name="plans_session_recent_idx"),
        ]

    def __str__(self) -> str:
        day = date_format(self.date, "j M Y")
        return f"{self.get_discipline_display()} {day} — {self.plan.patient.full_name}"

    @property
    def is_attended(self) -> bool:
        return self.attendance == self.Attendance.ATTENDED

    def clean(self) -> None:
        super().clean()
        errors = {}
        today = timezone.localdate()
        if self.date and self.date > today:
            errors["date"] = ValidationError(
                "A session cannot be logged for a future date.", code="date_in_future"
            )
        elif self.date and self.plan_id and self.date < self.plan.start_date:
            errors["date"] = ValidationError(
                "This date is before the plan started (%(start)s).",
                code="date_before_plan",
                params={"start": date_format(self.plan.start_date, "j M Y")},
            )
        if self.therapist_id and self.discipline and self.therapist.discipline != self.discipline:
            errors["therapist"] = ValidationError(
                "%(name)s cannot log %(discipline)s sessions.",
                code="therapist_wrong_discipline",
                params={
                    "name": self.therapist.display_name,
                    "discipline": Discipline(self.discipline).label.lower(),
                },
            )
        if errors:
            raise ValidationError(errors)

    def soap_notes(self) -> list[tuple[str, str]]:
        return [
            ("Subjective", self.subjective),
            ("Objective", self.objective),
            ("Assessment", self.assessment),
            ("Plan", self.plan_notes),
        ]
