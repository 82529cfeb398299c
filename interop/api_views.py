"""The REST API: patients, conditions, protocols, plans, therapy sessions,
assessments and goals.

Each endpoint checks the role and the object with plans.access (the web pages'
own rules), then calls the one service of plans.services for a write; a
refusal from either comes back in interop.errors' JSON shape. Lists show only
the rows the user may read (interop.visibility).
"""

from django.contrib.auth.decorators import login_not_required
from django.db import transaction
from django.db.models import Prefetch
from django.http import HttpResponsePermanentRedirect, JsonResponse
from django.urls import is_valid_path, reverse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import exceptions, mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.generics import get_object_or_404
from rest_framework.response import Response
from rest_framework.views import APIView

from interop import filters, pagination, serializers, visibility
from interop.errors import ErrorResponseSerializer, error
from outcomes import access as outcome_access
from outcomes import measures
from outcomes import services as outcome_services
from outcomes.models import Assessment, Goal
from patients.models import Condition, Diagnosis, Patient
from plans import access, selectors, services
from plans.models import PlanStage, Protocol, ProtocolStage, TherapySession

DEFAULT_WEEKS, MAX_WEEKS = 8, 52
READ_ERRORS = {401: ErrorResponseSerializer, 403: ErrorResponseSerializer}
OBJECT_ERRORS = {**READ_ERRORS, 404: ErrorResponseSerializer}
WRITE_ERRORS = {**OBJECT_ERRORS, 400: ErrorResponseSerializer}
# DELETE is not offered: clinical history is never deleted.
NO_DELETE = ["get", "post", "put", "patch", "head", "options"]


def responses(ok, errors=OBJECT_ERRORS, code=200) -> dict:
    return {code: ok, **errors}


def _schema_only(view) -> bool:
    """drf-spectacular builds the schema with a fake view and no signed-in user."""
    return getattr(view, "swagger_fake_view", False)


def _require(allowed: bool, why: str) -> None:
    """Refuse (403, code permission_denied, as before) saying why: an integrator
    reading the answer learns which role or allocation the request needs."""
    if not allowed:
        raise exceptions.PermissionDenied(why)


def _require_clinical_staff(user) -> None:
    """Plans and session notes are for physicians and therapists, not the front desk."""
    _require(
        access.is_physician(user) or user.discipline is not None,
        "Plans and sessions are for rehab physicians and therapists.",
    )


PROTOCOL_AUTHORS = "Protocols are written and published by rehab physicians."
PLAN_READERS = "A plan is read by rehab physicians and the therapists allocated to it."
PHYSICIANS_CHANGE_PLANS = "Plans are started and changed by rehab physicians."
REGISTRY_STAFF = "Patients are registered and changed by the front desk and rehab physicians."


# --- Conditions --------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(
        responses=responses(serializers.ConditionSerializer(many=True), READ_ERRORS)
    ),
    retrieve=extend_schema(responses=responses(serializers.ConditionSerializer)),
)
class ConditionViewSet(viewsets.ReadOnlyModelViewSet):
    """The conditions the clinic treats, with their ICD-10 codes (read-only)."""

    queryset = Condition.objects.all()
    serializer_class = serializers.ConditionSerializer
    filterset_class = filters.ConditionFilter
    ordering_fields = ["name", "icd10_code"]
    ordering = ["name"]


# --- Patients ----------------------------------------------------------------


def _patients():
    return Patient.objects.prefetch_related(
        Prefetch("diagnoses", queryset=Diagnosis.objects.select_related("condition"))
    )


