"""Timetable pages: booking a plan, reviewing it, week views, moving and marking."""

import datetime
import html
import re

import pytest
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format

from plans import services as plan_services
from plans.models import TherapySession
from scheduling import services
from scheduling.models import Appointment, TimetableReview
from tests import factories
from tests.test_scheduling_services import at, book_weeks, next_monday, past_appointment

pytestmark = pytest.mark.django_db


def page(client, user, url, method="get", **data):
    client.force_login(user)
    return getattr(client, method)(url, data)


# --- Who may open what --------------------------------------------------------------


def test_anonymous_visitors_are_sent_to_sign_in(client, plan, physiotherapist):
    urls = [
        reverse("scheduling:plan_timetable", args=[plan.pk]),
        reverse("scheduling:plan_review", args=[plan.pk]),
        reverse("scheduling:therapist_week", args=[physiotherapist.pk]),
        reverse("scheduling:patient_week", args=[plan.patient.pk]),
        reverse("scheduling:clinic_week"),
        reverse("scheduling:calendar_address"),
    ]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 302, url
        assert response.url.startswith(reverse("login")), url


def test_therapists_do_not_book(client, plan, physiotherapist):
    response = page(client, physiotherapist, reverse("scheduling:plan_timetable", args=[plan.pk]))
    assert response.status_code == 403
    response = page(
        client, physiotherapist, reverse("scheduling:plan_timetable", args=[plan.pk]), "post"
    )
    assert response.status_code == 403
    assert not Appointment.objects.exists()


def test_a_therapist_sees_only_their_own_week(
    client, plan, physiotherapist, therapist_not_on_plan, front_desk
):
    own = page(
        client, physiotherapist, reverse("scheduling:therapist_week", args=[physiotherapist.pk])
    )
    assert own.status_code == 200 and "My week" in own.content.decode()
    other = page(
        client,
        therapist_not_on_plan,
        reverse("scheduling:therapist_week", args=[physiotherapist.pk]),
    )
    assert other.status_code == 403
    desk = page(client, front_desk, reverse("scheduling:therapist_week", args=[physiotherapist.pk]))
    assert desk.status_code == 200 and "Week of Rahul Sharma" in desk.content.decode()


def test_clinic_view_is_for_physicians_and_front_desk(
    client, physiotherapist, physician, front_desk
):
    assert page(client, physiotherapist, reverse("scheduling:clinic_week")).status_code == 403
    assert page(client, physician, reverse("scheduling:clinic_week")).status_code == 200
    response = page(client, front_desk, reverse("scheduling:clinic_week") + "?discipline=OT")
    assert response.status_code == 200 and "Occupational therapy" in response.content.decode()


def test_clinic_week_shows_the_clinics_demand_against_its_therapists(
    client, physician, protocol, physiotherapist, therapist_not_on_plan
):
    # Two plans in stage 1 (6 PT / 2 OT a week, 45 minutes); one still needs an OT.
    factories.start_plan(
        protocol=protocol, lead_physician=physician, physiotherapist=physiotherapist
    )
    factories.start_plan(
        protocol=protocol,
        lead_physician=physician,
        physiotherapist=physiotherapist,
        occupational_therapist=factories.occupational_therapist(),
    )
    response = page(client, physician, reverse("scheduling:clinic_week"))
    assert response.status_code == 200
    demand = {item["figures"].discipline: item for item in response.context["demand"]}
    assert demand["PT"]["figures"].sessions == 12 and demand["PT"]["hours"] == 9.0
    assert demand["PT"]["figures"].therapists == 2
    assert demand["OT"]["figures"].sessions == 4 and demand["OT"]["hours"] == 3.0
    assert demand["OT"]["figures"].unallocated_plans == 1
    text = response.content.decode()
    monday = response.context["monday"]
    heading = f"The clinic's therapy in the week of {date_format(monday, 'j M Y')}"
    table = text[text.index(heading) :]
    pt_row = table[table.index("Physiotherapy") :]
    pt_row = pt_row[: pt_row.index("</tr>")]
    assert "<td>12</td>" in pt_row and "<td>9.0</td>" in pt_row and "<td>6.0</td>" in pt_row
    ot_row = table[table.index("Occupational therapy") :]
    ot_row = ot_row[: ot_row.index("</tr>")]
    assert "<td>4</td>" in ot_row and "<td>3.0</td>" in ot_row and "<td>1</td>" in ot_row


