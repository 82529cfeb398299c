"""Figures that several pages share: the mix timeline, allocated against delivered
therapy, and the clinic's weekly demand. Totals are computed by the database
(aggregates), never by a query per row.
"""

import datetime
from dataclasses import dataclass, field

from django.db.models import (
    BooleanField,
    Case,
    Count,
    DateField,
    Exists,
    ExpressionWrapper,
    F,
    FilteredRelation,
    Func,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce, Greatest, Least
from django.db.models.lookups import GreaterThan, LessThan
from django.utils import timezone

from plans.models import (
    Discipline,
    Mix,
    PlanStage,
    PlanStatusChange,
    RehabPlan,
    SessionAllocation,
    TherapySession,
)
from rehab.models import ROLE_OF_DISCIPLINE, User

DISCIPLINES = (Discipline.PT, Discipline.OT)
# Delivered under this share of allocated therapy needs the physician's look.
LOW_ADHERENCE_PERCENT = 75


def week_start(day: datetime.date) -> datetime.date:
    """The Monday of the week a day falls in."""
    return day - datetime.timedelta(days=day.weekday())


def percent(part: int, whole: int) -> int | None:
    return round(100 * part / whole) if whole else None


def count_of(queryset, group_by: str = "plan") -> Coalesce:
    """A correlated count for an annotation: `queryset` filters on an OuterRef, and
    its rows are counted in a subquery grouped by `group_by` (0 when none). Unlike
    Count() over a join it reads only the rows it counts, through their index."""
    counted = queryset.order_by().values(group_by).annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(counted), 0)


# --- The mix over a plan's stages -----------------------------------------


@dataclass(frozen=True)
class TimelineEntry:
    stage: PlanStage
    starts: datetime.date | None
    ends: datetime.date | None
    projected: bool  # dates are expected, not yet lived
    mix: Mix
    protocol_mix: Mix


def mix_timeline(plan: RehabPlan, today: datetime.date | None = None) -> list[TimelineEntry]:
    """Every stage of the plan with its dates (actual, or projected from typical
    durations) and its mix next to the protocol's. A running plan's current stage
    that has outlasted its typical weeks is expected to end today at the earliest,
    and the stages after it follow from there."""
    today = today or timezone.localdate()
    running = plan.status in (RehabPlan.Status.ACTIVE, RehabPlan.Status.ON_HOLD)
    entries = []
    cursor = None
    for stage in plan.stages.all():
        if stage.started_on:
            starts = stage.started_on
            if stage.status == PlanStage.Status.DONE:
                ends = stage.ended_on
            else:
                ends = max(stage.expected_end(), starts)
                if running and stage.status == PlanStage.Status.CURRENT:
                    ends = max(ends, today)
            projected = stage.status != PlanStage.Status.DONE
        else:
            starts = cursor
            ends = starts + datetime.timedelta(weeks=stage.typical_weeks) if starts else None
            projected = True
        cursor = ends or cursor
        entries.append(
            TimelineEntry(
                stage=stage,
                starts=starts,
                ends=ends,
                projected=projected,
                mix=stage.mix,
                protocol_mix=stage.protocol_mix,
            )
        )
    return entries


def plan_with_stages(queryset=None):
    """Plans with what their pages read, in a fixed number of queries."""
    queryset = queryset if queryset is not None else RehabPlan.objects.all()
    # Each joined table adds to PostgreSQL's planning time, more than the rows cost
    # to read: the protocol's condition, which no plan page shows, is not joined.
    return queryset.select_related(
        "patient", "diagnosis__condition", "protocol", "lead_physician"
    ).prefetch_related(
        Prefetch(
            "stages",
            queryset=PlanStage.objects.select_related("protocol_stage").prefetch_related(
                Prefetch(
                    "allocations", queryset=SessionAllocation.objects.select_related("therapist")
                )
            ),
        )
    )


# --- Allocated against delivered ------------------------------------------