@extend_schema_view(
    list=extend_schema(responses=responses(serializers.PatientSerializer(many=True), READ_ERRORS)),
    retrieve=extend_schema(responses=responses(serializers.PatientSerializer)),
    create=extend_schema(
        request=serializers.PatientRegistrationSerializer,
        responses=responses(serializers.PatientSerializer, WRITE_ERRORS, 201),
    ),
    update=extend_schema(responses=responses(serializers.PatientSerializer, WRITE_ERRORS)),
    partial_update=extend_schema(responses=responses(serializers.PatientSerializer, WRITE_ERRORS)),
)
class PatientViewSet(viewsets.ModelViewSet):
    """Patients with their diagnoses. Front desk and physicians read and register
    every patient; a therapist reads the patients on plans they are allocated to."""

    http_method_names = NO_DELETE
    serializer_class = serializers.PatientSerializer
    filterset_class = filters.PatientFilter
    ordering_fields = ["full_name", "record_number", "date_of_birth", "created_at"]
    ordering = ["full_name", "record_number"]

    def get_queryset(self):
        if self.action == "list" and not _schema_only(self):
            return visibility.visible_patients(self.request.user, _patients())
        return _patients()

    def get_serializer_class(self):
        if self.action == "create":
            return serializers.PatientRegistrationSerializer
        return super().get_serializer_class()

    def get_object(self):
        patient = get_object_or_404(self.get_queryset(), pk=self.kwargs["pk"])
        _require(
            access.can_view_patient(self.request.user, patient),
            "A therapist reads the patients on their own plans.",
        )
        if self.action not in ("retrieve",):
            _require(access.can_manage_patients(self.request.user), REGISTRY_STAFF)
        return patient

    def list(self, request, *args, **kwargs):
        user = request.user
        access.require(access.can_manage_patients(user) or user.discipline is not None)
        return super().list(request, *args, **kwargs)

    def create(self, request, *args, **kwargs):
        _require(access.can_manage_patients(request.user), REGISTRY_STAFF)
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        patient = serializer.save()
        return Response(
            serializers.PatientSerializer(_patients().get(pk=patient.pk)).data,
            status=status.HTTP_201_CREATED,
        )

    @extend_schema(
        request=serializers.DiagnosisSerializer,
        responses=responses(serializers.DiagnosisSerializer, WRITE_ERRORS, 201),
    )
    @action(detail=True, methods=["post"])
    def diagnoses(self, request, pk=None):
        """Record another diagnosis of the patient (history is never deleted)."""
        patient = self.get_object()
        serializer = serializers.DiagnosisSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        with transaction.atomic():
            diagnosis = serializer.save_for(patient)
        return Response(
            serializers.DiagnosisSerializer(diagnosis).data, status=status.HTTP_201_CREATED
        )


# --- Protocols ---------------------------------------------------------------


def _protocols():
    return Protocol.objects.select_related("condition", "author").prefetch_related(
        Prefetch("stages", queryset=ProtocolStage.objects.order_by("order"))
    )


