"""The clinic calendar: holidays, therapists' leave and working hours, kept by the
physicians and the front desk on /timetable/calendar/."""

import datetime

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format

from scheduling import services
from scheduling.models import Appointment, ClinicHoliday, Leave, WorkingHours
from tests import factories

pytestmark = pytest.mark.django_db

CALENDAR = reverse("scheduling:clinic_calendar")
ADD_HOLIDAY = reverse("scheduling:holiday_add")
ADD_LEAVE = reverse("scheduling:leave_add")


def next_monday() -> datetime.date:
    today = timezone.localdate()
    return today + datetime.timedelta(days=7 - today.weekday())


def book_at(plan, therapist, day: datetime.date, hour: int, by) -> Appointment:
    (appointment,) = services.book_appointments(
        plan=plan,
        slots=[
            services.Slot(
                therapist.discipline,
                therapist.pk,
                timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour))),
                45,
            )
        ],
        by=by,
    )
    return appointment


def said(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def test_front_desk_closes_the_clinic_for_a_holiday_and_nothing_is_proposed_then(
    client, front_desk, plan
):
    holiday = next_monday() + datetime.timedelta(days=2)
    client.force_login(front_desk)
    response = client.post(ADD_HOLIDAY, {"date": holiday.isoformat(), "name": "Diwali"})
    assert response.status_code == 302 and response["Location"] == CALENDAR
    stored = ClinicHoliday.objects.get()
    assert (stored.date, stored.name) == (holiday, "Diwali")
    assert said(response) == [
        f"The clinic is closed on {date_format(holiday, 'D j M Y')} (Diwali)."
    ]
    proposal = services.preview(plan=plan, first_day=next_monday(), weeks=1)
    assert proposal.appointments
    assert all(a.start.date() != holiday for a in proposal.appointments)
    page = client.get(CALENDAR).content.decode()
    assert "Diwali" in page and f"{holiday:%a} {holiday.day} {holiday:%b %Y}" in page


def test_a_holiday_in_the_past_or_on_a_holiday_is_refused_next_to_the_day(client, physician):
    taken = next_monday()
    ClinicHoliday.objects.create(date=taken, name="Republic Day")
    client.force_login(physician)
    past = client.post(
        ADD_HOLIDAY, {"date": (timezone.localdate() - datetime.timedelta(days=1)), "name": "Old"}
    )
    again = client.post(ADD_HOLIDAY, {"date": taken.isoformat(), "name": "Twice"})
    assert past.status_code == again.status_code == 200
    assert past.context["holiday_form"].errors == {"date": ["Choose today or a later day."]}
    assert again.context["holiday_form"].errors == {
        "date": [f"{date_format(taken, 'j M Y')} is already a holiday: Republic Day."]
    }
    assert list(ClinicHoliday.objects.values_list("name", flat=True)) == ["Republic Day"]


def test_appointments_booked_on_a_new_holiday_are_listed_to_move(client, front_desk, plan):
    day = next_monday() + datetime.timedelta(days=1)
    appointment = book_at(plan, plan.allocated_therapist("PT"), day, 10, front_desk)
    client.force_login(front_desk)
    response = client.post(ADD_HOLIDAY, {"date": day.isoformat(), "name": "Pongal"})
    assert (
        "1 booked appointment falls on that day: move it from the list below."
        in (said(response)[0])
    )
    page = client.get(CALENDAR)
    assert [a.pk for a in page.context["calendar"].clashes] == [appointment.pk]
    assert reverse("scheduling:appointment_detail", args=[appointment.pk]) in (
        page.content.decode()
    )
    appointment.refresh_from_db()
    assert appointment.status == "booked"  # nothing is moved without a person


def test_leave_is_recorded_and_overlapping_leave_is_refused(
    client, front_desk, physiotherapist, plan
):
    monday = next_monday()
    booked = book_at(plan, physiotherapist, monday + datetime.timedelta(days=3), 9, front_desk)
    client.force_login(front_desk)
    response = client.post(
        ADD_LEAVE,
        {
            "therapist": physiotherapist.pk,
            "start_date": monday.isoformat(),
            "end_date": (monday + datetime.timedelta(days=4)).isoformat(),
            "reason": "Conference",
        },
    )
    assert response.status_code == 302
    leave = Leave.objects.get()
    assert (leave.therapist, leave.reason) == (physiotherapist, "Conference")
    assert "1 booked appointment falls in it" in said(response)[0]
    assert [a.pk for a in client.get(CALENDAR).context["calendar"].clashes] == [booked.pk]

    overlap = client.post(
        ADD_LEAVE,
        {
            "therapist": physiotherapist.pk,
            "start_date": (monday + datetime.timedelta(days=4)).isoformat(),
            "end_date": (monday + datetime.timedelta(days=6)).isoformat(),
        },
    )
    assert overlap.status_code == 200
    errors = overlap.context["leave_form"].errors
    assert list(errors) == ["start_date"] and "already on leave then" in errors["start_date"][0]
    assert Leave.objects.count() == 1


def test_leave_that_ends_before_it_starts_or_for_a_non_therapist_is_refused(
    client, physician, front_desk, physiotherapist
):
    monday = next_monday()
    client.force_login(physician)
    backwards = client.post(
        ADD_LEAVE,
        {
            "therapist": physiotherapist.pk,
            "start_date": monday.isoformat(),
            "end_date": (monday - datetime.timedelta(days=1)).isoformat(),
        },
    )
    desk = client.post(
        ADD_LEAVE,
        {"therapist": front_desk.pk, "start_date": monday, "end_date": monday},
    )
    assert backwards.context["leave_form"].errors == {
        "end_date": ["The last day cannot come before the first."]
    }
    assert list(desk.context["leave_form"].errors) == ["therapist"]
    assert not Leave.objects.exists()


def test_removing_needs_a_confirmation(client, front_desk, physiotherapist):
    holiday = ClinicHoliday.objects.create(date=next_monday(), name="Holi")
    leave = Leave.objects.create(
        therapist=physiotherapist, start_date=next_monday(), end_date=next_monday()
    )
    client.force_login(front_desk)
    remove_holiday = reverse("scheduling:holiday_remove", args=[holiday.pk])
    remove_leave = reverse("scheduling:leave_remove", args=[leave.pk])
    assert client.post(remove_holiday).status_code == 302
    assert client.post(remove_leave).status_code == 302
    assert ClinicHoliday.objects.exists() and Leave.objects.exists()
    client.post(remove_holiday, {"confirm": "yes"})
    response = client.post(remove_leave, {"confirm": "yes"})
    assert not ClinicHoliday.objects.exists() and not Leave.objects.exists()
    assert "Rahul Sharma's leave" in said(response)[-1]


def week_data(days: dict[int, tuple[str, str]]) -> dict:
    data = {"form-TOTAL_FORMS": "7", "form-INITIAL_FORMS": "7"}
    for day in range(7):
        if day in days:
            data[f"form-{day}-works"] = "on"
            data[f"form-{day}-start"], data[f"form-{day}-end"] = days[day]
    return data


def test_a_therapists_working_week_is_saved_and_shown(client, front_desk, occupational_therapist):
    url = reverse("scheduling:working_hours", args=[occupational_therapist.pk])
    client.force_login(front_desk)
    form = client.get(url)
    # Without hours of their own, the clinic's default week: Monday to Saturday.
    assert [f["works"].value() for f in form.context["formset"]] == [True] * 6 + [False]
    response = client.post(url, week_data({0: ("08:00", "14:00"), 2: ("10:00", "16:30")}))
    assert response.status_code == 302
    rows = WorkingHours.objects.filter(therapist=occupational_therapist)
    assert [(r.weekday, f"{r.start:%H:%M}", f"{r.end:%H:%M}") for r in rows] == [
        (0, "08:00", "14:00"),
        (2, "10:00", "16:30"),
    ]
    page = client.get(CALENDAR).content.decode()
    row = page[page.index('id="hours-heading"') :]
    row = row[row.index("Lakshmi Menon") :]
    row = row[: row.index("</tr>")]
    assert "08:00–14:00" in row and "10:00–16:30" in row and "default week" not in row


def test_a_shorter_working_week_lists_the_appointments_it_strands(
    client, front_desk, physiotherapist, plan
):
    monday = next_monday()
    early = book_at(plan, physiotherapist, monday, 9, front_desk)
    late = book_at(plan, physiotherapist, monday + datetime.timedelta(days=1), 15, front_desk)
    kept = book_at(plan, physiotherapist, monday + datetime.timedelta(days=2), 10, front_desk)
    url = reverse("scheduling:working_hours", args=[physiotherapist.pk])
    client.force_login(front_desk)
    # Monday off; Tuesday and Wednesday end at 13:00.
    response = client.post(url, week_data({1: ("09:00", "13:00"), 2: ("09:00", "13:00")}))
    assert "2 booked appointments fall outside it" in said(response)[-1]
    clashes = client.get(CALENDAR).context["calendar"].clashes
    assert {a.pk for a in clashes} == {early.pk, late.pk}
    assert kept.pk not in {a.pk for a in clashes}


def test_leave_that_is_already_over_is_refused(client, front_desk, physiotherapist):
    client.force_login(front_desk)
    last_week = timezone.localdate() - datetime.timedelta(days=7)
    response = client.post(
        ADD_LEAVE,
        {
            "therapist": physiotherapist.pk,
            "start_date": last_week,
            "end_date": last_week + datetime.timedelta(days=2),
        },
    )
    assert response.status_code == 200
    assert response.context["leave_form"].errors == {
        "end_date": ["This leave is over: record leave that ends today or later."]
    }
    assert not Leave.objects.exists()


def test_a_bad_working_week_changes_nothing(client, physician, physiotherapist):
    WorkingHours.objects.create(
        therapist=physiotherapist,
        weekday=1,
        start=datetime.time(9),
        end=datetime.time(13),
    )
    url = reverse("scheduling:working_hours", args=[physiotherapist.pk])
    client.force_login(physician)
    backwards = client.post(url, week_data({0: ("14:00", "09:00")}))
    assert backwards.status_code == 200
    assert backwards.context["formset"].forms[0].errors == {
        "end": ["The day must end after it starts."]
    }
    nothing = client.post(url, week_data({}))
    assert nothing.status_code == 200
    assert nothing.context["refusals"] == [
        "Give at least one working day; for time away, record leave."
    ]
    truncated = client.post(url, {"form-TOTAL_FORMS": "2", "form-INITIAL_FORMS": "2"})
    assert "did not arrive whole" in truncated.context["refusals"][0]
    kept = WorkingHours.objects.get(therapist=physiotherapist)
    assert (kept.weekday, kept.start, kept.end) == (1, datetime.time(9), datetime.time(13))


def test_therapists_do_not_keep_the_calendar(
    client, physiotherapist, occupational_therapist, front_desk
):
    for user in (physiotherapist, occupational_therapist):
        client.force_login(user)
        assert client.get(CALENDAR).status_code == 403
        assert client.post(ADD_HOLIDAY, {"date": next_monday(), "name": "X"}).status_code == 403
        hours = reverse("scheduling:working_hours", args=[physiotherapist.pk])
        assert client.post(hours, week_data({0: ("09:00", "10:00")})).status_code == 403
    assert not ClinicHoliday.objects.exists() and not WorkingHours.objects.exists()
    client.force_login(front_desk)
    assert client.get(ADD_HOLIDAY).status_code == 405
    assert client.post(CALENDAR).status_code == 405
    assert client.get(reverse("scheduling:working_hours", args=[front_desk.pk])).status_code == 404


def test_the_calendar_page_asks_the_same_queries_for_more_holidays_and_leave(
    client, front_desk, django_assert_max_num_queries
):
    monday = next_monday()
    client.force_login(front_desk)
    ClinicHoliday.objects.create(date=monday, name="One")
    Leave.objects.create(therapist=factories.physiotherapist(), start_date=monday, end_date=monday)
    client.get(CALENDAR)
    with CaptureQueriesContext(connection) as few:
        client.get(CALENDAR)
    for days in range(1, 6):
        ClinicHoliday.objects.create(date=monday + datetime.timedelta(days=days), name="More")
        Leave.objects.create(
            therapist=factories.occupational_therapist(),
            start_date=monday,
            end_date=monday + datetime.timedelta(days=days),
        )
    with django_assert_max_num_queries(len(few)):
        response = client.get(CALENDAR)
    assert len(response.context["calendar"].leave) == 6


def test_the_worklist_says_when_the_clinic_is_closed_or_the_therapist_is_away(
    client, physiotherapist, occupational_therapist, plan
):
    today = timezone.localdate()
    client.force_login(physiotherapist)
    assert "closed today" not in client.get("/").content.decode()
    ClinicHoliday.objects.create(date=today, name="Gandhi Jayanti")
    Leave.objects.create(
        therapist=physiotherapist, start_date=today, end_date=today + datetime.timedelta(days=2)
    )
    page = client.get("/").content.decode()
    assert "The clinic is closed today: Gandhi Jayanti." in page
    assert "You are on leave today, until" in page
    client.force_login(occupational_therapist)
    page = client.get("/").content.decode()
    assert "The clinic is closed today" in page and "You are on leave" not in page


def test_the_clinic_week_shows_each_therapists_leave_and_days_off(
    client, front_desk, physiotherapist, occupational_therapist
):
    monday = next_monday()
    Leave.objects.create(
        therapist=physiotherapist, start_date=monday, end_date=monday, reason="Conference"
    )
    WorkingHours.objects.create(
        therapist=occupational_therapist, weekday=0, start=datetime.time(9), end=datetime.time(13)
    )
    client.force_login(front_desk)
    week = {"week": monday.isoformat()}
    pt = client.get(reverse("scheduling:clinic_week"), {**week, "discipline": "PT"})
    ot = client.get(reverse("scheduling:clinic_week"), {**week, "discipline": "OT"})
    pt_days = {c.therapist: c.days for c in pt.context["columns"]}[physiotherapist]
    ot_days = {c.therapist: c.days for c in ot.context["columns"]}[occupational_therapist]
    assert (pt_days[0].off, pt_days[0].off_reason) == (True, "On leave: Conference")
    assert pt_days[1].off is False
    assert [day.off for day in ot_days] == [False] + [True] * 6  # Mondays only
    assert "On leave: Conference" in pt.content.decode()
    assert "Day off" in ot.content.decode()
