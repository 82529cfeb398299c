"""What the REST API reads and writes. Field names follow the models so a
service's refusal ("date", "plan", "pt_sessions_per_week") names the field the
client sent. Writes are validated here for shape and then by the service."""

from functools import cached_property

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from interop.errors import flatten_django_error
from outcomes import measures
from outcomes.models import Assessment, Goal
from patients.models import Condition, Diagnosis, Patient, next_record_number
from plans.models import (
    MAX_LOGGED_MINUTES,
    MIN_LOGGED_MINUTES,
    PlanStage,
    Protocol,
    ProtocolStage,
    RehabPlan,
    SessionAllocation,
    TherapySession,
)
from plans.session_forms import model_message
from rehab.models import Discipline, User

# Two registrations at the same instant can pick the same record number.
RECORD_NUMBER_ATTEMPTS = 3


def raise_as_field_errors(exc: DjangoValidationError, prefix: str = "") -> None:
    """A model's ValidationError as DRF field errors (kept nested under `prefix`)."""
    errors = {}
    for item in flatten_django_error(exc):
        field = item["field"] or "non_field_errors"
        errors.setdefault(field, []).append(
            serializers.ErrorDetail(item["message"], code=item["code"])
        )
    raise serializers.ValidationError({prefix: errors} if prefix else errors)


# Sent by the browsable API's HTML forms, not fields of any resource.
FORM_INPUT = {"csrfmiddlewaretoken"}


class RefusesWhatItCannotSet:
    """Mixed into the serializers the API writes with: a field the request cannot
    set is refused by name instead of silently dropped (a session posted as OT
    for another therapist was stored as the sender's PT). A read-only field sent
    back unchanged, as a client that edits what it read does, is accepted."""

    def to_internal_value(self, data):
        if hasattr(data, "keys"):
            errors = {}
            for name in data:
                if name in FORM_INPUT:
                    continue
                field = self.fields.get(name)
                if field is None:
                    errors[name] = [
                        serializers.ErrorDetail(
                            "There is no such field here: see the API documentation.",
                            code="unknown_field",
                        )
                    ]
                elif field.read_only and not self._as_stored(field, data[name]):
                    errors[name] = [
                        serializers.ErrorDetail(
                            "This field is not set by this request: leave it out.",
                            code="read_only",
                        )
                    ]
            if errors:
                raise serializers.ValidationError(errors)
        return super().to_internal_value(data)

    def _as_stored(self, field, value) -> bool:
        if self.instance is None:
            return False
        try:
            return field.to_representation(field.get_attribute(self.instance)) == value
        except (AttributeError, KeyError, TypeError, ValueError, serializers.SkipField):
            return False


def active_staff():
    return User.objects.filter(is_active=True)


# --- Small summaries shared by several resources ----------------------------


class StaffSummarySerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    username = serializers.CharField(read_only=True)
    display_name = serializers.CharField(read_only=True)


class PatientSummarySerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    record_number = serializers.CharField(read_only=True)
    full_name = serializers.CharField(read_only=True)


# --- Conditions, patients and diagnoses --------------------------------------


class ConditionSerializer(serializers.ModelSerializer):
    class Meta:
        model = Condition
        fields = ["id", "name", "icd10_code", "category", "has_side", "has_spinal_level"]


class DiagnosisSerializer(RefusesWhatItCannotSet, serializers.ModelSerializer):
    condition_name = serializers.CharField(source="condition.name", read_only=True)
    icd10_code = serializers.CharField(source="condition.icd10_code", read_only=True)

    class Meta:
        model = Diagnosis
        fields = [
            "id",
            "condition",
            "condition_name",
            "icd10_code",
            "onset_date",
            "affected_side",
            "spinal_cord_level",
            "asia_grade",
            "notes",
            "is_primary",
            "created_at",
        ]
        read_only_fields = ["created_at"]

    def save_for(self, patient: Patient) -> Diagnosis:
        """Validate against the model's own rules and save (inside the caller's transaction)."""
        diagnosis = Diagnosis(patient=patient, **self.validated_data)
        diagnosis.full_clean()
        diagnosis.save()
        return diagnosis