@extend_schema_view(
    list=extend_schema(responses=responses(serializers.ProtocolSerializer(many=True), READ_ERRORS)),
    retrieve=extend_schema(responses=responses(serializers.ProtocolSerializer)),
    create=extend_schema(responses=responses(serializers.ProtocolSerializer, WRITE_ERRORS, 201)),
    update=extend_schema(
        request=serializers.ProtocolUpdateSerializer,
        responses=responses(serializers.ProtocolSerializer, WRITE_ERRORS),
    ),
    partial_update=extend_schema(
        request=serializers.ProtocolUpdateSerializer,
        responses=responses(serializers.ProtocolSerializer, WRITE_ERRORS),
    ),
)
class ProtocolViewSet(viewsets.ModelViewSet):
    """Protocol versions with their stages. Physicians and therapists read the
    published and retired ones; physicians also read and write drafts, publish,
    retire and make new versions. Only a draft changes."""

    http_method_names = NO_DELETE
    serializer_class = serializers.ProtocolSerializer
    filterset_class = filters.ProtocolFilter
    ordering_fields = ["name", "version", "published_at", "created_at"]
    ordering = ["condition__name", "name", "-version"]
    # The version clash of a new draft is about its name (as on the web page).
    service_field_map = {"__all__": "name"}

    def get_queryset(self):
        if self.action == "list" and not _schema_only(self):
            return visibility.visible_protocols(self.request.user, _protocols())
        return _protocols()

    def get_serializer_class(self):
        if self.action in ("update", "partial_update"):
            return serializers.ProtocolUpdateSerializer
        return super().get_serializer_class()

    def get_object(self):
        protocol = get_object_or_404(self.get_queryset(), pk=self.kwargs["pk"])
        access.require(visibility.can_read_protocol(self.request.user, protocol))
        if self.action != "retrieve":
            _require(access.can_author_protocols(self.request.user), PROTOCOL_AUTHORS)
        return protocol

    def list(self, request, *args, **kwargs):
        access.require(access.can_view_protocols(request.user))
        return super().list(request, *args, **kwargs)

    def _saved(self, protocol, code=status.HTTP_200_OK) -> Response:
        return Response(
            serializers.ProtocolSerializer(_protocols().get(pk=protocol.pk)).data, status=code
        )

    def create(self, request, *args, **kwargs):
        _require(access.can_author_protocols(request.user), PROTOCOL_AUTHORS)
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        stages = data.pop("stages")
        protocol = services.save_protocol_draft(
            protocol=Protocol(**data),
            stages=[serializers.stage_dose(stage) for stage in stages],
            author=request.user,
        )
        return self._saved(protocol, status.HTTP_201_CREATED)

    def update(self, request, *args, **kwargs):
        protocol = self.get_object()
        serializer = self.get_serializer(
            protocol, data=request.data, partial=kwargs.get("partial", False)
        )
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        stages = data.pop("stages", None)
        if stages is None:
            doses = [stage.dose_fields() for stage in protocol.stages.all()]
        else:
            doses = [serializers.stage_dose(stage) for stage in stages]
        for name, value in data.items():
            setattr(protocol, name, value)
        services.save_protocol_draft(protocol=protocol, stages=doses, author=request.user)
        return self._saved(protocol)

    @extend_schema(request=None, responses=responses(serializers.ProtocolSerializer, WRITE_ERRORS))
    @action(detail=True, methods=["post"])
    def publish(self, request, pk=None):
        """Make a draft available to plans; it is read-only from now on."""
        protocol = services.publish_protocol(protocol=self.get_object(), by=request.user)
        return self._saved(protocol)

    @extend_schema(request=None, responses=responses(serializers.ProtocolSerializer, WRITE_ERRORS))
    @action(detail=True, methods=["post"])
    def retire(self, request, pk=None):
        """Stop offering a published version to new plans; plans on it carry on."""
        protocol = services.retire_protocol(protocol=self.get_object(), by=request.user)
        return self._saved(protocol)

    @extend_schema(
        request=None, responses=responses(serializers.ProtocolSerializer, WRITE_ERRORS, 201)
    )
    @action(detail=True, methods=["post"], url_path="new-version")
    def new_version(self, request, pk=None):
        """An editable draft copy of a published version, numbered after the latest."""
        protocol = self.get_object()
        draft = services.new_protocol_version(protocol=protocol, author=request.user)
        return self._saved(draft, status.HTTP_201_CREATED)


# --- Plans -------------------------------------------------------------------

WEEKS_PARAMETER = OpenApiParameter(
    "weeks",
    OpenApiTypes.INT,
    description=f"How many recent weeks of allocated against delivered therapy "
    f"(1 to {MAX_WEEKS}, default {DEFAULT_WEEKS}).",
)


def _weeks_asked(request) -> int:
    raw = request.query_params.get("weeks", "")
    if not raw:
        return DEFAULT_WEEKS
    try:
        weeks = int(raw)
    except ValueError:
        weeks = 0
    if not 1 <= weeks <= MAX_WEEKS:
        raise exceptions.ValidationError(
            {"weeks": [f"Ask for 1 to {MAX_WEEKS} weeks."]}, code="invalid"
        )
    return weeks


