"""The patient registry: conditions, patients and their diagnoses."""

import datetime

from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.formats import date_format
from simple_history.models import HistoricalRecords

RECORD_NUMBER_PREFIX = "RH-"

phone_validator = RegexValidator(
    r"^\+?[0-9][0-9 \-]{5,18}$",
    "Enter a phone number of digits, spaces or dashes, optionally starting with +.",
    code="invalid_phone",
)


class Condition(models.Model):
    class Category(models.TextChoices):
        NEUROLOGICAL = "neurological", "Neurological"
        MUSCULOSKELETAL = "musculoskeletal", "Musculoskeletal"
        POST_SURGICAL = "post_surgical", "Post-surgical"
        OTHER = "other", "Other"

    name = models.CharField(max_length=120)
    icd10_code = models.CharField(
        "ICD-10 code",
        max_length=8,
        unique=True,
        validators=[
            RegexValidator(
                r"^[A-Z][0-9]{2}(\.[0-9A-Z]{1,4})?$",
                "Enter an ICD-10 code such as I63.9 or G20.",
                code="invalid_icd10",
            )
        ],
    )
    category = models.CharField(max_length=20, choices=Category.choices)
    has_side = models.BooleanField(
        "affects a side of the body",
        default=False,
        help_text="A diagnosis of it names the side: left, right or both (a stroke, a knee).",
    )
    has_spinal_level = models.BooleanField(
        "records a spinal-cord level",
        default=False,
        help_text="A diagnosis of it may give the level of injury and the ASIA grade "
        "(spinal cord injury).",
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.icd10_code})"


def next_record_number() -> str:
    """The next medical record number, RH-000001 upwards.

    The unique constraint on the field is what guards two registrations at the
    same instant; the second one fails cleanly and can be retried.
    """
    last = (
        Patient.objects.filter(record_number__startswith=RECORD_NUMBER_PREFIX)
        .order_by("-record_number")
        .values_list("record_number", flat=True)
        .first()
    )
    number = int(last.removeprefix(RECORD_NUMBER_PREFIX)) + 1 if last else 1
    return f"{RECORD_NUMBER_PREFIX}{number:06d}"


