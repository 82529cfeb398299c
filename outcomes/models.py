"""Assessments with the standard outcome measures, goals, and the measured exit
criteria of protocol stages.

Measures are described in `outcomes.measures`, not in the database: a row names
its measure by key. The keys are checked in `clean()` rather than as field
choices, so describing a new measure needs no migration.
"""

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from simple_history.models import HistoricalRecords

from outcomes import measures
from plans.models import PlanStage, ProtocolStage, RehabPlan
from rehab.models import Discipline


def check_measure_key(key: str, *, field: str = "measure", recordable_only: bool = False):
    measure = measures.get(key)
    if measure is None:
        raise ValidationError(
            {field: ValidationError("There is no measure %(key)s.", params={"key": key})},
            code="unknown_measure",
        )
    if recordable_only and not measure.recordable:
        raise ValidationError(
            {field: f"{measure.name} is not recorded as an assessment."},
            code="measure_not_recordable",
        )
    return measure


class MeasureSetting(models.Model):
    """A clinic may switch a measure off; a measure without a row is on."""

    measure = models.CharField(max_length=30, unique=True)
    enabled = models.BooleanField(default=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["measure"]
        verbose_name = "measure setting"

    def __str__(self) -> str:
        measure = measures.get(self.measure)
        name = measure.name if measure else self.measure
        return f"{name}: {'on' if self.enabled else 'off'}"

    def clean(self) -> None:
        super().clean()
        check_measure_key(self.measure)


class Assessment(models.Model):
    """One administration of a measure: item scores as given, the total as computed."""

    plan = models.ForeignKey(RehabPlan, on_delete=models.PROTECT, related_name="assessments")
    plan_stage = models.ForeignKey(
        PlanStage,
        on_delete=models.PROTECT,
        related_name="assessments",
        editable=False,
        help_text="The stage in force on the assessment's date.",
    )
    measure = models.CharField(max_length=30)
    date = models.DateField()
    assessor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="assessments"
    )
    item_scores = models.JSONField(default=dict)
    # Computed by `services.record_assessment`, never typed; kept for queries.
    total = models.DecimalField(max_digits=7, decimal_places=2, editable=False)
    notes = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-date", "-created_at"]
        indexes = [
            models.Index(fields=["plan", "measure", "date"], name="outcomes_assess_plan_idx"),
            # Most recent first, as the API's list reads them: EXPLAIN at 50,000
            # assessments shows a 100 ms sort of them all become an index scan.
            models.Index(fields=["-date", "-created_at", "-id"], name="outcomes_assess_recent_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.definition.name if self.definition else self.measure} {self.date}"

    @property
    def definition(self) -> measures.Measure | None:
        return measures.get(self.measure)

    @property
    def band(self) -> measures.Band | None:
        return self.definition.band(self.total) if self.definition else None

    @property
    def total_display(self) -> str:
        return self.definition.format(self.total) if self.definition else str(self.total)

    def item_rows(self) -> list[tuple[str, str, str]]:
        """(item, value, what the value means) in the measure's order."""
        rows = []
        for item in self.definition.items if self.definition else ():
            value = self.item_scores.get(item.key)
            shown = f"{value} {item.unit}".strip() if not item.is_choice else str(value)
            rows.append((item.label, shown, item.label_of(value) if item.is_choice else ""))
        return rows


class StageProgressionRule(models.Model):
    """How long a protocol stage lasts at least, whatever the scores say."""

    protocol_stage = models.OneToOneField(
        ProtocolStage, on_delete=models.CASCADE, related_name="progression_rule"
    )
    minimum_weeks = models.PositiveSmallIntegerField(
        "minimum weeks in stage",
        default=0,
        validators=[MaxValueValidator(104, "A stage lasts at most 104 weeks.")],
    )

    class Meta:
        # By the key's id: ordering by the relation would join its table for its own ordering.
        ordering = ["protocol_stage_id"]

    def __str__(self) -> str:
        return f"{self.protocol_stage}: at least {self.minimum_weeks} weeks"


class StageExitCriterion(models.Model):
    """One measured condition for leaving a protocol stage, e.g. Berg ≥ 45."""

    class Comparison(models.TextChoices):
        AT_LEAST = ">=", "at least (≥)"
        AT_MOST = "<=", "at most (≤)"

    protocol_stage = models.ForeignKey(
        ProtocolStage, on_delete=models.CASCADE, related_name="measured_exit_criteria"
    )
    measure = models.CharField(max_length=30, help_text="The measure's key, e.g. berg.")
    comparison = models.CharField(max_length=2, choices=Comparison.choices)
    value = models.DecimalField(max_digits=7, decimal_places=2)

    class Meta:
        # By the key's id: ordering by the relation would join its table for its own ordering.
        ordering = ["protocol_stage_id", "pk"]
        verbose_name_plural = "stage exit criteria"
        constraints = [
            models.UniqueConstraint(
                fields=["protocol_stage", "measure", "comparison"],
                name="outcomes_one_criterion_per_measure_and_comparison",
                violation_error_message="This stage already has that condition on this measure.",
            ),
        ]

    def __str__(self) -> str:
        return self.describe()

    @property
    def definition(self) -> measures.Measure | None:
        return measures.get(self.measure)

    @property
    def symbol(self) -> str:
        return "≥" if self.comparison == self.Comparison.AT_LEAST else "≤"

    def describe(self) -> str:
        measure = self.definition
        if measure is None:
            return f"{self.measure} {self.symbol} {self.value}"
        return f"{measure.name} {self.symbol} {measure.format(self.value)}"

    def is_met_by(self, value) -> bool:
        value = Decimal(value)
        if self.comparison == self.Comparison.AT_LEAST:
            return value >= self.value
        return value <= self.value

    def clean(self) -> None:
        super().clean()
        measure = check_measure_key(self.measure)
        wanted = self.Comparison.AT_LEAST if measure.higher_is_better else self.Comparison.AT_MOST
        if self.comparison and self.comparison != wanted:
            # A stage is left when the score has got better: more of a good thing, or less.
            raise ValidationError(
                {
                    "comparison": ValidationError(
                        "%(better)s %(measure)s scores are better: a stage is left when the "
                        "score is %(wanted)s a value.",
                        code="criterion_wrong_way",
                        params={
                            "better": "Higher" if measure.higher_is_better else "Lower",
                            "measure": measure.name,
                            "wanted": "at least" if measure.higher_is_better else "at most",
                        },
                    )
                }
            )
        if self.value is not None and not (measure.total_min <= self.value <= measure.total_max):
            raise ValidationError(
                {
                    "value": ValidationError(
                        "%(measure)s runs from %(low)s to %(high)s.",
                        code="criterion_out_of_range",
                        params={
                            "measure": measure.name,
                            "low": measure.format(measure.total_min),
                            "high": measure.format(measure.total_max),
                        },
                    )
                }
            )


class Goal(models.Model):
    """A goal of the plan, in one of the guide's three families, for one discipline."""

    class Family(models.TextChoices):
        MOVE_BETTER = "move_better", "Move better"
        LIVE_INDEPENDENTLY = "live_independently", "Live more independently"
        FEEL_CONFIDENT = "feel_confident", "Feel more confident"

    class Status(models.TextChoices):
        NOT_STARTED = "not_started", "Not started"
        IN_PROGRESS = "in_progress", "In progress"
        ACHIEVED = "achieved", "Achieved"
        DISCONTINUED = "discontinued", "Discontinued"

    plan = models.ForeignKey(RehabPlan, on_delete=models.PROTECT, related_name="goals")
    discipline = models.CharField(max_length=2, choices=Discipline.choices)
    family = models.CharField(max_length=20, choices=Family.choices)
    description = models.TextField(help_text="In the patient's words where possible.")
    target_date = models.DateField()
    status = models.CharField(max_length=14, choices=Status.choices, default=Status.NOT_STARTED)
    measure = models.CharField(
        max_length=30, blank=True, help_text="Optional: the measure that shows the goal is met."
    )
    target_value = models.DecimalField(max_digits=7, decimal_places=2, null=True, blank=True)
    gas_score = models.SmallIntegerField(
        "goal attainment score at review",
        null=True,
        blank=True,
        validators=[MinValueValidator(-2), MaxValueValidator(2)],
    )
    gas_weight = models.PositiveSmallIntegerField(
        "weight", default=1, validators=[MinValueValidator(1), MaxValueValidator(10)]
    )
    reviewed_on = models.DateField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["target_date", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(gas_score__isnull=True) | Q(gas_score__gte=-2, gas_score__lte=2),
                name="outcomes_goal_gas_score_minus2_to_2",
                violation_error_message="A goal is scored from −2 to +2.",
            ),
            models.CheckConstraint(
                condition=Q(measure="", target_value__isnull=True)
                | (~Q(measure="") & Q(target_value__isnull=False)),
                name="outcomes_goal_measure_with_target",
                violation_error_message="A measure and its target value go together.",
            ),
        ]

    def __str__(self) -> str:
        return self.description[:60]

    @property
    def definition(self) -> measures.Measure | None:
        return measures.get(self.measure) if self.measure else None

    def target_in_words(self) -> str:
        measure = self.definition
        if measure is None or self.target_value is None:
            return ""
        symbol = "≥" if measure.higher_is_better else "≤"
        return f"{measure.name} {symbol} {measure.format(self.target_value)}"

    def is_met_by(self, value) -> bool:
        measure = self.definition
        if measure is None or value is None or self.target_value is None:
            return False
        value = Decimal(value)
        return (
            value >= self.target_value if measure.higher_is_better else value <= self.target_value
        )

    def clean(self) -> None:
        super().clean()
        errors = {}
        if self.measure:
            measure = measures.get(self.measure)
            if measure is None or not measure.recordable:
                errors["measure"] = ValidationError(
                    "Choose a measure the clinic records.", code="unknown_measure"
                )
            elif self.target_value is None:
                errors["target_value"] = ValidationError(
                    "Give the value that shows this goal is met.", code="target_missing"
                )
            elif not measure.total_min <= self.target_value <= measure.total_max:
                errors["target_value"] = ValidationError(
                    "%(measure)s runs from %(low)s to %(high)s.",
                    code="target_out_of_range",
                    params={
                        "measure": measure.name,
                        "low": measure.format(measure.total_min),
                        "high": measure.format(measure.total_max),
                    },
                )
        elif self.target_value is not None:
            errors["measure"] = ValidationError(
                "Choose the measure this target value belongs to.", code="measure_missing"
            )
        if errors:
            raise ValidationError(errors)


class StageExitRules(ProtocolStage):
    """A protocol stage seen from its measured exit rules, for the admin.

    The stage's prescription is not changed here (published protocols are
    read-only); only its minimum weeks and measured criteria are.
    """

    class Meta:
        proxy = True
        verbose_name = "stage exit rules"
        verbose_name_plural = "stage exit rules"

    def clean(self) -> None:
        # Nothing of the stage itself changes on this page, so a published
        # protocol's stage is not refused here.
        pass
