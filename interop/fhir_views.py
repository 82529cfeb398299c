"""The FHIR R4 read API: read by id, search, and the capability statement.

    GET /fhir/metadata                      CapabilityStatement
    GET /fhir/<Type>/<id>                   one resource
    GET /fhir/<Type>?patient=<id>           Bundle (searchset), 20 a page:
                                            _count (at most 200) and _offset

Answers are application/fhir+json. A client signs in as for the REST API
(session or `Authorization: Token …`) and sees what the web app would show it:
a therapist only their own patients' plans and sessions, the front desk no
clinical records. Refusals are OperationOutcomes: 401, 403, 404, 400.
"""

from collections.abc import Callable
from dataclasses import dataclass, field

from django.db.models import Prefetch, QuerySet
from django.http import Http404
from django.urls import reverse
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, permissions
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView, exception_handler

from interop import fhir_resources as fhir
from interop import visibility
from outcomes import access as outcome_access
from outcomes.models import Assessment, Goal
from patients.models import Diagnosis, Patient
from plans import access, selectors
from plans.models import Protocol, ProtocolStage, TherapySession
from rehab.models import Role, User

# Parameters any search accepts: the client's preferred format is always JSON here.
IGNORED_PARAMETERS = {"_format"}
# Searches answer a page at a time: `_count` entries (at most MAX_PAGE) from
# `_offset`, with links to the first, previous, next and last pages.
PAGE_PARAMETERS = {"_count", "_offset"}
# 20, as common FHIR servers answer: a client wanting more asks with _count.
DEFAULT_PAGE = 20
MAX_PAGE = 200


class FhirJsonRenderer(JSONRenderer):
    media_type = "application/fhir+json"
    format = "fhir"


class AlwaysFhirJson(BaseContentNegotiation):
    """FHIR JSON whatever the Accept header asks (XML is not offered)."""

    def select_parser(self, request, parsers):
        return parsers[0] if parsers else None

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


class SearchError(exceptions.ValidationError):
    pass


ISSUE_CODES = {
    400: "invalid",
    401: "login",
    403: "forbidden",
    404: "not-found",
    405: "not-supported",
}


def fhir_exception_handler(exc, context):
    """Every refusal as an OperationOutcome with the HTTP status."""
    response = exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        detail = exc.detail
        text = " ".join(str(item) for item in detail) if isinstance(detail, list) else str(detail)
    elif isinstance(exc, Http404):
        text = str(exc) or "Not found."
    else:
        text = str(getattr(exc, "detail", exc))
    response.data = fhir.operation_outcome(ISSUE_CODES.get(response.status_code, "exception"), text)
    return response


def fhir_base(request) -> str:
    return request.build_absolute_uri(reverse("fhir:metadata")).removesuffix("/metadata")


def _id_value(value: str) -> int:
    """A resource id from `123` or `Patient/123`; anything else matches nothing."""
    tail = value.rsplit("/", 1)[-1]
    return int(tail) if tail.isdigit() else -1


# --- What each resource type reads, who may read it and how it is searched ------


@dataclass(frozen=True)
class SearchParameter:
    name: str
    kind: str
    documentation: str
    apply: Callable[[QuerySet, str], QuerySet]


@dataclass(frozen=True)
class ResourceType:
    name: str
    queryset: Callable[[], QuerySet]
    visible: Callable[[object, QuerySet], QuerySet]  # (user, queryset) -> what they may list
    may_list: Callable[[object], bool]
    may_read: Callable[[object, object], bool]
    to_resource: Callable[[object, str], dict]
    parameters: list[SearchParameter] = field(default_factory=list)


def _by_id(qs, value):
    return qs.filter(pk=_id_value(value))


def _staff_identifier(qs, value):
    return qs.filter(username=value.split("|")[-1])


def _identifier(qs, value):
    number = value.split("|", 1)[-1]
    return qs.filter(record_number=number)


def _patients():
    return Patient.objects.all()


def _staff():
    """Everyone who holds a clinic role (a physician, a therapist, the front desk)."""
    return User.objects.filter(groups__name__in=Role.values).distinct().prefetch_related("groups")


def _diagnoses():
    return Diagnosis.objects.select_related("patient", "condition")


def _protocols():
    return Protocol.objects.select_related("condition", "author").prefetch_related(
        Prefetch("stages", queryset=ProtocolStage.objects.order_by("order"))
    )


def _plans():
    # The goals too, for CarePlan.goal.
    return selectors.plan_with_stages().prefetch_related(
        Prefetch("goals", queryset=Goal.objects.order_by("target_date", "pk"))
    )


def _assessments():
    return Assessment.objects.select_related("plan__patient", "assessor")


def _goals():
    return Goal.objects.select_related("plan__patient")


def _sessions():
    return TherapySession.objects.select_related("plan__patient", "therapist", "logged_by")


