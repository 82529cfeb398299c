"""Propose a plan's appointments for the coming weeks from its stage's PT/OT mix.

A pure function over plain data (no database, no clock), so it is tested on
hand-built clinics and on random ones. Times are the clinic's local wall-clock
times, as naive datetimes.

The rules, in the order they are applied:
- each calendar week gets the stage's sessions a week of each discipline, less
  what this plan already has booked that week; a week that starts before the
  first day is pro-rated to the working days left in it;
- an appointment lies inside its therapist's working hours, on a day that is
  neither a clinic holiday nor the therapist's leave, and starts on the clinic's
  slot step (15 minutes unless the clinic chooses another);
- it never overlaps another appointment of the therapist or of the patient (so
  PT and OT for one patient never overlap);
- one discipline gets at most one appointment a day, unless its sessions that
  week outnumber the days its therapist can see the patient;
- sessions are spread over the week, and the patient's preferred time of day
  is tried first.
Whatever cannot be placed comes back with the reason, for the person booking.
"""

import datetime
import math
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

Interval = tuple[datetime.datetime, datetime.datetime]

MORNING, AFTERNOON, ANY_TIME = "morning", "afternoon", "any"
# Morning appointments start before this time; afternoon ones at or after it.
AFTERNOON_STARTS = datetime.time(13)


@dataclass(frozen=True)
class TherapistCalendar:
    therapist_id: int
    name: str
    # Weekday (Monday 0) -> the hours worked that day; a missing weekday is a day off.
    hours: Mapping[int, tuple[datetime.time, datetime.time]]
    leave: tuple[tuple[datetime.date, datetime.date], ...] = ()
    # The therapist's appointments already in the calendar (with every patient).
    busy: tuple[Interval, ...] = ()

    def on_leave(self, day: datetime.date) -> bool:
        return any(first <= day <= last for first, last in self.leave)

    def works_on(self, day: datetime.date) -> bool:
        return day.weekday() in self.hours


@dataclass(frozen=True)
class DisciplineNeed:
    discipline: str  # "PT" or "OT"
    sessions_per_week: int
    minutes: int
    therapist_id: int | None  # None: nobody allocated yet


@dataclass(frozen=True)
class ProposalRequest:
    first_day: datetime.date
    weeks: int
    needs: tuple[DisciplineNeed, ...]
    therapists: Mapping[int, TherapistCalendar]
    holidays: frozenset[datetime.date] = frozenset()
    # The patient's appointments already in the calendar (any plan, any discipline).
    patient_busy: tuple[Interval, ...] = ()
    # This plan's own appointments that already count towards their week:
    # (discipline, start) of each booked or delivered one.
    plan_booked: tuple[tuple[str, datetime.datetime], ...] = ()
    preference: str = ANY_TIME
    slot_minutes: int = 15
    # Nothing is proposed to start before this moment (now, when booking for real).
    not_before: datetime.datetime | None = None
    # Slots to keep when they still fit (the future appointments of a plan whose
    # mix moved), so a re-proposal changes as little as it can.
    preferred: tuple["ProposedAppointment", ...] = ()