def test_patient_week_follows_who_may_see_the_patient(
    client, plan, therapist_not_on_plan, occupational_therapist
):
    url = reverse("scheduling:patient_week", args=[plan.patient.pk])
    assert page(client, therapist_not_on_plan, url).status_code == 403
    assert page(client, occupational_therapist, url).status_code == 200


def test_wrong_methods_are_refused(client, plan, physiotherapist, front_desk):
    assert (
        page(
            client,
            physiotherapist,
            reverse("scheduling:therapist_week", args=[physiotherapist.pk]),
            "post",
        ).status_code
        == 405
    )
    assert page(client, front_desk, reverse("scheduling:clinic_week"), "post").status_code == 405
    [appointment] = services.book_appointments(
        plan=plan,
        slots=[services.Slot("PT", physiotherapist.pk, at(next_monday(), 9), 45)],
        by=front_desk,
    )
    missed = reverse("scheduling:appointment_missed", args=[appointment.pk])
    assert page(client, front_desk, missed).status_code == 405
    assert page(client, front_desk, reverse("scheduling:my_week"), "post").status_code == 405


def test_timetable_menu_leads_each_role_to_their_view(client, physiotherapist, front_desk):
    response = page(client, physiotherapist, reverse("scheduling:my_week"))
    assert response.url == reverse("scheduling:therapist_week", args=[physiotherapist.pk])
    response = page(client, front_desk, reverse("scheduling:my_week"))
    assert response.url == reverse("scheduling:clinic_week")


# --- Preview, adjust, confirm -------------------------------------------------------


def proposal_post(response) -> dict:
    """The confirmation form as the browser would send it, from the preview page."""
    formset = response.context["formset"]
    data = {
        "row-TOTAL_FORMS": str(formset.total_form_count()),
        "row-INITIAL_FORMS": "0",
        "row-MIN_NUM_FORMS": "0",
        "row-MAX_NUM_FORMS": "200",
    }
    for index, form in enumerate(formset.forms):
        initial = form.initial
        data.update(
            {
                f"row-{index}-include": "on",
                f"row-{index}-discipline": initial["discipline"],
                f"row-{index}-therapist_id": str(initial["therapist_id"]),
                f"row-{index}-minutes": str(initial["minutes"]),
                f"row-{index}-date": initial["date"].isoformat(),
                f"row-{index}-start_time": initial["start_time"].strftime("%H:%M"),
            }
        )
    return data


def test_preview_then_confirm_books_the_timetable(client, plan, front_desk):
    url = reverse("scheduling:plan_timetable", args=[plan.pk])
    preview = page(client, front_desk, url + f"?first_day={next_monday().isoformat()}&weeks=2")
    assert preview.status_code == 200
    assert preview.context["formset"].total_form_count() == 16
    assert not Appointment.objects.exists()
    # Each row names its day beside the date box.
    first = preview.context["formset"].forms[0]
    assert first.weekday == first.initial["date"].strftime("%A")
    assert f'<div class="small text-body-secondary">{first.weekday}</div>' in (
        preview.content.decode()
    )
    data = proposal_post(preview)
    data["row-0-include"] = ""  # leave one out
    response = client.post(url, data)
    assert response.status_code == 302
    assert Appointment.objects.filter(plan=plan).count() == 15
    follow = client.get(response.url)
    assert "15 appointments booked for" in follow.content.decode()


