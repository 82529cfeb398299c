"""Reads of the timetable: the proposer's input from the database, week views and
adherence from appointments. Every list is fetched in a fixed number of queries."""

import datetime
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Count, Exists, OuterRef, Q
from django.utils import timezone
from django.utils.formats import date_format

from plans import selectors as plan_selectors
from plans.models import PlanStage, RehabPlan
from rehab.models import ROLE_OF_DISCIPLINE, Discipline, User, staff_with_role
from scheduling import proposer
from scheduling.models import (
    DEFAULT_DAY_END,
    DEFAULT_DAY_START,
    DEFAULT_WORKING_DAYS,
    Appointment,
    ClinicHoliday,
    Leave,
    PatientPreference,
    TimetableReview,
    WorkingHours,
    slot_minutes,
)

DISCIPLINES = (Discipline.PT, Discipline.OT)


def local_naive(moment: datetime.datetime) -> datetime.datetime:
    """An aware moment as the clinic's wall-clock time (what the proposer reads)."""
    return timezone.localtime(moment).replace(tzinfo=None)


def aware(moment: datetime.datetime) -> datetime.datetime:
    """The clinic's wall-clock time as an aware moment (what the database stores)."""
    return timezone.make_aware(moment)


def day_bounds(first: datetime.date, last: datetime.date) -> tuple:
    """Aware start of the first day and start of the day after the last."""
    return (
        aware(datetime.datetime.combine(first, datetime.time())),
        aware(datetime.datetime.combine(last + datetime.timedelta(days=1), datetime.time())),
    )


def starting_between(first: datetime.date, last: datetime.date) -> Q:
    start, end = day_bounds(first, last)
    return Q(start__gte=start, start__lt=end)


def holding_time():
    return Q(status__in=Appointment.HOLDS_TIME)


def working_hours_of(therapist_ids) -> dict[int, dict[int, tuple]]:
    """Each therapist's hours by weekday; the clinic's default for one with none recorded."""
    recorded = defaultdict(dict)
    for row in WorkingHours.objects.filter(therapist_id__in=therapist_ids):
        recorded[row.therapist_id][row.weekday] = (row.start, row.end)
    default = dict.fromkeys(DEFAULT_WORKING_DAYS, (DEFAULT_DAY_START, DEFAULT_DAY_END))
    return {pk: dict(recorded[pk]) if pk in recorded else dict(default) for pk in therapist_ids}


def holidays_between(first: datetime.date, last: datetime.date) -> dict[datetime.date, str]:
    return dict(ClinicHoliday.objects.filter(date__range=(first, last)).values_list("date", "name"))


def therapist_calendars(
    therapists, first: datetime.date, last: datetime.date, exclude_ids=()
) -> dict[int, proposer.TherapistCalendar]:
    """What the proposer needs to know of each therapist between two days (three queries)."""
    therapists = {t.pk: t for t in therapists}
    hours = working_hours_of(list(therapists))
    leave = defaultdict(list)
    for row in Leave.objects.filter(
        therapist_id__in=therapists, start_date__lte=last, end_date__gte=first
    ):
        leave[row.therapist_id].append((row.start_date, row.end_date))
    busy = defaultdict(list)
    start, end = day_bounds(first, last)
    for therapist_id, a_start, a_end in (
        Appointment.objects.filter(
            holding_time(), therapist_id__in=therapists, start__lt=end, end__gt=start
        )
        .exclude(pk__in=exclude_ids)
        .values_list("therapist_id", "start", "end")
    ):
        busy[therapist_id].append((local_naive(a_start), local_naive(a_end)))
    return {
        pk: proposer.TherapistCalendar(
            therapist_id=pk,
            name=therapist.display_name,
            hours=hours[pk],
            leave=tuple(leave[pk]),
            busy=tuple(busy[pk]),
        )
        for pk, therapist in therapists.items()
    }