def _protocol_url(qs, value):
    """The canonical URL names a protocol family (condition and name); versions share it."""
    url = value.split("|", 1)[0]
    tail = url.rsplit("/PlanDefinition/", 1)[-1]
    condition_id, _, slug = tail.removeprefix("protocol-").partition("-")
    if not condition_id.isdigit():
        return qs.none()
    names = set(
        Protocol.objects.filter(condition_id=int(condition_id)).values_list("name", flat=True)
    )
    matching = [name for name in names if fhir.protocol_slug(name) == slug]
    return qs.filter(condition_id=int(condition_id), name__in=matching)


def _protocol_version(qs, value):
    return qs.filter(version=int(value)) if value.isdigit() else qs.none()


def _anyone_with_a_role(user) -> bool:
    return access.can_manage_patients(user) or user.discipline is not None


def _clinical(user) -> bool:
    return access.is_physician(user) or user.discipline is not None


ID_PARAMETER = SearchParameter("_id", "token", "The resource id.", _by_id)
BASED_ON_PARAMETER = SearchParameter(
    "based-on",
    "reference",
    "The plan: CarePlan/<id>.",
    lambda qs, value: qs.filter(plan_id=_id_value(value)),
)


def _patient_id(value: str) -> int:
    """The patient searched for; a record number there is the usual slip, so it is
    answered with where record numbers are searched, not with an empty Bundle."""
    if value.upper().startswith("RH-"):
        raise SearchError(
            f"patient takes the Patient's id (5 or Patient/5), not a record number; find "
            f"the patient first with Patient?identifier={value}."
        )
    return _id_value(value)


def _patient_parameter(path: str) -> SearchParameter:
    return SearchParameter(
        "patient",
        "reference",
        "The patient: an id or Patient/<id>.",
        lambda qs, value: qs.filter(**{path: _patient_id(value)}),
    )


RESOURCE_TYPES = {
    resource.name: resource
    for resource in [
        ResourceType(
            name="Practitioner",
            queryset=_staff,
            visible=lambda user, qs: qs,
            may_list=_anyone_with_a_role,
            may_read=lambda user, practitioner: _anyone_with_a_role(user),
            to_resource=fhir.practitioner_resource,
            parameters=[
                ID_PARAMETER,
                SearchParameter(
                    "identifier", "token", "The staff member's username.", _staff_identifier
                ),
            ],
        ),
        ResourceType(
            name="Patient",
            queryset=_patients,
            visible=lambda user, qs: visibility.visible_patients(user, qs),
            may_list=_anyone_with_a_role,
            may_read=access.can_view_patient,
            to_resource=fhir.patient_resource,
            parameters=[
                ID_PARAMETER,
                SearchParameter(
                    "identifier", "token", "The medical record number, e.g. RH-000001.", _identifier
                ),
            ],
        ),
        ResourceType(
            name="Condition",
            queryset=_diagnoses,
            visible=lambda user, qs: qs.filter(
                patient__in=visibility.visible_patients(user).values("pk")
            ),
            may_list=_anyone_with_a_role,
            may_read=lambda user, diagnosis: access.can_view_patient(user, diagnosis.patient),
            to_resource=fhir.condition_resource,
            parameters=[ID_PARAMETER, _patient_parameter("patient")],
        ),
        ResourceType(
            name="PlanDefinition",
            queryset=_protocols,
            visible=lambda user, qs: visibility.visible_protocols(user, qs),
            may_list=access.can_view_protocols,
            may_read=visibility.can_read_protocol,
            to_resource=fhir.plan_definition_resource,
            parameters=[
                ID_PARAMETER,
                SearchParameter("url", "uri", "The canonical URL (all versions).", _protocol_url),
                SearchParameter("version", "token", "The version number.", _protocol_version),
            ],
        ),
        ResourceType(
            name="CarePlan",
            queryset=_plans,
            visible=lambda user, qs: visibility.visible_plans(user, qs),
            may_list=_clinical,
            may_read=access.can_view_plan,
            to_resource=fhir.care_plan_resource,
            parameters=[ID_PARAMETER, _patient_parameter("patient")],
        ),
        ResourceType(
            name="Procedure",
            queryset=_sessions,
            visible=lambda user, qs: visibility.visible_sessions(user, qs),
            may_list=_clinical,
            may_read=lambda user, session: access.can_view_plan(user, session.plan),
            to_resource=fhir.procedure_resource,
            parameters=[
                ID_PARAMETER,
                _patient_parameter("plan__patient"),
                BASED_ON_PARAMETER,
            ],
        ),
        ResourceType(
            name="Observation",
            queryset=_assessments,
            visible=lambda user, qs: visibility.visible_assessments(user, qs),
            may_list=_clinical,
            may_read=lambda user, assessment: outcome_access.can_view_outcomes(
                user, assessment.plan
            ),
            to_resource=fhir.observation_resource,
            parameters=[ID_PARAMETER, _patient_parameter("plan__patient"), BASED_ON_PARAMETER],
        ),
        ResourceType(
            name="Goal",
            queryset=_goals,
            visible=lambda user, qs: visibility.visible_goals(user, qs),
            may_list=_clinical,
            may_read=lambda user, goal: outcome_access.can_view_outcomes(user, goal.plan),
            to_resource=fhir.goal_resource,
            parameters=[ID_PARAMETER, _patient_parameter("plan__patient")],
        ),
    ]
}