def test_a_week_already_booked_is_said_and_not_proposed_again(client, plan, front_desk):
    book_weeks(plan, front_desk, weeks=1)
    url = reverse("scheduling:plan_timetable", args=[plan.pk])
    first, second = next_monday(), next_monday() + datetime.timedelta(weeks=1)
    preview = page(client, front_desk, url + f"?first_day={first.isoformat()}&weeks=2")
    assert preview.status_code == 200
    # Only the second week is proposed (6 PT and 2 OT), and the first is said to be booked.
    assert preview.context["formset"].total_form_count() == 8
    text = preview.content.decode()
    assert f"Week of {date_format(first, 'j M')}: 6 PT, 2 OT." in text
    assert f"Week of {date_format(second, 'j M')}:" not in text.split("Already booked")[1][:300]


def test_an_adjusted_row_that_clashes_is_refused_next_to_it(client, plan, front_desk):
    url = reverse("scheduling:plan_timetable", args=[plan.pk])
    preview = page(client, front_desk, url + f"?first_day={next_monday().isoformat()}&weeks=1")
    data = proposal_post(preview)
    # Move the second row onto the first one's time: the patient cannot be in two places.
    data["row-1-date"], data["row-1-start_time"] = data["row-0-date"], data["row-0-start_time"]
    response = client.post(url, data)
    assert response.status_code == 200
    content = response.content.decode()
    assert "Nothing was booked" in content
    assert "would have two appointments at once" in content
    assert not Appointment.objects.exists()


def test_a_past_first_day_is_refused_on_the_form(client, plan, physician):
    url = reverse("scheduling:plan_timetable", args=[plan.pk])
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    response = page(client, physician, url + f"?first_day={yesterday.isoformat()}&weeks=2")
    assert response.status_code == 200
    assert "the past is not booked" in response.content.decode()
    assert response.context["formset"] is None


def test_unplaceable_sessions_are_listed_on_the_preview(
    client, plan, front_desk, occupational_therapist
):
    from scheduling.models import WorkingHours

    WorkingHours.objects.create(
        therapist=occupational_therapist, weekday=3, start=datetime.time(9), end=datetime.time(10)
    )
    url = reverse("scheduling:plan_timetable", args=[plan.pk])
    response = page(client, front_desk, url + f"?first_day={next_monday().isoformat()}&weeks=1")
    content = response.content.decode()
    assert "Could not place" in content
    assert "No OT free on Thursday" in content


# --- Review after the mix moves --------------------------------------------------------


def test_review_page_shows_the_diff_and_confirms_it(
    client, plan, physician, front_desk, django_capture_on_commit_callbacks
):
    book_weeks(plan, front_desk)
    with django_capture_on_commit_callbacks(execute=True):
        plan_services.advance_stage(plan=plan, by=physician)
    plan_page = page(client, physician, reverse("plans:plan_detail", args=[plan.pk]))
    assert "The timetable needs a review" in plan_page.content.decode()
    url = reverse("scheduling:plan_review", args=[plan.pk])
    review = client.get(url)
    content = review.content.decode()
    assert review.status_code == 200
    assert "To cancel" in content and "To book" in content
    diff = review.context["diff"]
    response = client.post(url, {"action": "apply", "fingerprint": diff.fingerprint})
    assert response.status_code == 302
    assert Appointment.objects.filter(status="cancelled_by_clinic").count() == len(diff.cancel)
    assert not TimetableReview.objects.filter(resolved_at__isnull=True).exists()


def test_a_stale_review_shows_why_and_changes_nothing(
    client, plan, physician, front_desk, django_capture_on_commit_callbacks
):
    book_weeks(plan, front_desk)
    with django_capture_on_commit_callbacks(execute=True):
        plan_services.advance_stage(plan=plan, by=physician)
    url = reverse("scheduling:plan_review", args=[plan.pk])
    response = page(client, front_desk, url, "post", action="apply", fingerprint="stale")
    assert response.status_code == 409
    assert "changed while you were looking" in response.content.decode()
    assert not Appointment.objects.filter(status="cancelled_by_clinic").exists()