def patient_busy(patient_id, first, last, exclude_ids=()) -> tuple:
    start, end = day_bounds(first, last)
    rows = (
        Appointment.objects.filter(
            holding_time(), plan__patient_id=patient_id, start__lt=end, end__gt=start
        )
        .exclude(pk__in=exclude_ids)
        .values_list("start", "end")
    )
    return tuple((local_naive(s), local_naive(e)) for s, e in rows)


def preference_of(patient_id) -> str:
    preference = PatientPreference.objects.filter(patient_id=patient_id).first()
    return preference.time_of_day if preference else PatientPreference.TimeOfDay.ANY


def needs_of(stage: PlanStage | None) -> tuple[proposer.DisciplineNeed, ...]:
    """A stage's PT and OT sessions a week, minutes and therapist, from its allocations."""
    if stage is None:
        return ()
    allocations = {a.discipline: a for a in stage.allocations.all()}
    needs = []
    for discipline in DISCIPLINES:
        allocation = allocations.get(discipline)
        sessions = (
            allocation.sessions_per_week if allocation else stage.sessions_per_week(discipline)
        )
        minutes = (
            allocation.minutes_per_session if allocation else stage.minutes_per_session(discipline)
        )
        needs.append(
            proposer.DisciplineNeed(
                discipline=discipline,
                sessions_per_week=sessions,
                minutes=minutes,
                therapist_id=allocation.therapist_id if allocation else None,
            )
        )
    return tuple(needs)


def allocated_therapists(stage: PlanStage | None) -> list[User]:
    if stage is None:
        return []
    return [a.therapist for a in stage.allocations.all() if a.therapist_id]


def proposal_request(
    plan: RehabPlan,
    *,
    first_day: datetime.date,
    weeks: int,
    now: datetime.datetime,
    replaceable=(),
) -> proposer.ProposalRequest:
    """The proposer's input for a plan's current stage.

    `replaceable` are the plan's future appointments that a re-proposal may keep
    or cancel: they leave the busy lists and become preferred slots instead.
    """
    stage = plan.current_stage
    last_day = proposer.week_start(first_day) + datetime.timedelta(weeks=weeks, days=-1)
    # A week under way counts what the plan already has in it, so read from its Monday.
    window_first = proposer.week_start(first_day)
    exclude = [a.pk for a in replaceable]
    plan_booked = (
        Appointment.objects.filter(
            holding_time(),
            starting_between(window_first, last_day),
            plan=plan,
        )
        .exclude(pk__in=exclude)
        .values_list("discipline", "start")
    )
    return proposer.ProposalRequest(
        first_day=first_day,
        weeks=weeks,
        needs=needs_of(stage),
        therapists=therapist_calendars(
            allocated_therapists(stage), window_first, last_day, exclude_ids=exclude
        ),
        holidays=frozenset(holidays_between(window_first, last_day)),
        patient_busy=patient_busy(plan.patient_id, window_first, last_day, exclude_ids=exclude),
        plan_booked=tuple((d, local_naive(s)) for d, s in plan_booked),
        preference=preference_of(plan.patient_id),
        slot_minutes=slot_minutes(),
        not_before=local_naive(now),
        preferred=tuple(
            proposer.ProposedAppointment(
                local_naive(a.start), local_naive(a.end), a.discipline, a.therapist_id
            )
            for a in replaceable
        ),
    )


# --- Week views --------------------------------------------------------------


def monday_of(value: str | None, today: datetime.date) -> datetime.date:
    """The Monday of the week asked for in the address (?week=2026-03-04), else this week."""
    try:
        day = datetime.date.fromisoformat(value) if value else today
    except ValueError:
        day = today
    return proposer.week_start(day)


@dataclass
class Day:
    date: datetime.date
    holiday: str = ""
    appointments: list = field(default_factory=list)
    off: bool = False  # the therapist does not work, or is on leave
    off_reason: str = ""

    @property
    def is_today(self) -> bool:
        return self.date == timezone.localdate()


