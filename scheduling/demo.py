"""The demo clinic's timetable: the coming two weeks of every active demo plan.

Illustrative data. Idempotent: a plan that already has appointments from
now on is left as it is, and the calendar rows are found before made.
"""

import datetime

from django.utils import timezone

from plans.models import RehabPlan
from plans.selectors import plan_with_stages
from scheduling import proposer, services
from scheduling.models import Appointment, Leave, WorkingHours

# A part-time occupational therapist, to show hours other than the clinic's default.
PART_TIME = ("ot.pillai", range(0, 5), datetime.time(10), datetime.time(16))
# A day of leave next week, to show the timetable working around it.
LEAVE = ("pt.khan", 8, "Training course (demo)")


def seed_calendar(users, today: datetime.date) -> None:
    username, weekdays, start, end = PART_TIME
    if username in users:
        for weekday in weekdays:
            WorkingHours.objects.update_or_create(
                therapist=users[username], weekday=weekday, defaults={"start": start, "end": end}
            )
    username, days_ahead, reason = LEAVE
    if username in users:
        day = today + datetime.timedelta(days=days_ahead)
        if day.weekday() == 6:  # the clinic is closed on Sundays anyway
            day += datetime.timedelta(days=1)
        Leave.objects.update_or_create(
            therapist=users[username], reason=reason, defaults={"start_date": day, "end_date": day}
        )


def seed_demo_timetable(users) -> list[str]:
    now = timezone.now()
    today = timezone.localdate()
    seed_calendar(users, today)
    # From now (later today included) to the same weekday in two weeks' time.
    last = today + datetime.timedelta(days=14)
    weeks = (proposer.week_start(last) - proposer.week_start(today)).days // 7 + 1
    booker = users.get("desk.roy") or users.get("admin")
    plans = plan_with_stages(RehabPlan.objects.filter(status=RehabPlan.Status.ACTIVE)).order_by(
        "pk"
    )
    booked = unplaced = 0
    for plan in plans:
        if Appointment.objects.filter(plan=plan, start__gte=now).exists():
            continue
        proposal = services.preview(plan=plan, first_day=today, weeks=weeks, now=now)
        slots = [
            services.Slot(
                a.discipline, a.therapist_id, services.selectors.aware(a.start), a.minutes
            )
            for a in proposal.appointments
            if a.start.date() < last
        ]
        if slots:
            booked += len(services.book_appointments(plan=plan, slots=slots, by=booker, now=now))
        unplaced += proposal.unplaced_total
    total = Appointment.objects.filter(start__gte=now).count()
    return [
        f"Timetable:   {total} appointments in the coming two weeks ({booked} new"
        + (f", {unplaced} sessions could not be placed)" if unplaced else ")")
    ]