def test_review_is_not_for_therapists(client, plan, physiotherapist):
    url = reverse("scheduling:plan_review", args=[plan.pk])
    assert page(client, physiotherapist, url).status_code == 403
    assert page(client, physiotherapist, url, "post", action="dismiss").status_code == 403


# --- One appointment ------------------------------------------------------------------


def test_move_form_refuses_a_clash_with_the_reason(
    client, plan, physiotherapist, occupational_therapist, front_desk
):
    monday = next_monday()
    pt, ot = services.book_appointments(
        plan=plan,
        slots=[
            services.Slot("PT", physiotherapist.pk, at(monday, 9), 45),
            services.Slot("OT", occupational_therapist.pk, at(monday, 11), 45),
        ],
        by=front_desk,
    )
    url = reverse("scheduling:appointment_detail", args=[ot.pk])
    response = page(client, front_desk, url, "post", date=monday.isoformat(), start_time="09:15")
    assert response.status_code == 200
    assert "already has PT" in response.content.decode()
    ot.refresh_from_db()
    assert ot.start == at(monday, 11)
    response = client.post(url, {"date": monday.isoformat(), "start_time": "14:00"})
    assert response.status_code == 302
    ot.refresh_from_db()
    assert ot.start == at(monday, 14)


def test_a_therapist_not_on_the_appointment_cannot_open_it(
    client, plan, physiotherapist, therapist_not_on_plan, front_desk
):
    [appointment] = services.book_appointments(
        plan=plan,
        slots=[services.Slot("PT", physiotherapist.pk, at(next_monday(), 9), 45)],
        by=front_desk,
    )
    url = reverse("scheduling:appointment_detail", args=[appointment.pk])
    assert page(client, therapist_not_on_plan, url).status_code == 403
    missed = reverse("scheduling:appointment_missed", args=[appointment.pk])
    response = page(client, therapist_not_on_plan, missed, "post", status="cancelled_by_clinic")
    assert response.status_code == 403
    appointment.refresh_from_db()
    assert appointment.status == "booked"


def test_attended_opens_the_session_form_prefilled_and_logs_it(client, plan, physiotherapist):
    today = timezone.localdate()
    appointment = past_appointment(plan, physiotherapist, at(today, 0, 15))
    url = reverse("scheduling:appointment_attended", args=[appointment.pk])
    response = page(client, physiotherapist, url)
    assert response.status_code == 200
    form = response.context["form"]
    assert form.initial["date"] == today
    assert form.initial["start_time"] == datetime.time(0, 15)
    assert form.initial["duration_minutes"] == 45
    assert "attendance" not in form.fields
    response = client.post(
        url,
        {
            "date": today.isoformat(),
            "start_time": "00:15",
            "duration_minutes": "40",
            "subjective": "Walked to the door",
        },
    )
    assert response.status_code == 302
    appointment.refresh_from_db()
    assert appointment.status == "attended"
    assert appointment.therapy_session.subjective == "Walked to the door"
    assert appointment.therapy_session.duration_minutes == 40


def test_front_desk_cannot_log_a_session(client, plan, physiotherapist, front_desk):
    appointment = past_appointment(plan, physiotherapist, at(timezone.localdate(), 0, 15))
    url = reverse("scheduling:appointment_attended", args=[appointment.pk])
    assert page(client, front_desk, url).status_code == 403
    assert page(client, front_desk, url, "post", duration_minutes="45").status_code == 403
    assert not TherapySession.objects.exists()


def test_attended_is_refused_ahead_of_the_day(client, plan, physiotherapist, front_desk):
    [appointment] = services.book_appointments(
        plan=plan,
        slots=[services.Slot("PT", physiotherapist.pk, at(next_monday(), 9), 45)],
        by=front_desk,
    )
    url = reverse("scheduling:appointment_attended", args=[appointment.pk])
    response = page(
        client, physiotherapist, url, "post", date=next_monday().isoformat(), duration_minutes="45"
    )
    assert response.status_code == 409
    assert "marked attended on its day or after" in response.content.decode()
    appointment.refresh_from_db()
    assert appointment.status == "booked" and not TherapySession.objects.exists()