@dataclass(frozen=True, order=True)
class ProposedAppointment:
    start: datetime.datetime
    end: datetime.datetime
    discipline: str
    therapist_id: int

    @property
    def minutes(self) -> int:
        return int((self.end - self.start).total_seconds() // 60)


@dataclass(frozen=True)
class Unplaced:
    discipline: str
    week_start: datetime.date
    count: int
    reason: str


@dataclass
class Proposal:
    appointments: list[ProposedAppointment] = field(default_factory=list)
    unplaced: list[Unplaced] = field(default_factory=list)
    # Per week of the proposal (Monday): the plan's appointments already in the
    # calendar that count towards it, by discipline; weeks with none are left out.
    already_booked: dict[datetime.date, dict[str, int]] = field(default_factory=dict)

    def count(self, discipline: str, week_start: datetime.date) -> int:
        week_end = week_start + datetime.timedelta(days=7)
        return sum(
            1
            for a in self.appointments
            if a.discipline == discipline and week_start <= a.start.date() < week_end
        )

    @property
    def unplaced_total(self) -> int:
        return sum(item.count for item in self.unplaced)


def week_start(day: datetime.date) -> datetime.date:
    return day - datetime.timedelta(days=day.weekday())


def overlaps(start: datetime.datetime, end: datetime.datetime, busy: Iterable[Interval]) -> bool:
    return any(start < other_end and other_start < end for other_start, other_end in busy)


def day_label(day: datetime.date) -> str:
    return f"{day:%A} {day.day} {day:%b}"


def join_or(words: list[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " or " + words[-1]


def candidate_starts(
    day: datetime.date,
    hours: tuple[datetime.time, datetime.time],
    minutes: int,
    step: int,
    not_before: datetime.datetime | None,
    preference: str,
) -> list[datetime.datetime]:
    """Every start on the slot step that fits the working day, preferred times first."""
    opens = datetime.datetime.combine(day, hours[0])
    closes = datetime.datetime.combine(day, hours[1])
    midnight = datetime.datetime.combine(day, datetime.time())
    offset = math.ceil((opens - midnight).total_seconds() / 60 / step) * step
    start = midnight + datetime.timedelta(minutes=offset)
    length = datetime.timedelta(minutes=minutes)
    starts = []
    while start + length <= closes:
        if not_before is None or start >= not_before:
            starts.append(start)
        start += datetime.timedelta(minutes=step)
    if preference == MORNING:
        starts.sort(key=lambda s: (s.time() >= AFTERNOON_STARTS, s))
    elif preference == AFTERNOON:
        starts.sort(key=lambda s: (s.time() < AFTERNOON_STARTS, s))
    return starts


class _Planner:
    """The running state of one proposal: who is busy when, and what is placed."""

    def __init__(self, request: ProposalRequest):
        self.request = request
        self.therapist_busy: dict[int, list[Interval]] = {
            pk: list(calendar.busy) for pk, calendar in request.therapists.items()
        }
        self.patient_busy: list[Interval] = list(request.patient_busy)
        self.placed: list[ProposedAppointment] = []
        self.unplaced: list[Unplaced] = []
        # (discipline, day) -> appointments of this plan that day, booked or proposed.
        self.per_day: dict[tuple[str, datetime.date], int] = defaultdict(int)
        self.per_week: dict[tuple[str, datetime.date], int] = defaultdict(int)
        first = self.first_open_day()
        for discipline, start in request.plan_booked:
            self.per_day[discipline, start.date()] += 1
            # A week under way is pro-rated to its days left, so only those count.
            if start.date() >= first:
                self.per_week[discipline, week_start(start.date())] += 1
        self.preferred: list[ProposedAppointment] = sorted(request.preferred)

    def first_open_day(self) -> datetime.date:
        first = self.request.first_day
        if self.request.not_before is not None:
            first = max(first, self.request.not_before.date())
        return first

    def open_days(self, monday: datetime.date) -> list[datetime.date]:
        first = self.first_open_day()
        return [
            day for day in (monday + datetime.timedelta(days=n) for n in range(7)) if day >= first
        ]

    def target(self, need: DisciplineNeed, calendar: TherapistCalendar, monday) -> int:
        """Sessions still to place this week: pro-rated in a week already under way."""
        week = [monday + datetime.timedelta(days=n) for n in range(7)]
        working = [day for day in week if calendar.works_on(day)]
        left = [day for day in self.open_days(monday) if calendar.works_on(day)]
        wanted = need.sessions_per_week
        if working and len(left) < len(working):
            wanted = math.ceil(wanted * len(left) / len(working))
        return max(wanted - self.per_week[need.discipline, monday], 0)

    def usable_days(self, calendar: TherapistCalendar, monday) -> list[datetime.date]:
        return [
            day
            for day in self.open_days(monday)
            if calendar.works_on(day)
            and day not in self.request.holidays
            and not calendar.on_leave(day)
        ]

    def _book(self, appointment: ProposedAppointment) -> None:
        self.placed.append(appointment)
        self.therapist_busy[appointment.therapist_id].append((appointment.start, appointment.end))
        self.patient_busy.append((appointment.start, appointment.end))
        day = appointment.start.date()
        self.per_day[appointment.discipline, day] += 1
        self.per_week[appointment.discipline, week_start(day)] += 1

    def try_preferred(self, need, calendar, days, cap) -> bool:
        """Keep one of the plan's own slots of this week if it still fits every rule."""
        for slot in self.preferred:
            day = slot.start.date()
            hours = calendar.hours.get(day.weekday())
            if (
                slot.discipline != need.discipline
                or slot.therapist_id != calendar.therapist_id
                or slot.minutes != need.minutes
                or day not in days
                or self.per_day[need.discipline, day] >= cap
                or hours is None
                or slot.start < datetime.datetime.combine(day, hours[0])
                or slot.end > datetime.datetime.combine(day, hours[1])
                or (self.request.not_before is not None and slot.start < self.request.not_before)
                or overlaps(slot.start, slot.end, self.therapist_busy[calendar.therapist_id])
                or overlaps(slot.start, slot.end, self.patient_busy)
            ):
                continue
            self.preferred.remove(slot)
            self._book(slot)
            return True
        return False

    def try_day(self, need: DisciplineNeed, calendar: TherapistCalendar, day) -> tuple[bool, bool]:
        """Place one appointment on a day. Returns (placed, therapist had time)."""
        therapist_busy = self.therapist_busy[calendar.therapist_id]
        length = datetime.timedelta(minutes=need.minutes)
        therapist_had_time = False
        for start in candidate_starts(
            day,
            calendar.hours[day.weekday()],
            need.minutes,
            self.request.slot_minutes,
            self.request.not_before,
            self.request.preference,
        ):
            end = start + length
            if overlaps(start, end, therapist_busy):
                continue
            therapist_had_time = True
            if overlaps(start, end, self.patient_busy):
                continue
            self._book(ProposedAppointment(start, end, need.discipline, calendar.therapist_id))
            return True, True
        return False, therapist_had_time

    def place_week(self, need: DisciplineNeed, monday: datetime.date) -> None:
        if need.sessions_per_week <= 0:
            return
        if need.therapist_id is None or need.therapist_id not in self.request.therapists:
            self.unplaced.append(
                Unplaced(
                    need.discipline,
                    monday,
                    need.sessions_per_week - self.per_week[need.discipline, monday],
                    f"No {need.discipline} therapist is allocated to this plan yet.",
                )
            )
            return
        calendar = self.request.therapists[need.therapist_id]
        wanted = self.target(need, calendar, monday)
        if wanted <= 0:
            return
        days = self.usable_days(calendar, monday)
        if not days:
            self.unplaced.append(
                Unplaced(
                    need.discipline,
                    monday,
                    wanted,
                    f"{calendar.name} ({need.discipline}) has no working day left in the week "
                    f"of {day_label(monday)}: leave, clinic holidays or days off.",
                )
            )
            return
        already = sum(self.per_day[need.discipline, day] for day in days)
        # Two of one discipline on a day only when the week needs more than the days.
        cap = math.ceil((wanted + already) / len(days))
        for number in range(wanted):
            if self.try_preferred(need, calendar, days, cap):
                continue
            ideal = number * len(days) / wanted
            order = sorted(
                range(len(days)),
                key=lambda i: (self.per_day[need.discipline, days[i]], abs(i - ideal), i),
            )
            tried, therapist_had_time = [], False
            placed = False
            for index in order:
                day = days[index]
                if self.per_day[need.discipline, day] >= cap:
                    continue
                placed, had_time = self.try_day(need, calendar, day)
                if placed:
                    break
                tried.append(day)
                therapist_had_time = therapist_had_time or had_time
            if not placed:
                self._could_not_place(
                    need, calendar, monday, wanted - number, tried, therapist_had_time
                )
                return

    def _could_not_place(self, need, calendar, monday, count, tried, therapist_had_time) -> None:
        days = join_or([day_label(day) for day in sorted(tried)]) if tried else "any day"
        if therapist_had_time:
            reason = (
                f"No {need.discipline} free on {days} at a time the patient is free too: "
                f"{calendar.name}'s open {need.minutes}-minute slots clash with the patient's "
                "other appointments."
            )
        else:
            reason = (
                f"No {need.discipline} free on {days}: {calendar.name} has no "
                f"{need.minutes}-minute slot left."
            )
        self.unplaced.append(Unplaced(need.discipline, monday, count, reason))


def propose(request: ProposalRequest) -> Proposal:
    """The appointments for `request.weeks` calendar weeks from the week of the first day."""
    planner = _Planner(request)
    first_monday = week_start(request.first_day)
    mondays = [first_monday + datetime.timedelta(weeks=n) for n in range(request.weeks)]
    already = {}
    for monday in mondays:
        counts = {n.discipline: planner.per_week[n.discipline, monday] for n in request.needs}
        if any(counts.values()):
            already[monday] = {discipline: n for discipline, n in counts.items() if n}
    for monday in mondays:
        # The discipline with more sessions has fewer ways to fit: it goes first.
        for need in sorted(request.needs, key=lambda n: (-n.sessions_per_week, n.discipline)):
            planner.place_week(need, monday)
    return Proposal(
        appointments=sorted(planner.placed), unplaced=planner.unplaced, already_booked=already
    )
