"""Every active plan's adherence for one week, in one SQL query.

`plans.selectors.plan_week` answers for one plan (one query a plan); a clinic of
hundreds of active plans needs the same figures for all of them at once. This is
the set-based version, proposed for plans/selectors.py: it gives the same numbers
as `plan_week` for each plan (tests/test_query_counts.py checks that), computed by
the database — the stage in force and the week's sessions are correlated
subqueries on indexed columns, so the cost grows with the active plans, not with
the years of history.
"""

import datetime
from dataclasses import dataclass

from django.db.models import (
    Case,
    Count,
    DateField,
    F,
    IntegerField,
    OuterRef,
    Q,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce, Greatest, Least

from plans.models import PlanStage, RehabPlan, TherapySession
from plans.selectors import percent, week_start
from rehab.models import Discipline

ATTENDED = TherapySession.Attendance.ATTENDED
FIELDS = {
    Discipline.PT: ("pt_sessions_per_week", "pt_minutes_per_session"),
    Discipline.OT: ("ot_sessions_per_week", "ot_minutes_per_session"),
}


@dataclass(frozen=True)
class PlanAdherence:
    """One plan's week: sessions allocated against delivered, per discipline."""

    plan_id: int
    pt_allocated: int
    ot_allocated: int
    pt_allocated_minutes: int
    ot_allocated_minutes: int
    pt_delivered: int
    ot_delivered: int
    pt_delivered_minutes: int
    ot_delivered_minutes: int
    pt_missed: int
    ot_missed: int

    @property
    def allocated(self) -> int:
        return self.pt_allocated + self.ot_allocated

    @property
    def delivered(self) -> int:
        return self.pt_delivered + self.ot_delivered

    @property
    def adherence_percent(self) -> int | None:
        return percent(self.delivered, self.allocated)


def _week_sessions(monday: datetime.date, sunday: datetime.date, discipline: str, attended: bool):
    sessions = TherapySession.objects.filter(
        plan=OuterRef("pk"), date__range=(monday, sunday), discipline=discipline
    )
    sessions = (
        sessions.filter(attendance=ATTENDED) if attended else sessions.exclude(attendance=ATTENDED)
    )
    return sessions.order_by().values("plan")


def _count(queryset) -> Coalesce:
    return Coalesce(Subquery(queryset.annotate(n=Count("pk")).values("n")), 0)


def _minutes(queryset) -> Coalesce:
    return Coalesce(Subquery(queryset.annotate(m=Sum("duration_minutes")).values("m")), 0)


def active_plan_adherence(week: datetime.date) -> list[PlanAdherence]:
    """Allocated against delivered PT and OT for every active plan in the week of
    `week`, with the rules of `plans.selectors.plan_weeks`: the allocation is the
    mix of the stage in force on the plan's first day in that week (none if the
    plan starts after it or ended before it); delivered means attended."""
    monday = week_start(week)
    sunday = monday + datetime.timedelta(days=6)
    # The plan's first day in the week; a plan starting later has none.
    first_day = Greatest(Value(monday), F("start_date"), output_field=DateField())
    outer_first_day = Greatest(Value(monday), OuterRef("start_date"), output_field=DateField())
    in_force = PlanStage.objects.filter(
        plan=OuterRef("pk"),
        started_on__lte=Least(outer_first_day, Value(sunday), output_field=DateField()),
    ).order_by(F("started_on").desc(), F("entered_at").desc(nulls_first=True), F("order").desc())
    not_running = Q(start_date__gt=sunday) | Q(end_date__lt=first_day)
    annotations = {}
    for discipline, (sessions_field, minutes_field) in FIELDS.items():
        key = discipline.lower()
        sessions = Coalesce(Subquery(in_force.values(sessions_field)[:1]), 0)
        minutes = Coalesce(
            Subquery(in_force.annotate(m=F(sessions_field) * F(minutes_field)).values("m")[:1]),
            0,
        )
        annotations[f"{key}_allocated"] = Case(
            When(not_running, then=0), default=sessions, output_field=IntegerField()
        )
        annotations[f"{key}_allocated_minutes"] = Case(
            When(not_running, then=0), default=minutes, output_field=IntegerField()
        )
        attended = _week_sessions(monday, sunday, discipline, attended=True)
        annotations[f"{key}_delivered"] = _count(attended)
        annotations[f"{key}_delivered_minutes"] = _minutes(attended)
        annotations[f"{key}_missed"] = _count(_week_sessions(monday, sunday, discipline, False))
    rows = (
        RehabPlan.objects.filter(status=RehabPlan.Status.ACTIVE)
        .order_by("pk")
        .annotate(**annotations)
        .values_list("pk", *annotations)
    )
    names = ["plan_id", *annotations]
    return [PlanAdherence(**dict(zip(names, row, strict=True))) for row in rows]
