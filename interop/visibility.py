"""Which rows a user may list: the querysets behind plans.access.

plans.access answers for one object (`can_view_plan(user, plan)`); a list needs
the same rule as a filter. Each function here states the same rule as its
helper, and tests/test_api_access.py checks they agree object by object.
"""

from django.db.models import Exists, OuterRef, QuerySet

from outcomes.models import Assessment, Goal
from patients.models import Patient
from plans import access
from plans.models import Protocol, RehabPlan, SessionAllocation, TherapySession


def _allocated_plans(user):
    """Plans with an allocation to this therapist in their own discipline (access.is_allocated)."""
    return SessionAllocation.objects.filter(
        plan_stage__plan=OuterRef("pk"), therapist=user, discipline=user.discipline
    )


def visible_plans(user, queryset: QuerySet | None = None) -> QuerySet:
    """access.can_view_plan as a filter: physicians every plan, therapists their own."""
    queryset = queryset if queryset is not None else RehabPlan.objects.all()
    if access.is_physician(user):
        return queryset
    if user.discipline is None:
        return queryset.none()
    return queryset.filter(Exists(_allocated_plans(user)))


def visible_patients(user, queryset: QuerySet | None = None) -> QuerySet:
    """access.can_view_patient as a filter: front desk and physicians every patient,
    a therapist those with a plan they are allocated to (any discipline row)."""
    queryset = queryset if queryset is not None else Patient.objects.all()
    if access.can_manage_patients(user):
        return queryset
    if user.discipline is None:
        return queryset.none()
    return queryset.filter(
        Exists(
            SessionAllocation.objects.filter(
                plan_stage__plan__patient=OuterRef("pk"), therapist=user
            )
        )
    )


def visible_sessions(user, queryset: QuerySet | None = None) -> QuerySet:
    """Sessions of the plans the user may read (their notes are clinical)."""
    queryset = queryset if queryset is not None else TherapySession.objects.all()
    if access.is_physician(user):
        return queryset
    return queryset.filter(plan__in=visible_plans(user).values("pk"))


def visible_protocols(user, queryset: QuerySet | None = None) -> QuerySet:
    """Clinical staff read protocols; drafts are a physician's work in progress."""
    queryset = queryset if queryset is not None else Protocol.objects.all()
    if not access.can_view_protocols(user):
        return queryset.none()
    if access.can_author_protocols(user):
        return queryset
    return queryset.exclude(status=Protocol.Status.DRAFT)


def can_read_protocol(user, protocol: Protocol) -> bool:
    """The protocol pages' rule (plans.protocol_views._readable_protocol)."""
    if not access.can_view_protocols(user):
        return False
    return protocol.status != Protocol.Status.DRAFT or access.can_author_protocols(user)


def visible_assessments(user, queryset: QuerySet | None = None) -> QuerySet:
    """outcomes.access.can_view_outcomes as a filter: the plan's team reads its assessments."""
    queryset = queryset if queryset is not None else Assessment.objects.all()
    if access.is_physician(user):
        return queryset
    return queryset.filter(plan__in=visible_plans(user).values("pk"))


def visible_goals(user, queryset: QuerySet | None = None) -> QuerySet:
    """The plan's team reads its goals, as on the plan's page."""
    queryset = queryset if queryset is not None else Goal.objects.all()
    if access.is_physician(user):
        return queryset
    return queryset.filter(plan__in=visible_plans(user).values("pk"))