@dataclass
class DisciplineWeek:
    discipline: str
    allocated_sessions: int = 0
    allocated_minutes: int = 0
    delivered_sessions: int = 0
    delivered_minutes: int = 0
    missed_sessions: int = 0

    @property
    def adherence_percent(self) -> int | None:
        """Delivered (attended) sessions as a share of allocated; None when none were due."""
        return percent(self.delivered_sessions, self.allocated_sessions)

    @property
    def label(self) -> str:
        return Discipline(self.discipline).label


@dataclass
class PlanWeek:
    week_start: datetime.date
    disciplines: dict[str, DisciplineWeek] = field(default_factory=dict)
    on_hold: bool = False  # on hold every day of the week it ran: nothing allocated

    @property
    def week_end(self) -> datetime.date:
        return self.week_start + datetime.timedelta(days=6)

    def __getitem__(self, discipline: str) -> DisciplineWeek:
        return self.disciplines[discipline]

    @property
    def total(self) -> DisciplineWeek:
        total = DisciplineWeek(discipline="")
        for figures in self.disciplines.values():
            total.allocated_sessions += figures.allocated_sessions
            total.allocated_minutes += figures.allocated_minutes
            total.delivered_sessions += figures.delivered_sessions
            total.delivered_minutes += figures.delivered_minutes
            total.missed_sessions += figures.missed_sessions
        return total


def _first_active_day(plan: RehabPlan, start: datetime.date) -> datetime.date | None:
    end = start + datetime.timedelta(days=6)
    first = max(start, plan.start_date)
    last = min(end, plan.end_date) if plan.end_date else end
    return first if first <= last else None


def _held_throughout(holds, first: datetime.date, last: datetime.date) -> bool:
    """On hold every day from `first` to `last` (`holds` from `RehabPlan.hold_periods`)."""
    return any(start <= first and (end is None or end > last) for start, end in holds)


def allocated_weeks(plan: RehabPlan, weeks: list[datetime.date]) -> list[PlanWeek]:
    """Allocated sessions and minutes per discipline, week by week, from the
    prefetched stages and status log: a week's allocation is the mix of the stage
    in force on the plan's first day in that week, and nothing when the plan was
    on hold every day of it that it ran."""
    holds = plan.hold_periods()
    result = []
    for start in weeks:
        week = PlanWeek(start, {d: DisciplineWeek(discipline=d) for d in DISCIPLINES})
        day = _first_active_day(plan, start)
        end = start + datetime.timedelta(days=6)
        last = min(end, plan.end_date) if plan.end_date else end
        week.on_hold = day is not None and _held_throughout(holds, day, last)
        stage = plan.stage_on(day) if day and not week.on_hold else None
        if stage is not None:
            for discipline in DISCIPLINES:
                sessions = stage.sessions_per_week(discipline)
                week[discipline].allocated_sessions = sessions
                week[discipline].allocated_minutes = sessions * stage.minutes_per_session(
                    discipline
                )
        result.append(week)
    return result


def plan_weeks(plan: RehabPlan, weeks: list[datetime.date]) -> list[PlanWeek]:
    """Allocated against delivered sessions and minutes per discipline, week by week.

    Allocated as `allocated_weeks`. Delivered means attended; missed counts
    absences and cancellations. One aggregate query whatever the number of weeks.
    """
    if not weeks:
        return []
    first, last = min(weeks), max(weeks) + datetime.timedelta(days=6)
    delivered = (
        TherapySession.objects.filter(plan=plan, date__range=(first, last))
        .values("date", "discipline")
        .annotate(
            attended=Count("pk", filter=Q(attendance=TherapySession.Attendance.ATTENDED)),
            minutes=Coalesce(
                Sum("duration_minutes", filter=Q(attendance=TherapySession.Attendance.ATTENDED)),
                0,
            ),
            missed=Count("pk", filter=~Q(attendance=TherapySession.Attendance.ATTENDED)),
        )
    )
    result = {week.week_start: week for week in allocated_weeks(plan, weeks)}
    for row in delivered:
        figures = result.get(week_start(row["date"]))
        if figures is None:
            continue
        entry = figures[row["discipline"]]
        entry.delivered_sessions += row["attended"]
        entry.delivered_minutes += row["minutes"]
        entry.missed_sessions += row["missed"]
    return [result[start] for start in weeks]