PATIENT_FIELDS = [
    "id",
    "record_number",
    "full_name",
    "date_of_birth",
    "sex",
    "phone",
    "preferred_language",
    "family_contact_name",
    "family_contact_relation",
    "family_contact_phone",
    "is_active",
    "diagnoses",
    "created_at",
    "updated_at",
]


class PatientSerializer(RefusesWhatItCannotSet, serializers.ModelSerializer):
    """A patient with their diagnoses; diagnoses are added with their own endpoint."""

    diagnoses = DiagnosisSerializer(many=True, read_only=True)

    class Meta:
        model = Patient
        fields = PATIENT_FIELDS
        read_only_fields = ["record_number", "created_at", "updated_at"]

    def update(self, instance, validated_data):
        for name, value in validated_data.items():
            setattr(instance, name, value)
        try:
            instance.full_clean()
        except DjangoValidationError as exc:
            raise_as_field_errors(exc)
        instance.save()
        return instance


class PatientRegistrationSerializer(PatientSerializer):
    """Register a patient with their diagnoses at once, all or nothing."""

    diagnoses = DiagnosisSerializer(many=True, required=False)

    class Meta(PatientSerializer.Meta):
        read_only_fields = ["record_number", "is_active", "created_at", "updated_at"]

    def validate_diagnoses(self, diagnoses):
        if sum(1 for d in diagnoses if d.get("is_primary")) > 1:
            raise serializers.ValidationError(
                "Only one diagnosis can be the primary one.", code="two_primary_diagnoses"
            )
        return diagnoses

    @transaction.atomic
    def create(self, validated_data):
        diagnoses = validated_data.pop("diagnoses", [])
        patient = Patient(**validated_data)
        try:
            patient.full_clean(exclude=["record_number"])
        except DjangoValidationError as exc:
            raise_as_field_errors(exc)
        for attempt in range(1, RECORD_NUMBER_ATTEMPTS + 1):
            patient.record_number = next_record_number()
            try:
                with transaction.atomic():
                    patient.save()
                break
            except IntegrityError:
                if attempt == RECORD_NUMBER_ATTEMPTS:
                    raise
        for index, fields in enumerate(diagnoses):
            diagnosis = Diagnosis(patient=patient, **fields)
            try:
                diagnosis.full_clean()
            except DjangoValidationError as exc:
                raise_as_field_errors(exc, prefix=f"diagnoses.{index}")
            diagnosis.save()
        return patient


# --- Protocols -------------------------------------------------------------


class FocusAreasField(serializers.ListField):
    """Focus areas as a list of short phrases (stored one per line)."""

    child = serializers.CharField(max_length=120)

    def to_representation(self, data):
        if isinstance(data, str):
            data = [line.strip() for line in data.splitlines() if line.strip()]
        return super().to_representation(data)