def test_absent_is_one_click_from_the_worklist(client, plan, physiotherapist):
    appointment = past_appointment(plan, physiotherapist, at(timezone.localdate(), 0, 15))
    home = page(client, physiotherapist, reverse("home"))
    assert "My appointments today" in home.content.decode()
    response = client.post(
        reverse("scheduling:appointment_missed", args=[appointment.pk]),
        {"status": "patient_absent", "reason": "Fever", "next": reverse("home")},
    )
    assert response.status_code == 302 and response.url == reverse("home")
    appointment.refresh_from_db()
    assert appointment.status == "patient_absent"
    assert appointment.therapy_session.attendance == "patient_absent"
    again = client.post(
        reverse("scheduling:appointment_missed", args=[appointment.pk]),
        {"status": "patient_absent"},
        follow=True,
    )
    assert "already marked patient absent" in again.content.decode()
    assert TherapySession.objects.count() == 1


def test_front_desk_reaches_a_plans_booking_from_the_patient_page(
    client, plan, physician, front_desk, physiotherapist, django_capture_on_commit_callbacks
):
    patient_page = reverse("patients:detail", args=[plan.patient.pk])
    booking = reverse("scheduling:plan_timetable", args=[plan.pk])
    response = page(client, front_desk, patient_page)
    assert response.status_code == 200
    assert f'href="{booking}">Book or change the timetable</a>' in response.content.decode()
    assert page(client, front_desk, booking).status_code == 200

    book_weeks(plan, front_desk, weeks=1)
    with django_capture_on_commit_callbacks(execute=True):
        plan_services.change_plan_status(
            plan=plan, status="on_hold", by=physician, reason="Admitted to hospital"
        )
    text = page(client, front_desk, patient_page).content.decode()
    assert booking not in text  # no running plan to book for
    with django_capture_on_commit_callbacks(execute=True):
        plan_services.change_plan_status(plan=plan, status="active", by=physician)
        plan_services.individualise_stage_mix(
            stage=plan.stages.get(status="current"),
            pt_sessions_per_week=4,
            ot_sessions_per_week=4,
            reason="Tires quickly",
            by=physician,
        )
    text = page(client, front_desk, patient_page).content.decode()
    review = reverse("scheduling:plan_review", args=[plan.pk])
    assert f'href="{review}">Review the timetable</a>' in text

    # Therapists do not book: no such button for them.
    text = page(client, physiotherapist, patient_page).content.decode()
    assert booking not in text and review not in text


def test_plan_page_shows_booked_and_attended_from_the_timetable(
    client, plan, physician, physiotherapist
):
    today = timezone.localdate()
    done = past_appointment(plan, physiotherapist, at(today, 0, 15))
    services.mark_missed(
        appointment=done, status="cancelled_by_patient", by=physician, reason="Wedding"
    )
    response = page(client, physician, reverse("plans:plan_detail", args=[plan.pk]))
    content = response.content.decode()
    assert response.status_code == 200
    assert "Allocated against booked against attended" in content
    # The two tables count different things; the timetable's says which.
    assert "Sessions logged without an appointment count only in" in html.unescape(content)
    assert "Cancelled by patient — Wedding" in content
    done.refresh_from_db()
    assert done.therapy_session is None


# --- Query counts ------------------------------------------------------------------------