def plan_week(plan: RehabPlan, start: datetime.date) -> PlanWeek:
    """Allocated against delivered for one week (see `plan_weeks`)."""
    return plan_weeks(plan, [week_start(start)])[0]


def recent_weeks(
    today: datetime.date, count: int, since: datetime.date | None = None
) -> list[datetime.date]:
    """The Mondays of the last `count` weeks up to today's, oldest first; with
    `since`, none before the week of that day (a plan's start)."""
    this_week = week_start(today)
    weeks = [this_week - datetime.timedelta(weeks=n) for n in range(count - 1, -1, -1)]
    if since is not None:
        weeks = [week for week in weeks if week >= week_start(since)] or [this_week]
    return weeks


# --- The clinic's demand --------------------------------------------------


@dataclass
class DisciplineDemand:
    discipline: str
    sessions: int
    minutes: int
    plans: int
    unallocated_plans: int
    therapists: int

    @property
    def label(self) -> str:
        return Discipline(self.discipline).label

    @property
    def sessions_per_therapist(self) -> float | None:
        return round(self.sessions / self.therapists, 1) if self.therapists else None

    @property
    def hours_per_therapist(self) -> float | None:
        return round(self.minutes / 60 / self.therapists, 1) if self.therapists else None


def stages_in_force_on(day: datetime.date):
    """Plan stages in force on a day, of plans that were running that day (SQL)."""
    return PlanStage.objects.filter(
        Q(started_on__lte=day),
        Q(ended_on__isnull=True) | Q(ended_on__gt=day),
        Q(plan__start_date__lte=day),
        Q(plan__status=RehabPlan.Status.ACTIVE)
        | Q(
            plan__status__in=[RehabPlan.Status.COMPLETED, RehabPlan.Status.DISCONTINUED],
            plan__end_date__gt=day,
        ),
    )


def clinic_demand(week: datetime.date) -> dict[str, DisciplineDemand]:
    """PT and OT sessions and minutes allocated across running plans in a week,
    against the active therapists of each discipline. Two aggregate queries."""
    monday = week_start(week)
    rows = (
        SessionAllocation.objects.filter(
            plan_stage__in=stages_in_force_on(monday), sessions_per_week__gt=0
        )
        .values("discipline")
        .annotate(
            sessions=Sum("sessions_per_week"),
            minutes=Sum(F("sessions_per_week") * F("minutes_per_session")),
            plans=Count("plan_stage__plan", distinct=True),
            unallocated=Count("pk", filter=Q(therapist__isnull=True)),
        )
    )
    by_discipline = {row["discipline"]: row for row in rows}
    therapist_counts = dict(
        User.objects.filter(is_active=True, groups__name__in=ROLE_OF_DISCIPLINE.values())
        .values_list("groups__name")
        .annotate(n=Count("pk", distinct=True))
    )
    demand = {}
    for discipline in DISCIPLINES:
        row = by_discipline.get(discipline, {})
        demand[discipline] = DisciplineDemand(
            discipline=discipline,
            sessions=row.get("sessions") or 0,
            minutes=row.get("minutes") or 0,
            plans=row.get("plans") or 0,
            unallocated_plans=row.get("unallocated") or 0,
            therapists=therapist_counts.get(ROLE_OF_DISCIPLINE[discipline], 0),
        )
    return demand


# --- Plans that need a physician ------------------------------------------


class DaysBetween(Func):
    """Whole days from the first date to the second, as an integer, on PostgreSQL
    (date minus date) and SQLite (Julian day numbers). Cheaper to build, compile and
    plan than date arithmetic through durations."""

    arity = 2
    output_field = IntegerField()
    template = "(%(expressions)s)"
    arg_joiner = " - "

    def __init__(self, first, second):
        # PostgreSQL subtracts the earlier date from the later: second − first.
        super().__init__(second, first)

    def as_sqlite(self, compiler, connection, **extra_context):
        return self.as_sql(
            compiler,
            connection,
            template="CAST(julianday(%(expressions)s) AS INTEGER)",
            arg_joiner=") - julianday(",
            **extra_context,
        )