def marking_review(appointments):
    """Each appointment with `plan_under_review`: its plan has a timetable review
    waiting (its mix, therapist or status moved), so a booked one may yet move or go."""
    open_review = TimetableReview.objects.waiting().filter(plan=OuterRef("plan_id"))
    return appointments.annotate(plan_under_review=Exists(open_review))


def appointments_between(first: datetime.date, last: datetime.date):
    """Appointments starting in these days, marking those under review."""
    return marking_review(
        Appointment.objects.filter(starting_between(first, last)).select_related(
            "plan__patient", "therapist", "therapy_session"
        )
    )


def any_under_review(appointments) -> bool:
    """Whether a booked one of these (from appointments_between) may yet move or go,
    so the page explains its "Under review" marks."""
    return any(a.plan_under_review and a.is_booked for a in appointments)


def week_days(monday: datetime.date, appointments) -> list[Day]:
    holidays = holidays_between(monday, monday + datetime.timedelta(days=6))
    days = {
        monday + datetime.timedelta(days=n): Day(
            date=monday + datetime.timedelta(days=n),
            holiday=holidays.get(monday + datetime.timedelta(days=n), ""),
        )
        for n in range(7)
    }
    for appointment in appointments:
        days[appointment.local_start.date()].appointments.append(appointment)
    return list(days.values())


def therapist_week(therapist: User, monday: datetime.date) -> list[Day]:
    sunday = monday + datetime.timedelta(days=6)
    days = week_days(
        monday, appointments_between(monday, sunday).filter(therapist=therapist).order_by("start")
    )
    hours = working_hours_of([therapist.pk])[therapist.pk]
    leave = list(
        Leave.objects.filter(therapist=therapist, start_date__lte=sunday, end_date__gte=monday)
    )
    mark_days_off(days, hours, leave)
    return days


def mark_days_off(days: list[Day], hours: dict[int, tuple], leave: list[Leave]) -> None:
    """Each day of one therapist's week: on leave, a day off, or their hours."""
    for day in days:
        on_leave = next((r for r in leave if r.start_date <= day.date <= r.end_date), None)
        if on_leave:
            day.off, day.off_reason = (
                True,
                f"On leave{': ' + on_leave.reason if on_leave.reason else ''}",
            )
        elif day.date.weekday() not in hours:
            day.off, day.off_reason = True, "Day off"
        else:
            start, end = hours[day.date.weekday()]
            day.off_reason = f"{start:%H:%M}–{end:%H:%M}"


def patient_week(patient, monday: datetime.date) -> list[Day]:
    sunday = monday + datetime.timedelta(days=6)
    return week_days(
        monday,
        appointments_between(monday, sunday).filter(plan__patient=patient).order_by("start"),
    )


@dataclass
class ClinicColumn:
    therapist: User
    days: list[Day]


def clinic_week(monday: datetime.date, discipline: str) -> list[ClinicColumn]:
    """Every active therapist of a discipline with their week, their leave and days
    off (five queries in all)."""
    from rehab.models import ROLE_OF_DISCIPLINE

    therapists = list(
        User.objects.filter(is_active=True, groups__name=ROLE_OF_DISCIPLINE[discipline])
        .order_by("first_name", "last_name")
        .distinct()
    )
    sunday = monday + datetime.timedelta(days=6)
    by_therapist = defaultdict(list)
    for appointment in (
        appointments_between(monday, sunday)
        .filter(therapist__in=therapists, discipline=discipline)
        .exclude(status__in=Appointment.CANCELLED)
        .order_by("start")
    ):
        by_therapist[appointment.therapist_id].append(appointment)
    holidays = holidays_between(monday, sunday)
    hours = working_hours_of([therapist.pk for therapist in therapists])
    leave = defaultdict(list)
    for days_away in Leave.objects.filter(
        therapist__in=therapists, start_date__lte=sunday, end_date__gte=monday
    ):
        leave[days_away.therapist_id].append(days_away)
    columns = []
    for therapist in therapists:
        days = {
            monday + datetime.timedelta(days=n): Day(
                date=monday + datetime.timedelta(days=n),
                holiday=holidays.get(monday + datetime.timedelta(days=n), ""),
            )
            for n in range(7)
        }
        for appointment in by_therapist[therapist.pk]:
            days[appointment.local_start.date()].appointments.append(appointment)
        mark_days_off(list(days.values()), hours[therapist.pk], leave[therapist.pk])
        columns.append(ClinicColumn(therapist=therapist, days=list(days.values())))
    return columns