class Patient(models.Model):
    class Sex(models.TextChoices):
        FEMALE = "female", "Female"
        MALE = "male", "Male"
        OTHER = "other", "Other"

    record_number = models.CharField(
        "medical record number",
        max_length=12,
        unique=True,
        default=next_record_number,
        editable=False,
    )
    full_name = models.CharField(max_length=150)
    date_of_birth = models.DateField()
    sex = models.CharField(max_length=10, choices=Sex.choices)
    phone = models.CharField(max_length=20, blank=True, validators=[phone_validator])
    family_contact_name = models.CharField(max_length=150, blank=True)
    family_contact_relation = models.CharField(
        max_length=60, blank=True, help_text="e.g. daughter, husband"
    )
    family_contact_phone = models.CharField(max_length=20, blank=True, validators=[phone_validator])
    preferred_language = models.CharField(max_length=40, blank=True, default="English")
    is_active = models.BooleanField("active", default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # Who changed what and when; a patient is deactivated, never deleted.
    history = HistoricalRecords()

    class Meta:
        ordering = ["full_name", "record_number"]
        # On PostgreSQL the search also has trigram indexes of the name and record
        # number (migration 0003): they exist on one database only, so not here.
        indexes = [models.Index(fields=["full_name"], name="patients_full_name_idx")]

    def __str__(self) -> str:
        return f"{self.full_name} ({self.record_number})"

    def clean(self) -> None:
        super().clean()
        if self.date_of_birth and self.date_of_birth > timezone.localdate():
            raise ValidationError(
                {
                    "date_of_birth": ValidationError(
                        "Date of birth cannot be in the future.", code="birth_in_future"
                    )
                }
            )
        if self.family_contact_phone and not self.family_contact_name:
            raise ValidationError(
                {
                    "family_contact_name": ValidationError(
                        "Give the family contact's name with their phone.",
                        code="family_contact_name_missing",
                    )
                }
            )
        # A running plan (active or on hold: no end date yet) keeps its patient on
        # the therapists' worklists, whatever the registry says.
        if not self.is_active and self.pk and self.plans.filter(end_date__isnull=True).exists():
            raise ValidationError(
                {
                    "is_active": ValidationError(
                        "%(name)s has a rehab plan still running: complete or discontinue "
                        "it first.",
                        code="running_plan",
                        params={"name": self.full_name},
                    )
                }
            )

    def age_on(self, day: datetime.date) -> int:
        born = self.date_of_birth
        return day.year - born.year - ((day.month, day.day) < (born.month, born.day))

    @property
    def age(self) -> int:
        return self.age_on(timezone.localdate())

    @property
    def primary_diagnosis(self):
        return next((d for d in self.diagnoses.all() if d.is_primary), None)


class Diagnosis(models.Model):
    class Side(models.TextChoices):
        LEFT = "left", "Left"
        RIGHT = "right", "Right"
        BILATERAL = "bilateral", "Bilateral"
        NOT_APPLICABLE = "not_applicable", "Not applicable"

    class AsiaGrade(models.TextChoices):
        A = "A", "A — complete"
        B = "B", "B — sensory incomplete"
        C = "C", "C — motor incomplete, most key muscles below grade 3"
        D = "D", "D — motor incomplete, most key muscles grade 3 or more"
        E = "E", "E — normal"

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="diagnoses")
    condition = models.ForeignKey(Condition, on_delete=models.PROTECT, related_name="diagnoses")
    onset_date = models.DateField()
    affected_side = models.CharField(
        max_length=16, choices=Side.choices, default=Side.NOT_APPLICABLE
    )
    spinal_cord_level = models.CharField(
        max_length=4,
        blank=True,
        help_text="Neurological level of injury, e.g. C5, T10, L1.",
        validators=[
            RegexValidator(
                r"^(C[1-8]|T([1-9]|1[0-2])|L[1-5]|S[1-5])$",
                "Enter a level from C1 to S5, such as C5 or T10.",
                code="invalid_spinal_level",
            )
        ],
    )
    asia_grade = models.CharField(
        "ASIA impairment grade", max_length=1, blank=True, choices=AsiaGrade.choices
    )
    notes = models.TextField(blank=True)
    is_primary = models.BooleanField("primary diagnosis", default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-is_primary", "-onset_date"]
        verbose_name_plural = "diagnoses"
        constraints = [
            models.UniqueConstraint(
                fields=["patient"],
                condition=Q(is_primary=True),
                name="patients_one_primary_diagnosis_per_patient",
                violation_error_message="A patient has at most one primary diagnosis.",
            ),
            models.CheckConstraint(
                condition=Q(asia_grade="") | ~Q(spinal_cord_level=""),
                name="patients_asia_grade_needs_spinal_level",
                violation_error_message="Give the spinal-cord level with the ASIA grade.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.condition.name} — {self.patient.full_name}"

    def clean(self) -> None:
        super().clean()
        errors = {}
        if self.onset_date and self.onset_date > timezone.localdate():
            errors["onset_date"] = ValidationError(
                "Onset date cannot be in the future.", code="onset_in_future"
            )
        born = self._patients_birth_date()
        if self.onset_date and born and self.onset_date < born:
            errors["onset_date"] = ValidationError(
                "Onset date cannot be before the patient was born (%(born)s).",
                code="onset_before_birth",
                params={"born": date_format(born, "j M Y")},
            )
        if self.is_primary and self.patient_id:
            other_primary = Diagnosis.objects.filter(patient_id=self.patient_id, is_primary=True)
            if other_primary.exclude(pk=self.pk).exists():
                errors["is_primary"] = ValidationError(
                    "This patient already has a primary diagnosis; untick it there first.",
                    code="primary_diagnosis_exists",
                )
        if (
            self.condition_id
            and self.condition.has_side
            and self.affected_side == self.Side.NOT_APPLICABLE
        ):
            errors["affected_side"] = ValidationError(
                "%(condition)s affects a side of the body: choose left, right or bilateral.",
                code="side_required",
                params={"condition": self.condition.name},
            )
        if self.condition_id and not self.condition.has_spinal_level:
            # A level on a stroke or a knee is a slip of the form, not clinical data.
            for field in ("spinal_cord_level", "asia_grade"):
                if getattr(self, field):
                    errors[field] = ValidationError(
                        "%(condition)s has no spinal-cord level or ASIA grade: leave it empty.",
                        code="spinal_level_not_applicable",
                        params={"condition": self.condition.name},
                    )
        if self.pk and self.condition_id and self._condition_changed() and self.plans.exists():
            errors["condition"] = ValidationError(
                "A rehab plan treats this diagnosis, so its condition stays: add the other "
                "condition as a new diagnosis.",
                code="condition_has_plan",
            )
        if self.asia_grade and not self.spinal_cord_level and "asia_grade" not in errors:
            errors["spinal_cord_level"] = ValidationError(
                "Give the spinal-cord level with the ASIA grade.", code="asia_needs_level"
            )
        if errors:
            raise ValidationError(errors)

    def _condition_changed(self) -> bool:
        stored = Diagnosis.objects.filter(pk=self.pk).values_list("condition_id", flat=True)
        return stored.first() != self.condition_id

    def _patients_birth_date(self):
        # The patient may be unsaved yet (registered with this diagnosis in one form).
        try:
            return self.patient.date_of_birth
        except Patient.DoesNotExist:
            return None

    @property
    def side_label(self) -> str:
        return (
            ""
            if self.affected_side == self.Side.NOT_APPLICABLE
            else self.get_affected_side_display()
        )