def past_typical_length(today: datetime.date, stage: str = ""):
    """SQL condition: a stage has run past its typical weeks on `today` (as
    `PlanStage.is_past_typical_duration`); `stage` is the path to it ("" for a
    PlanStage query itself, "current__" under `with_attention`)."""
    return GreaterThan(
        DaysBetween(F(f"{stage}started_on"), Value(today, output_field=DateField())),
        F(f"{stage}typical_weeks") * 7,
    )


def held_days(since: datetime.date, today: datetime.date):
    """For each plan (`OuterRef("pk")`), its days on hold from `since` to yesterday.

    Each hold counts its days from its start (or `since`) to today, and the change
    that ended it takes back the days from its own date: a hold and resume on one
    day counts none, one resumed this morning all the days it lasted. One summed
    correlated query on the status log, whatever the number of holds."""
    until_today = Greatest(
        DaysBetween(
            Greatest(F("effective_date"), Value(since), output_field=DateField()),
            Value(today, output_field=DateField()),
        ),
        0,
    )
    on_hold = RehabPlan.Status.ON_HOLD
    summed = (
        PlanStatusChange.objects.filter(plan=OuterRef("pk"))
        .order_by()
        .values("plan")
        .annotate(
            days=Sum(
                Case(
                    When(to_status=on_hold, then=until_today),
                    When(from_status=on_hold, then=-until_today),
                    default=0,
                    output_field=IntegerField(),
                )
            )
        )
        .values("days")
    )
    return Coalesce(Subquery(summed), 0)


def with_attention(queryset, today: datetime.date, days: int = 14):
    """Annotate plans, in SQL, with their current stage and why they may need a
    physician, so a page can filter, order and slice them before reading a row:

    - `overdue`: the current stage has run past its typical weeks;
    - `low_adherence`: attended sessions in the last `days` finished days (today's
      sessions may not have happened yet) are under 75% of those allocated by the
      current stage's mix over the days the plan ran, less its days on hold;
    - `needs_attention`: either.

    Also `current_stage_name`, `current_stage_started_on`, `current_stage_typical_weeks`,
    `recent_attended` and `recent_allocated`. The current stage is one join (a plan has
    at most one); the sessions are a correlated count on the plan-and-date index.
    """
    yesterday = today - datetime.timedelta(days=1)
    since = today - datetime.timedelta(days=days)
    attended = TherapySession.objects.filter(
        plan=OuterRef("pk"),
        date__range=(since, yesterday),
        attendance=TherapySession.Attendance.ATTENDED,
    )
    # Days the plan ran in the window: all of them, or since it started (none if
    # later), less the days it spent on hold in the window.
    days_running = Greatest(
        Least(DaysBetween(F("start_date"), Value(yesterday, output_field=DateField())) + 1, days)
        - held_days(since, today),
        0,
    )
    weekly = ExpressionWrapper(
        F("current__pt_sessions_per_week") + F("current__ot_sessions_per_week"),
        output_field=IntegerField(),
    )
    return (
        queryset.annotate(
            current=FilteredRelation(
                "stages", condition=Q(stages__status=PlanStage.Status.CURRENT)
            ),
        )
        .annotate(
            current_stage_name=F("current__name"),
            current_stage_started_on=F("current__started_on"),
            current_stage_typical_weeks=F("current__typical_weeks"),
            recent_attended=count_of(attended),
            # round(weekly sessions × days running / 7), in integers: never exactly .5 here.
            recent_allocated=Coalesce((2 * weekly * days_running + 7) / 14, 0),
        )
        .annotate(
            overdue=ExpressionWrapper(
                Q(past_typical_length(today, "current__")), output_field=BooleanField()
            ),
            low_adherence=ExpressionWrapper(
                Q(
                    GreaterThan(F("recent_allocated"), 0),
                    LessThan(
                        100 * F("recent_attended"),
                        LOW_ADHERENCE_PERCENT * F("recent_allocated"),
                    ),
                ),
                output_field=BooleanField(),
            ),
        )
    )