def test_clinic_week_lists_each_appointment_apart_with_its_time_first(
    client, plan, front_desk, physiotherapist
):
    book_weeks(plan, front_desk, weeks=1)
    week = next_monday()
    response = page(client, front_desk, reverse("scheduling:clinic_week"), week=week.isoformat())
    assert response.status_code == 200
    text = response.content.decode()
    booked = Appointment.objects.filter(discipline="PT", start__date__gte=week).order_by("start")
    first = booked.first()
    address = re.escape(reverse("scheduling:appointment_detail", args=[first.pk]))
    item = re.search(
        rf'<li><a href="{address}[^"]*"><strong class="text-nowrap">'
        r"(\d\d:\d\d)</strong> ([^<]+)</a></li>",
        text,
    )
    assert item, "each appointment is an item of its day's list, its time in bold"
    assert item.group(1) == timezone.localtime(first.start).strftime("%H:%M")
    assert item.group(2) == plan.patient.full_name
    # What happened shows beside the name; a booked one needs no word.
    assert "Patient absent</span>" not in text
    today = timezone.localdate()
    missed = past_appointment(plan, physiotherapist, at(today, 0, 15))
    services.mark_missed(appointment=missed, status="patient_absent", by=front_desk)
    text = page(client, front_desk, reverse("scheduling:clinic_week")).content.decode()
    address = re.escape(reverse("scheduling:appointment_detail", args=[missed.pk]))
    assert re.search(
        rf'<li><a href="{address}[^"]*">.*?</a>\s*'
        r'<span class="badge text-bg-warning">Patient absent</span>\s*</li>',
        text,
    )


def change_the_current_mix(plan, physician) -> None:
    """A physician individualises the current stage: its timetable goes under review
    (once the transaction's callbacks run)."""
    plan_services.individualise_stage_mix(
        stage=plan.stages.get(status="current"),
        pt_sessions_per_week=3,
        ot_sessions_per_week=2,
        reason="Tires quickly",
        by=physician,
    )


def test_appointments_of_a_plan_awaiting_review_are_marked_in_the_weeks(
    client, plan, physician, front_desk, physiotherapist, django_capture_on_commit_callbacks
):
    book_weeks(plan, front_desk, weeks=1)
    week = {"week": next_monday().isoformat()}
    clinic = reverse("scheduling:clinic_week")
    mine = reverse("scheduling:therapist_week", args=[physiotherapist.pk])
    assert "Under review" not in page(client, front_desk, clinic, **week).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        change_the_current_mix(plan, physician)
    booked_pt = Appointment.objects.filter(plan=plan, discipline="PT").count()
    patients_week = reverse("scheduling:patient_week", args=[plan.patient_id])
    # A tablet shows no tooltip: each page says what the mark means, once.
    note = "<strong>Under review:</strong> the plan's mix, therapist or status changed"
    text = page(client, front_desk, clinic, **week).content.decode()
    assert text.count(">Under review</span>") == booked_pt
    assert text.count(note) == 1
    text = page(client, physiotherapist, mine, **week).content.decode()
    assert text.count(">Under review</span>") == booked_pt
    assert text.count(note) == 1
    text = page(client, front_desk, patients_week, **week).content.decode()
    assert text.count(">Under review</span>") == Appointment.objects.filter(plan=plan).count()
    assert text.count(note) == 1
    # And on the worklist's appointments today.
    past_appointment(plan, physiotherapist, at(timezone.localdate(), 23, 30))
    worklist = page(client, physiotherapist, reverse("home")).content.decode()
    assert worklist.count(">Under review</span>") == 1
    assert worklist.count(note) == 1
    services.dismiss_review(plan=plan, by=front_desk)
    assert "Under review" not in page(client, front_desk, clinic, **week).content.decode()
    assert "Under review" not in page(client, front_desk, patients_week, **week).content.decode()
    assert "Under review" not in page(client, physiotherapist, reverse("home")).content.decode()


def test_week_views_do_not_query_per_appointment(
    client,
    plan,
    protocol,
    physician,
    physiotherapist,
    occupational_therapist,
    front_desk,
    django_assert_max_num_queries,
):
    book_weeks(plan, front_desk, weeks=1)
    url = reverse("scheduling:therapist_week", args=[physiotherapist.pk]) + (
        f"?week={next_monday().isoformat()}"
    )
    clinic = reverse("scheduling:clinic_week") + f"?week={next_monday().isoformat()}"
    client.force_login(front_desk)
    client.get(url)
    with django_assert_max_num_queries(12):
        small = client.get(url)
    with django_assert_max_num_queries(12):
        client.get(clinic)
    for _ in range(2):
        other = factories.start_plan(
            protocol=protocol,
            lead_physician=physician,
            physiotherapist=physiotherapist,
            occupational_therapist=occupational_therapist,
        )
        book_weeks(other, front_desk, weeks=1)
    with django_assert_max_num_queries(12):
        large = client.get(url)
    with django_assert_max_num_queries(12):
        client.get(clinic)
    count = lambda response: sum(len(day.appointments) for day in response.context["days"])  # noqa: E731
    assert count(large) > count(small)