@extend_schema_view(
    list=extend_schema(responses=responses(serializers.PlanSerializer(many=True), READ_ERRORS)),
    retrieve=extend_schema(
        parameters=[WEEKS_PARAMETER], responses=responses(serializers.PlanDetailSerializer)
    ),
    create=extend_schema(
        request=serializers.PlanStartSerializer,
        responses=responses(serializers.PlanDetailSerializer, WRITE_ERRORS, 201),
    ),
)
class PlanViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Patients' rehab plans with their stages, allocations and mix timeline.
    Physicians read every plan and change them; therapists read the plans they
    are allocated to. The detail adds allocated against delivered therapy per week."""

    serializer_class = serializers.PlanSerializer
    filterset_class = filters.PlanFilter
    ordering_fields = ["start_date", "status", "patient__full_name", "created_at"]
    ordering = ["-start_date", "-pk"]

    def get_queryset(self):
        plans = selectors.plan_with_stages()
        if self.action == "list" and not _schema_only(self):
            return visibility.visible_plans(self.request.user, plans)
        return plans

    def get_object(self):
        plan = get_object_or_404(self.get_queryset(), pk=self.kwargs["pk"])
        _require(access.can_view_plan(self.request.user, plan), PLAN_READERS)
        if self.action != "retrieve":
            _require(access.can_change_plan(self.request.user, plan), PHYSICIANS_CHANGE_PLANS)
        return plan

    def _detail(self, plan, code=status.HTTP_200_OK, weeks=DEFAULT_WEEKS) -> Response:
        plan = self.get_queryset().get(pk=plan.pk) if code != status.HTTP_200_OK else plan
        recent = selectors.recent_weeks(timezone.localdate(), weeks)
        context = {**self.get_serializer_context(), "weeks": selectors.plan_weeks(plan, recent)}
        return Response(serializers.PlanDetailSerializer(plan, context=context).data, status=code)

    def list(self, request, *args, **kwargs):
        _require_clinical_staff(request.user)
        return super().list(request, *args, **kwargs)

    def retrieve(self, request, *args, **kwargs):
        weeks = _weeks_asked(request)
        return self._detail(self.get_object(), weeks=weeks)

    def create(self, request, *args, **kwargs):
        _require(access.is_physician(request.user), PHYSICIANS_CHANGE_PLANS)
        serializer = serializers.PlanStartSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        diagnosis = data.pop("diagnosis")
        data.setdefault("lead_physician", request.user)
        plan = services.start_plan(patient=diagnosis.patient, diagnosis=diagnosis, **data)
        return self._detail(plan, status.HTTP_201_CREATED)

    def _changed(self, plan) -> Response:
        return self._detail(self.get_queryset().get(pk=plan.pk))

    @extend_schema(
        request=serializers.AdvanceStageSerializer,
        responses=responses(serializers.PlanDetailSerializer, WRITE_ERRORS),
    )
    @action(detail=True, methods=["post"])
    def advance(self, request, pk=None):
        """Move the plan to its next stage, or to `to_order` (back needs a reason)."""
        plan = self.get_object()
        serializer = serializers.AdvanceStageSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.advance_stage(plan=plan, by=request.user, **serializer.validated_data)
        return self._changed(plan)

    @extend_schema(
        request=serializers.PlanStatusSerializer,
        responses=responses(serializers.PlanDetailSerializer, WRITE_ERRORS),
    )
    @action(detail=True, methods=["post"], url_path="status")
    def change_status(self, request, pk=None):
        """Put the plan on hold, resume, complete or discontinue it."""
        plan = self.get_object()
        serializer = serializers.PlanStatusSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.change_plan_status(plan=plan, by=request.user, **serializer.validated_data)
        return self._changed(plan)

    @extend_schema(
        request=serializers.AllocateSerializer,
        responses=responses(serializers.PlanDetailSerializer, WRITE_ERRORS),
    )
    @action(detail=True, methods=["post"])
    def allocate(self, request, pk=None):
        """Give the current and upcoming stages of one discipline to a therapist."""
        plan = self.get_object()
        serializer = serializers.AllocateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.allocate_therapist(plan=plan, by=request.user, **serializer.validated_data)
        return self._changed(plan)

    @extend_schema(
        request=serializers.IndividualiseSerializer,
        responses=responses(serializers.PlanDetailSerializer, WRITE_ERRORS),
    )
    @action(detail=True, methods=["post"])
    def individualise(self, request, pk=None):
        """Change one stage's PT and OT sessions a week, saying why."""
        plan = self.get_object()
        serializer = serializers.IndividualiseSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        stage = PlanStage.objects.filter(plan=plan, pk=data.pop("stage")).first()
        if stage is None:
            raise exceptions.ValidationError(
                {"stage": ["This plan has no such stage."]}, code="no_such_stage"
            )
        services.individualise_stage_mix(stage=stage, by=request.user, **data)
        return self._changed(plan)


# --- Therapy sessions --------------------------------------------------------


def _sessions():
    return TherapySession.objects.select_related(
        "plan__patient", "plan_stage", "therapist", "logged_by"
    )