# --- Adherence from the timetable ----------------------------------------------


@dataclass
class TimetableFigures:
    discipline: str
    allocated: int = 0
    booked: int = 0  # appointments not cancelled (booked, attended or missed)
    attended: int = 0
    absent: int = 0
    cancelled_by_clinic: int = 0
    cancelled_by_patient: int = 0
    reasons: list[str] = field(default_factory=list)

    @property
    def attended_percent(self) -> int | None:
        return plan_selectors.percent(self.attended, self.allocated)


@dataclass
class TimetableWeek:
    week_start: datetime.date
    disciplines: dict[str, TimetableFigures]

    @property
    def pt(self) -> TimetableFigures:
        return self.disciplines[Discipline.PT]

    @property
    def ot(self) -> TimetableFigures:
        return self.disciplines[Discipline.OT]


def timetable_weeks(
    plan: RehabPlan, weeks: list[datetime.date], appointments: list[Appointment]
) -> list[TimetableWeek]:
    """Allocated (the stage's mix, from the prefetched stages), booked and attended
    per week and discipline, with absences and cancellations and their reasons,
    from the plan's `appointments` in time order (`appointments_from` the first
    week): no query of its own."""
    if not weeks:
        return []
    allocated = {
        week.week_start: week for week in plan_selectors.allocated_weeks(plan, sorted(weeks))
    }
    rows = [(a.discipline, a.start, a.status, a.cancellation_reason) for a in appointments]
    result = {}
    for monday in weeks:
        figures = {}
        for discipline in DISCIPLINES:
            figures[discipline] = TimetableFigures(
                discipline=discipline,
                allocated=allocated[monday][discipline].allocated_sessions,
            )
        result[monday] = TimetableWeek(monday, figures)
    Status = Appointment.Status
    for discipline, start, status, reason in rows:
        local = timezone.localtime(start)
        week = result.get(proposer.week_start(local.date()))
        if week is None:
            continue
        figures = week.disciplines[discipline]
        if status not in Appointment.CANCELLED:
            figures.booked += 1
        if status == Status.ATTENDED:
            figures.attended += 1
        elif status == Status.PATIENT_ABSENT:
            figures.absent += 1
        elif status == Status.CANCELLED_BY_CLINIC:
            figures.cancelled_by_clinic += 1
        elif status == Status.CANCELLED_BY_PATIENT:
            figures.cancelled_by_patient += 1
        if status not in (Status.BOOKED, Status.ATTENDED):
            label = Status(status).label
            figures.reasons.append(
                f"{date_format(local, 'D j M')}: {label}" + (f" — {reason}" if reason else "")
            )
    return [result[monday] for monday in weeks]


UPCOMING_SHOWN = 6


def appointments_from(plan: RehabPlan, first: datetime.date):
    """The plan's appointments from a day on, in time order, with their therapist."""
    start, _ = day_bounds(first, first)
    return (
        Appointment.objects.filter(plan=plan, start__gte=start)
        .select_related("therapist")
        .order_by("start")
    )


def plan_has_timetable(plan: RehabPlan) -> bool:
    return Appointment.objects.filter(plan=plan).exists()


def week_counts(plan_ids, monday):
    """Booked appointments per plan and discipline in a week (one aggregate query)."""
    sunday = monday + datetime.timedelta(days=6)
    return (
        Appointment.objects.filter(starting_between(monday, sunday), plan_id__in=plan_ids)
        .exclude(status__in=Appointment.CANCELLED)
        .values("plan_id", "discipline")
        .annotate(n=Count("pk"))
    )