STAGE_DOSE_FIELDS = [
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


class ProtocolStageSerializer(serializers.ModelSerializer):
    pt_focus_areas = FocusAreasField(required=False, default=list)
    ot_focus_areas = FocusAreasField(required=False, default=list)

    class Meta:
        model = ProtocolStage
        fields = ["id", "order", *STAGE_DOSE_FIELDS]
        read_only_fields = ["order"]


def stage_dose(fields: dict) -> dict:
    """A stage as save_protocol_draft takes it: focus areas back to one per line."""
    dose = dict(fields)
    for name in ("pt_focus_areas", "ot_focus_areas"):
        dose[name] = "\n".join(dose.get(name) or [])
    return dose


class ProtocolSerializer(RefusesWhatItCannotSet, serializers.ModelSerializer):
    """A protocol version with its stages. Only drafts change; stages are replaced as a list."""

    condition_name = serializers.CharField(source="condition.name", read_only=True)
    author = StaffSummarySerializer(read_only=True)
    stages = ProtocolStageSerializer(many=True)

    class Meta:
        model = Protocol
        fields = [
            "id",
            "condition",
            "condition_name",
            "name",
            "version",
            "status",
            "author",
            "summary",
            "rationale",
            "published_at",
            "created_at",
            "updated_at",
            "stages",
        ]
        read_only_fields = ["version", "status", "published_at", "created_at", "updated_at"]
        # The version clash is the service's to refuse (named on "name", as on the page).
        validators = []

    def validate_stages(self, stages):
        if not stages:
            raise serializers.ValidationError(
                "A protocol needs at least one stage.", code="no_stages"
            )
        # Each stage against the model's own dose rules, so the error names the stage.
        errors = {}
        for index, fields in enumerate(stages):
            try:
                ProtocolStage(order=index + 1, **stage_dose(fields)).full_clean(
                    exclude=["protocol"]
                )
            except DjangoValidationError as exc:
                errors[index] = {
                    item["field"] or "non_field_errors": [
                        serializers.ErrorDetail(item["message"], code=item["code"])
                    ]
                    for item in flatten_django_error(exc)
                }
        if errors:
            raise serializers.ValidationError(
                [errors.get(index, {}) for index in range(len(stages))]
            )
        return stages


class ProtocolUpdateSerializer(ProtocolSerializer):
    """Editing a draft: its condition stays; stages are replaced when given."""

    stages = ProtocolStageSerializer(many=True, required=False)

    class Meta(ProtocolSerializer.Meta):
        read_only_fields = [*ProtocolSerializer.Meta.read_only_fields, "condition"]


# --- Plans -----------------------------------------------------------------


class AllocationSerializer(serializers.ModelSerializer):
    therapist = StaffSummarySerializer(read_only=True, allow_null=True)

    class Meta:
        model = SessionAllocation
        fields = ["id", "discipline", "therapist", "sessions_per_week", "minutes_per_session"]


class PlanStageSerializer(serializers.ModelSerializer):
    pt_focus_areas = FocusAreasField(read_only=True)
    ot_focus_areas = FocusAreasField(read_only=True)
    protocol_pt_sessions_per_week = serializers.IntegerField(
        source="protocol_stage.pt_sessions_per_week", read_only=True
    )
    protocol_ot_sessions_per_week = serializers.IntegerField(
        source="protocol_stage.ot_sessions_per_week", read_only=True
    )
    is_individualised = serializers.BooleanField(read_only=True)
    allocations = AllocationSerializer(many=True, read_only=True)

    class Meta:
        model = PlanStage
        fields = [
            "id",
            "order",
            *STAGE_DOSE_FIELDS,
            "status",
            "started_on",
            "ended_on",
            "protocol_pt_sessions_per_week",
            "protocol_ot_sessions_per_week",
            "is_individualised",
            "allocations",
        ]
        read_only_fields = fields


class TimelineEntrySerializer(serializers.Serializer):
    """One stage of selectors.mix_timeline: its dates and mix beside the protocol's."""

    stage_id = serializers.IntegerField(source="stage.pk")
    order = serializers.IntegerField(source="stage.order")
    name = serializers.CharField(source="stage.name")
    status = serializers.CharField(source="stage.status")
    starts = serializers.DateField(allow_null=True)
    ends = serializers.DateField(allow_null=True)
    projected = serializers.BooleanField(help_text="The dates are expected, not yet lived.")
    pt_sessions_per_week = serializers.IntegerField(source="mix.pt_sessions_per_week")
    ot_sessions_per_week = serializers.IntegerField(source="mix.ot_sessions_per_week")
    pt_share = serializers.FloatField(source="mix.pt_share")
    lead = serializers.CharField(source="mix.lead")
    protocol_pt_sessions_per_week = serializers.IntegerField(
        source="protocol_mix.pt_sessions_per_week"
    )
    protocol_ot_sessions_per_week = serializers.IntegerField(
        source="protocol_mix.ot_sessions_per_week"
    )


class DisciplineWeekSerializer(serializers.Serializer):
    discipline = serializers.CharField()
    allocated_sessions = serializers.IntegerField()
    allocated_minutes = serializers.IntegerField()
    delivered_sessions = serializers.IntegerField(help_text="Attended sessions.")
    delivered_minutes = serializers.IntegerField()
    missed_sessions = serializers.IntegerField(help_text="Absences and clinic cancellations.")
    adherence_percent = serializers.IntegerField(allow_null=True)


class PlanWeekSerializer(serializers.Serializer):
    """Allocated against delivered therapy in one week (selectors.plan_weeks)."""

    week_start = serializers.DateField()
    week_end = serializers.DateField()
    on_hold = serializers.BooleanField(
        help_text="On hold every day of the week it ran: nothing was allocated."
    )
    disciplines = serializers.SerializerMethodField()

    @extend_schema_field(DisciplineWeekSerializer(many=True))
    def get_disciplines(self, week):
        return DisciplineWeekSerializer(list(week.disciplines.values()), many=True).data


class DiagnosisSummarySerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    condition_name = serializers.CharField(source="condition.name", read_only=True)
    icd10_code = serializers.CharField(source="condition.icd10_code", read_only=True)


class ProtocolSummarySerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(read_only=True)
    version = serializers.IntegerField(read_only=True)


class PlanSerializer(serializers.ModelSerializer):
    patient = PatientSummarySerializer(read_only=True)
    diagnosis = DiagnosisSummarySerializer(read_only=True)
    protocol = ProtocolSummarySerializer(read_only=True)
    lead_physician = StaffSummarySerializer(read_only=True)
    current_stage_order = serializers.SerializerMethodField()
    stages = PlanStageSerializer(many=True, read_only=True)
    mix_timeline = serializers.SerializerMethodField()

    class Meta:
        model = RehabPlan
        fields = [
            "id",
            "patient",
            "diagnosis",
            "protocol",
            "lead_physician",
            "start_date",
            "end_date",
            "status",
            "status_reason",
            "primary_concern",
            "current_stage_order",
            "stages",
            "mix_timeline",
        ]
        read_only_fields = fields

    @extend_schema_field(OpenApiTypes.INT)
    def get_current_stage_order(self, plan) -> int | None:
        stage = plan.current_stage
        return stage.order if stage else None

    @extend_schema_field(TimelineEntrySerializer(many=True))
    def get_mix_timeline(self, plan):
        from plans.selectors import mix_timeline

        return self._timeline.to_representation(mix_timeline(plan))

    @cached_property
    def _timeline(self):
        # One for every plan of a list: binding a serializer's fields per plan cost
        # more than the plan's timeline.
        return TimelineEntrySerializer(many=True)


class PlanDetailSerializer(PlanSerializer):
    """A plan with its allocated-against-delivered weeks (context: `weeks`)."""

    weeks = serializers.SerializerMethodField()

    class Meta(PlanSerializer.Meta):
        fields = [*PlanSerializer.Meta.fields, "weeks"]
        read_only_fields = fields

    @extend_schema_field(PlanWeekSerializer(many=True))
    def get_weeks(self, plan):
        return PlanWeekSerializer(self.context.get("weeks", []), many=True).data


class PlanStartSerializer(RefusesWhatItCannotSet, serializers.Serializer):
    """Start a plan for a diagnosis on a published protocol (services.start_plan)."""

    diagnosis = serializers.PrimaryKeyRelatedField(
        queryset=Diagnosis.objects.select_related("patient", "condition")
    )
    protocol = serializers.PrimaryKeyRelatedField(queryset=Protocol.objects.all())
    start_date = serializers.DateField()
    primary_concern = serializers.ChoiceField(choices=RehabPlan.PrimaryConcern.choices)
    # Any active staff member: the service and the model refuse a wrong role.
    lead_physician = serializers.PrimaryKeyRelatedField(
        queryset=active_staff(),
        required=False,
        help_text="Defaults to the physician making the request.",
    )
    physiotherapist = serializers.PrimaryKeyRelatedField(
        queryset=active_staff(), required=False, allow_null=True
    )
    occupational_therapist = serializers.PrimaryKeyRelatedField(
        queryset=active_staff(), required=False, allow_null=True
    )


class AdvanceStageSerializer(RefusesWhatItCannotSet, serializers.Serializer):
    """Move to the next stage, or to `to_order` (going back needs a reason)."""

    to_order = serializers.IntegerField(required=False, allow_null=True, min_value=1)
    reason = serializers.CharField(required=False, allow_blank=True, default="")
    effective_date = serializers.DateField(required=False, allow_null=True)


class PlanStatusSerializer(RefusesWhatItCannotSet, serializers.Serializer):
    status = serializers.ChoiceField(choices=RehabPlan.Status.choices)
    reason = serializers.CharField(required=False, allow_blank=True, default="")
    effective_date = serializers.DateField(required=False, allow_null=True)


class AllocateSerializer(RefusesWhatItCannotSet, serializers.Serializer):
    """Give the current and upcoming stages of one discipline to a therapist."""

    discipline = serializers.ChoiceField(choices=Discipline.choices)
    # Any active staff member: the service refuses one of another discipline.
    therapist = serializers.PrimaryKeyRelatedField(queryset=active_staff(), allow_null=True)


class IndividualiseSerializer(RefusesWhatItCannotSet, serializers.Serializer):
    """Change one stage's PT and OT sessions a week for this patient."""

    stage = serializers.IntegerField(help_text="The plan stage's id.")
    pt_sessions_per_week = serializers.IntegerField(min_value=0)
    ot_sessions_per_week = serializers.IntegerField(min_value=0)
    reason = serializers.CharField(allow_blank=True)


# --- Therapy sessions ------------------------------------------------------


class PlanStageSummarySerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    order = serializers.IntegerField(read_only=True)
    name = serializers.CharField(read_only=True)


SESSION_NOTE_FIELDS = [
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
]


def _minutes_field(**kwargs):
    return serializers.IntegerField(
        min_value=MIN_LOGGED_MINUTES,
        max_value=MAX_LOGGED_MINUTES,
        error_messages={
            "min_value": model_message("duration_minutes", "min_value"),
            "max_value": model_message("duration_minutes", "max_value"),
        },
        **kwargs,
    )


def _pain_field():
    message = model_message("pain_before", "max_value")
    return serializers.IntegerField(
        min_value=0,
        max_value=10,
        required=False,
        allow_null=True,
        error_messages={"min_value": message, "max_value": message},
    )


class TherapySessionSerializer(RefusesWhatItCannotSet, serializers.ModelSerializer):
    """A logged session. The therapist is whoever logs it; the discipline follows their role."""

    plan = serializers.PrimaryKeyRelatedField(queryset=RehabPlan.objects.all())
    patient = PatientSummarySerializer(source="plan.patient", read_only=True)
    plan_stage = PlanStageSummarySerializer(read_only=True)
    therapist = StaffSummarySerializer(read_only=True)
    logged_by = StaffSummarySerializer(read_only=True)
    duration_minutes = _minutes_field()
    pain_before = _pain_field()
    pain_after = _pain_field()
    focus_areas = serializers.ListField(
        child=serializers.CharField(max_length=120), required=False, default=list
    )

    class Meta:
        model = TherapySession
        fields = [
            "id",
            "plan",
            "patient",
            "plan_stage",
            "discipline",
            "therapist",
            *SESSION_NOTE_FIELDS,
            "logged_by",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["discipline", "created_at", "updated_at"]


class TherapySessionCorrectionSerializer(TherapySessionSerializer):
    """Correct a logged session (services.correct_session); its plan stays."""

    plan = serializers.PrimaryKeyRelatedField(read_only=True)
    duration_minutes = _minutes_field(required=False)


# --- Outcomes: assessments and goals --------------------------------------------


class ItemScoreSerializer(serializers.Serializer):
    """One item as scored, in the measure's order, with what a choice means."""

    item = serializers.CharField(read_only=True)
    label = serializers.CharField(read_only=True)
    value = serializers.CharField(read_only=True, allow_null=True)
    meaning = serializers.CharField(read_only=True)


class AssessmentSerializer(RefusesWhatItCannotSet, serializers.ModelSerializer):
    """One administration of a measure. The total is always computed by the
    server from the item scores (outcomes.services.record_assessment)."""

    plan = serializers.PrimaryKeyRelatedField(queryset=RehabPlan.objects.all())
    patient = PatientSummarySerializer(source="plan.patient", read_only=True)
    plan_stage = PlanStageSummarySerializer(read_only=True)
    assessor = StaffSummarySerializer(read_only=True)
    measure = serializers.CharField(
        max_length=30, help_text="The measure's key, e.g. barthel, berg, tug, nprs."
    )
    measure_name = serializers.SerializerMethodField()
    item_scores = serializers.DictField(
        child=serializers.JSONField(),
        help_text="One value per item of the measure, keyed by the item's key.",
    )
    items = serializers.SerializerMethodField()
    total = serializers.DecimalField(max_digits=7, decimal_places=2, read_only=True)
    band = serializers.SerializerMethodField()
    notes = serializers.CharField(required=False, allow_blank=True, default="")

    class Meta:
        model = Assessment
        fields = [
            "id",
            "plan",
            "patient",
            "plan_stage",
            "measure",
            "measure_name",
            "date",
            "assessor",
            "item_scores",
            "items",
            "total",
            "band",
            "notes",
            "created_at",
        ]
        read_only_fields = ["created_at"]

    def validate_measure(self, key: str) -> str:
        """The words of outcomes.models.check_measure_key, with a stable code."""
        measure = measures.get(key)
        if measure is None:
            raise serializers.ValidationError(f"There is no measure {key}.", code="unknown_measure")
        if not measure.recordable:
            raise serializers.ValidationError(
                f"{measure.name} is not recorded as an assessment.",
                code="measure_not_recordable",
            )
        return key

    def get_measure_name(self, assessment) -> str:
        definition = assessment.definition
        return definition.name if definition else assessment.measure

    @extend_schema_field(ItemScoreSerializer(many=True))
    def get_items(self, assessment) -> list[dict]:
        definition = assessment.definition
        rows = []
        for item in definition.items if definition else ():
            value = assessment.item_scores.get(item.key)
            rows.append(
                {
                    "item": item.key,
                    "label": item.label,
                    "value": None if value is None else str(value),
                    "meaning": item.label_of(value) if item.is_choice else item.unit,
                }
            )
        return rows

    @extend_schema_field(OpenApiTypes.STR)
    def get_band(self, assessment) -> str | None:
        band = assessment.band
        return band.label if band else None


class GoalSerializer(serializers.ModelSerializer):
    """A goal of a plan (read-only here; goals are set on the plan's page)."""

    patient = PatientSummarySerializer(source="plan.patient", read_only=True)
    created_by = StaffSummarySerializer(read_only=True)
    target = serializers.SerializerMethodField()

    class Meta:
        model = Goal
        fields = [
            "id",
            "plan",
            "patient",
            "discipline",
            "family",
            "description",
            "target_date",
            "status",
            "measure",
            "target_value",
            "target",
            "gas_score",
            "gas_weight",
            "reviewed_on",
            "created_by",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    def get_target(self, goal) -> str:
        return goal.target_in_words()
