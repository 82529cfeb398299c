"""Query-string filters of the API lists (django-filter).

Date ranges are `<field>_after` and `<field>_before`, inclusive, e.g.
`/api/v1/sessions/?date_after=2025-01-06&date_before=2025-01-12`; `?date=` is one
day. Each bound is its own filter, so a bad one is refused under its own name
(django-filter's range filter names both `date`).
"""

import django_filters
from django.db.models import Exists, OuterRef

from outcomes.models import Assessment, Goal
from patients.models import Condition, Patient
from plans.models import Protocol, RehabPlan, SessionAllocation, TherapySession
from rehab.models import Discipline


def date_range(field: str) -> tuple[django_filters.DateFilter, django_filters.DateFilter]:
    """`<field>_after` and `<field>_before`, both inclusive."""
    return (
        django_filters.DateFilter(
            field_name=field, lookup_expr="gte", label=f"{field} on or after (YYYY-MM-DD)."
        ),
        django_filters.DateFilter(
            field_name=field, lookup_expr="lte", label=f"{field} on or before (YYYY-MM-DD)."
        ),
    )


def discipline_filter(**kwargs) -> django_filters.ChoiceFilter:
    """PT or OT; any other value is refused saying which two there are."""
    return django_filters.ChoiceFilter(
        choices=Discipline.choices,
        error_messages={"invalid_choice": "Choose PT or OT (in capitals), not %(value)s."},
        **kwargs,
    )


class ConditionFilter(django_filters.FilterSet):
    name = django_filters.CharFilter(lookup_expr="icontains")

    class Meta:
        model = Condition
        fields = ["category", "icd10_code", "name"]


class PatientFilter(django_filters.FilterSet):
    name = django_filters.CharFilter(field_name="full_name", lookup_expr="icontains")
    condition = django_filters.ModelChoiceFilter(
        field_name="diagnoses__condition", queryset=Condition.objects.all(), distinct=True
    )

    class Meta:
        model = Patient
        fields = ["record_number", "is_active", "name", "condition"]


class ProtocolFilter(django_filters.FilterSet):
    name = django_filters.CharFilter(lookup_expr="icontains")

    class Meta:
        model = Protocol
        fields = ["condition", "status", "name", "version"]


class PlanFilter(django_filters.FilterSet):
    therapist = django_filters.NumberFilter(
        method="filter_therapist", label="Plans with this therapist allocated to any stage."
    )
    discipline = discipline_filter(
        method="filter_discipline",
        label="Plans whose current stage has sessions of this discipline.",
    )
    start_date_after, start_date_before = date_range("start_date")

    class Meta:
        model = RehabPlan
        fields = ["patient", "status", "protocol", "lead_physician", "diagnosis__condition"]

    def filter_therapist(self, queryset, name, value):
        return queryset.filter(
            Exists(
                SessionAllocation.objects.filter(
                    plan_stage__plan=OuterRef("pk"), therapist_id=value
                )
            )
        )

    def filter_discipline(self, queryset, name, value):
        return queryset.filter(
            Exists(
                SessionAllocation.objects.filter(
                    plan_stage__plan=OuterRef("pk"),
                    plan_stage__status="current",
                    discipline=value,
                    sessions_per_week__gt=0,
                )
            )
        )


class TherapySessionFilter(django_filters.FilterSet):
    patient = django_filters.NumberFilter(field_name="plan__patient")
    discipline = discipline_filter()
    date_after, date_before = date_range("date")
    status = django_filters.ChoiceFilter(
        field_name="attendance",
        choices=TherapySession.Attendance.choices,
        label="Attendance: attended, patient_absent or cancelled_by_clinic.",
    )

    class Meta:
        model = TherapySession
        fields = ["patient", "plan", "therapist", "discipline", "attendance", "date", "status"]


class AssessmentFilter(django_filters.FilterSet):
    patient = django_filters.NumberFilter(field_name="plan__patient")
    measure = django_filters.CharFilter(label="The measure's key, e.g. berg.")
    date_after, date_before = date_range("date")

    class Meta:
        model = Assessment
        fields = ["patient", "plan", "measure", "assessor", "date"]


class GoalFilter(django_filters.FilterSet):
    patient = django_filters.NumberFilter(field_name="plan__patient")
    discipline = discipline_filter()
    target_date_after, target_date_before = date_range("target_date")

    class Meta:
        model = Goal
        fields = ["patient", "plan", "status", "discipline", "family", "target_date"]