# --- The patient page -----------------------------------------------------------------


def test_patient_page_shows_the_next_appointments_and_saves_the_preference(
    client, plan, physiotherapist, front_desk
):
    services.book_appointments(
        plan=plan,
        slots=[services.Slot("PT", physiotherapist.pk, at(next_monday(), 9), 45)],
        by=front_desk,
    )
    detail = page(client, front_desk, reverse("patients:detail", args=[plan.patient.pk]))
    content = detail.content.decode()
    assert "Next therapy appointments" in content and "with Rahul Sharma" in content
    url = reverse("scheduling:patient_preference", args=[plan.patient.pk])
    response = client.post(url, {"time_of_day": "afternoon"}, follow=True)
    assert "prefers: afternoon" in response.content.decode()
    from scheduling.models import PatientPreference

    assert PatientPreference.objects.get(patient=plan.patient).time_of_day == "afternoon"
    proposal = services.preview(plan=plan, first_day=next_monday(), weeks=1)
    assert all(a.start.hour >= 13 for a in proposal.appointments)


def test_patient_page_shows_five_appointments_and_says_more_are_booked(
    client, plan, physiotherapist, front_desk
):
    monday = next_monday()
    slots = [
        services.Slot("PT", physiotherapist.pk, at(monday + datetime.timedelta(days=n), 9), 45)
        for n in range(5)
    ]
    services.book_appointments(plan=plan, slots=slots, by=front_desk)
    detail = reverse("patients:detail", args=[plan.patient.pk])
    content = page(client, front_desk, detail).content.decode()
    assert content.count("with Rahul Sharma") == 5
    assert "More are booked" not in content
    later = at(monday + datetime.timedelta(days=7), 9)
    services.book_appointments(
        plan=plan, slots=[services.Slot("PT", physiotherapist.pk, later, 45)], by=front_desk
    )
    content = page(client, front_desk, detail).content.decode()
    assert content.count("with Rahul Sharma") == 5
    week = reverse("scheduling:patient_week", args=[plan.patient.pk])
    assert f'More are booked: <a href="{week}">see the patient\'s week</a>.' in content


def test_only_bookers_set_the_preference(client, plan, physiotherapist):
    url = reverse("scheduling:patient_preference", args=[plan.patient.pk])
    assert page(client, physiotherapist, url, "post", time_of_day="morning").status_code == 403
    assert page(client, physiotherapist, url).status_code == 405
    from scheduling.models import PatientPreference

    assert not PatientPreference.objects.exists()


# --- Admin ---------------------------------------------------------------------------


def test_scheduling_admin_pages_answer_for_a_superuser(
    client, plan, physiotherapist, front_desk, superuser
):
    from django.contrib import admin

    from scheduling.models import (
        CalendarFeedToken,
        ClinicHoliday,
        Leave,
        PatientPreference,
        WorkingHours,
    )

    monday = next_monday()
    services.book_appointments(
        plan=plan, slots=[services.Slot("PT", physiotherapist.pk, at(monday, 9), 45)], by=front_desk
    )
    WorkingHours.objects.create(
        therapist=physiotherapist, weekday=0, start=datetime.time(9), end=datetime.time(17)
    )
    ClinicHoliday.objects.create(date=monday + datetime.timedelta(days=30), name="Diwali")
    Leave.objects.create(therapist=physiotherapist, start_date=monday, end_date=monday)
    PatientPreference.objects.create(patient=plan.patient, time_of_day="morning")
    TimetableReview.objects.create(plan=plan, reason="Stage 2 started")
    services.create_feed_token(therapist=physiotherapist, by=physiotherapist)
    assert CalendarFeedToken.objects.exists()
    client.force_login(superuser)
    made_by_services = {"appointment", "calendarfeedtoken"}
    for model in admin.site._registry:
        opts = model._meta
        if opts.app_label != "scheduling":
            continue
        base = f"admin:scheduling_{opts.model_name}"
        assert client.get(reverse(f"{base}_changelist")).status_code == 200, opts.label
        add = client.get(reverse(f"{base}_add")).status_code
        assert add == (403 if opts.model_name in made_by_services else 200), opts.label
        obj = model.objects.first()
        assert client.get(reverse(f"{base}_change", args=[obj.pk])).status_code == 200, opts.label