# --- The clinic calendar ---------------------------------------------------------------


def therapists_queryset():
    """Active physiotherapists and occupational therapists, by name, with their roles."""
    return staff_with_role(*ROLE_OF_DISCIPLINE.values()).prefetch_related("groups")


@dataclass
class ClinicCalendar:
    holidays: list[ClinicHoliday]
    leave: list[Leave]
    therapists: list[User]
    hours: dict[int, dict[int, tuple]]  # therapist id -> weekday -> (start, end)
    recorded_hours: set[int]  # therapists with their own hours (the others: the default)
    clashes: list[Appointment]  # booked ahead, on a holiday, in leave or outside the hours


def booked_on_holiday(holiday: ClinicHoliday):
    """Appointments still booked on the holiday, with any therapist."""
    return Appointment.objects.filter(
        starting_between(holiday.date, holiday.date), status=Appointment.Status.BOOKED
    )


def booked_in_leave(leave: Leave):
    """The therapist's appointments still booked in their leave."""
    return Appointment.objects.filter(
        starting_between(leave.start_date, leave.end_date),
        therapist_id=leave.therapist_id,
        status=Appointment.Status.BOOKED,
    )


def outside_working_hours(appointment: Appointment, week: dict[int, tuple]) -> bool:
    """Whether an appointment falls on the therapist's day off or outside their hours."""
    start, end = appointment.local_start, timezone.localtime(appointment.end)
    hours = week.get(start.weekday())
    return hours is None or start.time() < hours[0] or end.time() > hours[1]


def booked_outside_hours(therapist: User, now: datetime.datetime) -> list[Appointment]:
    """The therapist's appointments booked ahead that their working week no longer holds."""
    week = working_hours_of([therapist.pk])[therapist.pk]
    booked = Appointment.objects.filter(
        therapist=therapist, status=Appointment.Status.BOOKED, start__gte=now
    )
    return [appointment for appointment in booked if outside_working_hours(appointment, week)]


def _off_the_calendar(appointment, holidays, leave, hours) -> bool:
    day = appointment.local_start.date()
    return (
        any(holiday.date == day for holiday in holidays)
        or any(
            days.therapist_id == appointment.therapist_id
            and days.start_date <= day <= days.end_date
            for days in leave
        )
        or outside_working_hours(appointment, hours.get(appointment.therapist_id, {}))
    )


def clinic_calendar(today: datetime.date, now: datetime.datetime) -> ClinicCalendar:
    """Holidays and leave from today on, each therapist's week, and the booked
    appointments that now fall on a holiday, in leave or outside the therapist's
    working week (six queries)."""
    holidays = list(ClinicHoliday.objects.filter(date__gte=today))
    leave = list(Leave.objects.filter(end_date__gte=today).select_related("therapist"))
    therapists = list(therapists_queryset())
    ids = [therapist.pk for therapist in therapists]
    recorded = set(
        WorkingHours.objects.filter(therapist_id__in=ids).values_list("therapist_id", flat=True)
    )
    hours = working_hours_of(ids)
    away = Q(pk__in=[])
    for holiday in holidays:
        away |= starting_between(holiday.date, holiday.date)
    for days in leave:
        away |= Q(therapist_id=days.therapist_id) & starting_between(days.start_date, days.end_date)
    # Therapists with their own week: their booked appointments are checked against it.
    away |= Q(therapist_id__in=recorded)
    clashes = [
        appointment
        for appointment in Appointment.objects.filter(
            away, status=Appointment.Status.BOOKED, start__gte=now
        )
        .select_related("plan__patient", "therapist")
        .order_by("start")
        if _off_the_calendar(appointment, holidays, leave, hours)
    ]
    return ClinicCalendar(
        holidays=holidays,
        leave=leave,
        therapists=therapists,
        hours=hours,
        recorded_hours=recorded,
        clashes=clashes,
    )