def _resource_type(name: str) -> ResourceType:
    resource_type = RESOURCE_TYPES.get(name)
    if resource_type is None:
        raise exceptions.NotFound(f"This server does not offer {name} resources.")
    return resource_type


# --- Views ---------------------------------------------------------------------


@extend_schema(exclude=True)
class FhirView(APIView):
    renderer_classes = [FhirJsonRenderer]
    content_negotiation_class = AlwaysFhirJson
    parser_classes = []
    http_method_names = ["get", "head", "options"]

    def get_exception_handler(self):
        return fhir_exception_handler

    def fhir_response(self, resource: dict) -> Response:
        return Response(resource, content_type=FhirJsonRenderer.media_type)


class MetadataView(FhirView):
    """The CapabilityStatement: open to any client, as FHIR discovery expects."""

    permission_classes = [permissions.AllowAny]

    def get(self, request):
        params = {
            name: [(p.name, p.kind, p.documentation) for p in resource.parameters]
            for name, resource in RESOURCE_TYPES.items()
        }
        return self.fhir_response(fhir.capability_statement(fhir_base(request), params))


class ReadView(FhirView):
    def get(self, request, resource_type: str, resource_id: str):
        kind = _resource_type(resource_type)
        if not resource_id.isdigit():
            raise exceptions.NotFound(f"{resource_type}/{resource_id} is not known here.")
        instance = kind.queryset().filter(pk=int(resource_id)).first()
        if instance is None:
            raise exceptions.NotFound(f"{resource_type}/{resource_id} is not known here.")
        if not kind.may_read(request.user, instance):
            raise exceptions.PermissionDenied(f"You may not read {resource_type}/{resource_id}.")
        return self.fhir_response(kind.to_resource(instance, fhir_base(request)))


class SearchView(FhirView):
    def get(self, request, resource_type: str):
        kind = _resource_type(resource_type)
        if not kind.may_list(request.user):
            raise exceptions.PermissionDenied(f"You may not search {resource_type} resources.")
        base = fhir_base(request)
        known = {parameter.name: parameter for parameter in kind.parameters}
        queryset = kind.visible(request.user, kind.queryset())
        count = _page_parameter(request, "_count", DEFAULT_PAGE, maximum=MAX_PAGE)
        offset = _page_parameter(request, "_offset", 0)
        for name, values in request.query_params.lists():
            if name in IGNORED_PARAMETERS | PAGE_PARAMETERS:
                continue
            parameter = known.get(name)
            if parameter is None:
                offered = ", ".join(sorted(known)) or "none"
                raise SearchError(
                    f"{resource_type} cannot be searched by {name!r}; it is searched by {offered}."
                )
            for value in values:
                queryset = parameter.apply(queryset, value)
        total = queryset.count()
        page = queryset.order_by("pk")[offset : offset + count] if count else []
        resources = [kind.to_resource(instance, base) for instance in page]
        links = _page_links(request, total=total, count=count, offset=offset)
        return self.fhir_response(fhir.searchset(resources, base, total=total, links=links))


def _page_parameter(request, name: str, default: int, maximum: int | None = None) -> int:
    """A whole number of `_count` or `_offset`; a bad one is a 400, not a guess."""
    values = request.query_params.getlist(name)
    if not values:
        return default
    if len(values) > 1 or not values[0].isdigit():
        raise SearchError(f"{name} must be one whole number, not {', '.join(values)!r}.")
    value = int(values[0])
    return min(value, maximum) if maximum is not None else value


def _page_links(request, *, total: int, count: int, offset: int) -> list[dict]:
    """Bundle.link: self, and first, previous, next and last where they exist."""

    def url(page_offset: int) -> str:
        query = request.query_params.copy()
        query["_count"] = str(count)
        query["_offset"] = str(page_offset)
        return request.build_absolute_uri(f"{request.path}?{query.urlencode()}")

    links = [{"relation": "self", "url": url(offset)}]
    if not count:
        return links
    last = max((total - 1) // count * count, 0)
    links.append({"relation": "first", "url": url(0)})
    if offset > 0:
        links.append({"relation": "previous", "url": url(max(min(offset, total) - count, 0))})
    if offset + count < total:
        links.append({"relation": "next", "url": url(offset + count)})
    links.append({"relation": "last", "url": url(last)})
    return links