def test_an_appointment_page_links_its_plan_and_says_when_the_plan_is_under_review(
    client, plan, physician, front_desk, physiotherapist, django_capture_on_commit_callbacks
):
    [appointment] = services.book_appointments(
        plan=plan,
        slots=[services.Slot("PT", physiotherapist.pk, at(next_monday(), 9), 45)],
        by=front_desk,
    )
    url = reverse("scheduling:appointment_detail", args=[appointment.pk])
    plan_page = reverse("plans:plan_detail", args=[plan.pk])
    timetable = reverse("scheduling:plan_timetable", args=[plan.pk])
    review_page = reverse("scheduling:plan_review", args=[plan.pk])
    text = page(client, physiotherapist, url).content.decode()
    assert f'href="{plan_page}"' in text and f'href="{timetable}"' in text
    assert "Under review" not in text
    # Front desk books but does not open plan pages.
    text = page(client, front_desk, url).content.decode()
    assert f'href="{plan_page}"' not in text and f'href="{timetable}"' in text
    with django_capture_on_commit_callbacks(execute=True):
        change_the_current_mix(plan, physician)
    response = page(client, front_desk, url)
    assert response.status_code == 200
    text = response.content.decode()
    assert "<strong>Under review:</strong> the plan changed after this appointment" in text
    assert "now has PT 3 and OT 2 a week." in text
    assert f'href="{review_page}"' in text
    # The therapist is told, without the review's link: reviewing is for those who book.
    text = page(client, physiotherapist, url).content.decode()
    assert "<strong>Under review:</strong>" in text and f'href="{review_page}"' not in text
    # Once the appointment happened, the review no longer concerns it.
    appointment.refresh_from_db()
    appointment.status = Appointment.Status.CANCELLED_BY_CLINIC
    appointment.save(update_fields=["status"])
    assert "Under review" not in page(client, front_desk, url).content.decode()


def test_a_proposed_rows_weekday_follows_the_date_typed():
    from scheduling.forms import ProposedRowForm

    assert ProposedRowForm(data={"date": "2026-12-15"}).weekday == "Tuesday"
    assert ProposedRowForm(data={"date": "15/12/2026"}).weekday == ""
    assert ProposedRowForm(initial={"date": datetime.date(2026, 12, 14)}).weekday == "Monday"


def test_an_appointment_of_a_plan_on_hold_offers_no_session_to_log(
    client, plan, physician, physiotherapist
):
    appointment = past_appointment(plan, physiotherapist, at(timezone.localdate(), 23, 30))
    plan_services.change_plan_status(
        plan=plan, status="on_hold", by=physician, reason="In hospital"
    )
    attended = reverse("scheduling:appointment_attended", args=[appointment.pk])
    worklist = page(client, physiotherapist, reverse("home")).content.decode()
    assert "Plan on hold: no session to log" in worklist
    assert attended not in worklist
    detail = reverse("scheduling:appointment_detail", args=[appointment.pk])
    text = page(client, physiotherapist, detail).content.decode()
    assert '<span class="badge text-bg-secondary">On hold</span>' in text
    assert attended not in text
    # Absent or cancelled can still be said: the timetable keeps what happened.
    assert "Patient absent" in text