@extend_schema_view(
    list=extend_schema(
        responses=responses(serializers.TherapySessionSerializer(many=True), READ_ERRORS)
    ),
    retrieve=extend_schema(responses=responses(serializers.TherapySessionSerializer)),
    create=extend_schema(
        responses=responses(serializers.TherapySessionSerializer, WRITE_ERRORS, 201)
    ),
    update=extend_schema(
        request=serializers.TherapySessionCorrectionSerializer,
        responses=responses(serializers.TherapySessionSerializer, WRITE_ERRORS),
    ),
    partial_update=extend_schema(
        request=serializers.TherapySessionCorrectionSerializer,
        responses=responses(serializers.TherapySessionSerializer, WRITE_ERRORS),
    ),
)
class TherapySessionViewSet(viewsets.ModelViewSet):
    """Therapy sessions. A therapist logs their own sessions on plans they are
    allocated to (the web form's rules); physicians read every session, therapists
    those of their plans. A therapist corrects their entry for 24 hours, a physician
    at any time."""

    http_method_names = NO_DELETE
    serializer_class = serializers.TherapySessionSerializer
    filterset_class = filters.TherapySessionFilter
    pagination_class = pagination.CursorPagination
    ordering_fields = ["date", "start_time", "duration_minutes", "created_at"]
    ordering = ["-date", "-start_time", "-pk"]

    def get_queryset(self):
        if self.action == "list" and not _schema_only(self):
            return visibility.visible_sessions(self.request.user, _sessions())
        return _sessions()

    def get_serializer_class(self):
        if self.action in ("update", "partial_update"):
            return serializers.TherapySessionCorrectionSerializer
        return super().get_serializer_class()

    def get_object(self):
        session = get_object_or_404(self.get_queryset(), pk=self.kwargs["pk"])
        user = self.request.user
        if self.action == "retrieve":
            _require(access.can_view_plan(user, session.plan), PLAN_READERS)
        elif not access.can_correct_session(user, session):
            if session.therapist_id == user.pk:
                raise exceptions.PermissionDenied(
                    "Entries older than 24 hours are corrected by a physician.",
                    code="correction_window_passed",
                )
            _require(False, "A therapist corrects their own entries; a rehab physician any entry.")
        return session

    def list(self, request, *args, **kwargs):
        _require_clinical_staff(request.user)
        return super().list(request, *args, **kwargs)

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        plan = data.pop("plan")
        # Allocated in their own discipline, as on the web form.
        _require(
            access.is_allocated(request.user, plan),
            "Sessions are logged by a therapist allocated to the plan, in their own discipline.",
        )
        session = services.log_session(
            plan=plan, therapist=request.user, logged_by=request.user, **data
        )
        return Response(
            serializers.TherapySessionSerializer(_sessions().get(pk=session.pk)).data,
            status=status.HTTP_201_CREATED,
        )

    def update(self, request, *args, **kwargs):
        session = self.get_object()
        serializer = self.get_serializer(
            session, data=request.data, partial=kwargs.get("partial", False)
        )
        serializer.is_valid(raise_exception=True)
        changes = {
            name: value
            for name, value in serializer.validated_data.items()
            if name in services.CORRECTABLE_FIELDS and getattr(session, name) != value
        }
        if changes:
            session = services.correct_session(session=session, by=request.user, **changes)
        return Response(serializers.TherapySessionSerializer(_sessions().get(pk=session.pk)).data)


# --- Outcomes: assessments and goals -------------------------------------------------


def _assessments():
    return Assessment.objects.select_related("plan__patient", "plan_stage", "assessor")