def needing_attention(queryset):
    """Plans annotated by `with_attention` that are overdue or under-delivered."""
    return queryset.filter(Q(overdue=True) | Q(low_adherence=True))


@dataclass
class AttentionFlags:
    overdue: bool
    low_adherence: bool
    recent_allocated: int
    recent_delivered: int

    @property
    def needs_attention(self) -> bool:
        return self.overdue or self.low_adherence

    @property
    def recent_percent(self) -> int | None:
        return percent(self.recent_delivered, self.recent_allocated)


def attention_flags(plan: RehabPlan) -> AttentionFlags:
    """Why a plan needs its physician: its stage has outrun its typical duration,
    or delivered therapy fell under 75% of allocated over the last two weeks.

    Reads the annotations of `with_attention`.
    """
    return AttentionFlags(
        overdue=bool(plan.overdue),
        low_adherence=bool(plan.low_adherence),
        recent_allocated=plan.recent_allocated,
        recent_delivered=plan.recent_attended,
    )


# --- Every active plan's week at once ---------------------------------------


# The stage fields of each discipline's sessions a week and minutes a session.
DOSE_FIELDS = {
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
    attended_here = Q(attendance=TherapySession.Attendance.ATTENDED)
    return sessions.filter(attended_here) if attended else sessions.exclude(attended_here)


def _minutes_of(sessions) -> Coalesce:
    summed = sessions.order_by().values("plan").annotate(m=Sum("duration_minutes")).values("m")
    return Coalesce(Subquery(summed), 0)


def active_plan_adherence(week: datetime.date) -> list[PlanAdherence]:
    """Allocated against delivered PT and OT for every active plan in the week of
    `week`, in one query: `plan_week`'s numbers for each plan, computed by the
    database. The allocation is the mix of the stage in force on the plan's first
    day in that week (none if the plan starts after it, ended before it, or was
    on hold every day of it);
    delivered means attended. The stage in force and the week's sessions are
    correlated subqueries on indexed columns, so the cost grows with the active
    plans, not with the years of history."""
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
    # On hold every day of the week it ran, as `allocated_weeks` has it: on hold on
    # its first day in the week (the latest change by then put it on hold) and no
    # change of status later that week.
    changes = PlanStatusChange.objects.filter(plan=OuterRef("pk"))
    status_on_first_day = Subquery(
        changes.filter(effective_date__lte=outer_first_day)
        .order_by("-effective_date", "-changed_at", "-pk")
        .values("to_status")[:1]
    )
    changed_later = Exists(
        changes.filter(effective_date__gt=outer_first_day, effective_date__lte=sunday)
    )
    held = Q(status_on_first_day=RehabPlan.Status.ON_HOLD, changed_later=False)
    annotations = {}
    for discipline, (sessions_field, minutes_field) in DOSE_FIELDS.items():
        key = discipline.lower()
        sessions = Coalesce(Subquery(in_force.values(sessions_field)[:1]), 0)
        minutes = Coalesce(
            Subquery(in_force.annotate(m=F(sessions_field) * F(minutes_field)).values("m")[:1]),
            0,
        )
        annotations[f"{key}_allocated"] = Case(
            When(not_running | held, then=0), default=sessions, output_field=IntegerField()
        )
        annotations[f"{key}_allocated_minutes"] = Case(
            When(not_running | held, then=0), default=minutes, output_field=IntegerField()
        )
        attended = _week_sessions(monday, sunday, discipline, attended=True)
        annotations[f"{key}_delivered"] = count_of(attended)
        annotations[f"{key}_delivered_minutes"] = _minutes_of(attended)
        annotations[f"{key}_missed"] = count_of(_week_sessions(monday, sunday, discipline, False))
    rows = (
        RehabPlan.objects.filter(status=RehabPlan.Status.ACTIVE)
        .order_by("pk")
        .alias(status_on_first_day=status_on_first_day, changed_later=changed_later)
        .annotate(**annotations)
        .values_list("pk", *annotations)
    )
    names = ["plan_id", *annotations]
    return [PlanAdherence(**dict(zip(names, row, strict=True))) for row in rows]