@extend_schema_view(
    list=extend_schema(
        responses=responses(serializers.AssessmentSerializer(many=True), READ_ERRORS)
    ),
    retrieve=extend_schema(responses=responses(serializers.AssessmentSerializer)),
    create=extend_schema(responses=responses(serializers.AssessmentSerializer, WRITE_ERRORS, 201)),
)
class AssessmentViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Assessments with the standard outcome measures. The plan's team (physicians
    and the therapists allocated to it) reads them and records new ones on an
    active plan, as on the plan's page; the server computes the total. A wrong
    item is refused on `item_scores.<item>`."""

    serializer_class = serializers.AssessmentSerializer
    filterset_class = filters.AssessmentFilter
    pagination_class = pagination.CursorPagination
    ordering_fields = ["date", "measure", "total", "created_at"]
    ordering = ["-date", "-created_at", "-pk"]

    def get_queryset(self):
        if self.action == "list" and not _schema_only(self):
            return visibility.visible_assessments(self.request.user, _assessments())
        return _assessments()

    def get_object(self):
        assessment = get_object_or_404(self.get_queryset(), pk=self.kwargs["pk"])
        access.require(outcome_access.can_view_outcomes(self.request.user, assessment.plan))
        return assessment

    def list(self, request, *args, **kwargs):
        _require_clinical_staff(request.user)
        return super().list(request, *args, **kwargs)

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        plan = data.pop("plan")
        # The plan's team, as on the web page; a closed plan is refused by the service.
        access.require(outcome_access.can_view_outcomes(request.user, plan))
        measure = measures.get(data["measure"])
        # The service names an item by its key; the client sent it inside item_scores.
        self.service_field_map = {
            "__all__": "item_scores",
            **{item.key: f"item_scores.{item.key}" for item in (measure.items if measure else ())},
        }
        assessment = outcome_services.record_assessment(
            plan=plan,
            measure_key=data["measure"],
            assessor=request.user,
            date=data["date"],
            item_scores=data["item_scores"],
            notes=data.get("notes", ""),
        )
        return Response(
            serializers.AssessmentSerializer(_assessments().get(pk=assessment.pk)).data,
            status=status.HTTP_201_CREATED,
        )


@extend_schema_view(
    list=extend_schema(responses=responses(serializers.GoalSerializer(many=True), READ_ERRORS)),
    retrieve=extend_schema(responses=responses(serializers.GoalSerializer)),
)
class GoalViewSet(viewsets.ReadOnlyModelViewSet):
    """Goals of the plans, read by the plan's team (set and reviewed on the plan's page)."""

    serializer_class = serializers.GoalSerializer
    filterset_class = filters.GoalFilter
    ordering_fields = ["target_date", "status", "created_at"]
    ordering = ["target_date", "pk"]

    def get_queryset(self):
        goals = Goal.objects.select_related("plan__patient", "created_by")
        if self.action == "list" and not _schema_only(self):
            return visibility.visible_goals(self.request.user, goals)
        return goals

    def get_object(self):
        goal = get_object_or_404(self.get_queryset(), pk=self.kwargs["pk"])
        access.require(outcome_access.can_view_outcomes(self.request.user, goal.plan))
        return goal

    def list(self, request, *args, **kwargs):
        _require_clinical_staff(request.user)
        return super().list(request, *args, **kwargs)


# --- The API's own addresses ------------------------------------------------------


class ApiIndex(APIView):
    """Where each list of the API is, and its documentation."""

    ADDRESSES = {
        "documentation": "api:docs",
        "schema": "api:schema",
        "token": "api:token",
        "fhir": "fhir:metadata",
        "patients": "api:patient-list",
        "conditions": "api:condition-list",
        "protocols": "api:protocol-list",
        "plans": "api:plan-list",
        "sessions": "api:session-list",
        "assessments": "api:assessment-list",
        "goals": "api:goal-list",
    }

    @extend_schema(exclude=True)
    def get(self, request):
        return Response(
            {name: request.build_absolute_uri(reverse(url)) for name, url in self.ADDRESSES.items()}
        )


@csrf_exempt  # changes nothing: an API client sends a token, not a CSRF cookie
@login_not_required
def not_found(request, rest: str):
    """An address the API does not have, answered in the API's own error shape.
    A missing final slash is the usual slip: the request goes on to the address
    with it, by a 308 that keeps its method and body (Django's own redirect is a
    301, after which clients send a POST again as a GET, without its body)."""
    if not request.path.endswith("/") and is_valid_path(request.path + "/"):
        query = request.META.get("QUERY_STRING", "")
        return HttpResponsePermanentRedirect(
            request.path + "/" + (f"?{query}" if query else ""), preserve_request=True
        )
    return JsonResponse(
        {
            "errors": [
                error(
                    None,
                    "not_found",
                    f"The API has no address {request.path}: its lists are at "
                    f"{reverse('api:index')} and its documentation at {reverse('api:docs')}.",
                )
            ]
        },
        status=404,
    )
