"""Logging, marking as missed and correcting therapy sessions through the web pages."""

import datetime
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from plans import services
from plans.models import TherapySession

TODAY = timezone.localdate


def log_url(plan, next_url=None):
    url = reverse("plans:session_log", args=[plan.pk])
    return f"{url}?next={next_url}" if next_url else url


def missed_url(plan):
    return reverse("plans:session_missed", args=[plan.pk])


def edit_url(session):
    return reverse("plans:session_edit", args=[session.pk])


def session_post(**overrides):
    """A complete, valid session as the form posts it."""
    data = {
        "date": TODAY().isoformat(),
        "start_time": "10:30",
        "duration_minutes": "50",
        "attendance": "attended",
        "focus_areas": ["standing", "walking"],
        "other_focus": "stairs, kerb step",
        "subjective": "Knee feels stiff in the morning.",
        "objective": "Walked 20 m with a frame, one helper.",
        "assessment": "Steadier than last week.",
        "plan_notes": "Practise sit to stand at home.",
        "pain_before": "6",
        "pain_after": "4",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def logged(plan, therapist, **overrides):
    fields = {"date": TODAY(), "duration_minutes": 45, "focus_areas": ["walking"]}
    fields.update(overrides)
    return services.log_session(plan=plan, therapist=therapist, logged_by=therapist, **fields)


def age(session, hours):
    TherapySession.objects.filter(pk=session.pk).update(
        created_at=timezone.now() - datetime.timedelta(hours=hours)
    )
    session.refresh_from_db()


# --- Logging a session -----------------------------------------------------


@pytest.mark.django_db
def test_log_form_shows_patient_stage_focus_and_the_stages_defaults(client, plan, physiotherapist):
    plan.stages.filter(order=1).update(pt_minutes_per_session=60)
    client.force_login(physiotherapist)
    response = client.get(log_url(plan))
    page = response.content.decode()
    assert response.status_code == 200
    assert plan.patient.full_name in page and plan.patient.record_number in page
    assert "Stage 1" in page and "Physiotherapy focus" in page
    for area in ("standing", "walking", "balance"):
        assert f'value="{area}"' in page
    assert "dressing" not in page  # the OT focus belongs to the other discipline
    assert 'name="duration_minutes" value="60"' in page
    assert f'value="{TODAY().isoformat()}"' in page
    assert 'type="date"' in page and 'type="time"' in page
    assert 'name="discipline"' not in page  # set from the role, never chosen
    for hint in ("Subjective", "Objective", "Assessment", "Plan", "Pain before (0–10)"):
        assert hint in page
    assert not TherapySession.objects.exists()


@pytest.mark.django_db
def test_occupational_therapist_is_offered_the_ot_focus_areas(client, plan, occupational_therapist):
    client.force_login(occupational_therapist)
    page = client.get(log_url(plan)).content.decode()
    assert "Log an occupational therapy session" in page
    assert "Occupational therapy focus" in page
    assert 'value="dressing"' in page and 'value="safe transfers"' in page
    assert 'value="walking"' not in page


@pytest.mark.django_db
def test_therapist_logs_a_session_and_returns_to_the_worklist(client, plan, physiotherapist):
    client.force_login(physiotherapist)
    response = client.post(log_url(plan), session_post())
    assert response.status_code == 302
    assert response.url == reverse("home")
    session = TherapySession.objects.get()
    assert session.plan == plan
    assert session.therapist == physiotherapist and session.logged_by == physiotherapist
    assert session.discipline == "PT"
    assert session.plan_stage == plan.stages.get(order=1)
    assert session.date == TODAY()
    assert session.start_time == datetime.time(10, 30)
    assert session.duration_minutes == 50
    assert session.attendance == "attended"
    assert session.focus_areas == ["standing", "walking", "stairs", "kerb step"]
    assert session.subjective == "Knee feels stiff in the morning."
    assert session.plan_notes == "Practise sit to stand at home."
    assert (session.pain_before, session.pain_after) == (6, 4)
    followed = client.get(response.url)
    assert f"Session logged for {plan.patient.full_name}" in followed.content.decode()


@pytest.mark.django_db
def test_occupational_therapist_logs_an_ot_session(client, plan, occupational_therapist):
    client.force_login(occupational_therapist)
    response = client.post(
        log_url(plan),
        session_post(focus_areas=["dressing"], other_focus="", pain_before="", pain_after=""),
    )
    assert response.status_code == 302
    session = TherapySession.objects.get()
    assert session.discipline == "OT"
    assert session.focus_areas == ["dressing"]
    assert session.pain_before is None and session.pain_after is None


@pytest.mark.django_db
def test_logging_goes_back_to_a_safe_next_page(client, plan, physiotherapist):
    client.force_login(physiotherapist)
    target = reverse("plans:plan_detail", args=[plan.pk])
    response = client.post(log_url(plan, next_url=target), session_post())
    assert response.status_code == 302
    assert response.url == target
    assert TherapySession.objects.count() == 1


@pytest.mark.django_db
def test_logging_ignores_a_next_page_on_another_site(client, plan, physiotherapist):
    client.force_login(physiotherapist)
    response = client.post(log_url(plan), session_post(next="https://elsewhere.example/steal"))
    assert response.status_code == 302
    assert response.url == reverse("home")
    assert TherapySession.objects.count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        (
            {"date": (datetime.date.today() + datetime.timedelta(days=2)).isoformat()},
            "date",
            "A session cannot be logged for a future date.",
        ),
        ({"duration_minutes": "4"}, "duration_minutes", "A session lasts at least 5 minutes."),
        ({"duration_minutes": "241"}, "duration_minutes", "A session lasts at most 240 minutes."),
        ({"duration_minutes": ""}, "duration_minutes", "This field is required."),
        ({"pain_before": "11"}, "pain_before", "Pain is scored from 0 to 10."),
        ({"pain_after": "-1"}, "pain_after", "Pain is scored from 0 to 10."),
        ({"date": "2000-01-01"}, "date", "This date is before the plan started"),
    ],
)
def test_bad_values_are_refused_next_to_their_field_and_nothing_is_saved(
    client, plan, physiotherapist, overrides, field, message
):
    client.force_login(physiotherapist)
    response = client.post(log_url(plan), session_post(**overrides))
    assert response.status_code == 200
    assert message in response.content.decode()
    # Said at the top too: the field may be a screen below on a phone.
    assert "Nothing was saved. Please correct the marked fields." in response.content.decode()
    form = response.context["form"]
    assert any(message in error for error in form.errors[field])
    assert not TherapySession.objects.exists()


@pytest.mark.django_db
def test_form_fields_carry_their_limits(client, plan, physiotherapist):
    client.force_login(physiotherapist)
    page = client.get(log_url(plan)).content.decode()
    assert 'min="5"' in page and 'max="240"' in page
    assert 'min="0"' in page and 'max="10"' in page
    assert f'max="{TODAY().isoformat()}"' in page


@pytest.mark.django_db
def test_plan_on_hold_shows_the_refusal_instead_of_the_form(
    client, plan, physician, physiotherapist
):
    services.change_plan_status(plan=plan, status="on_hold", by=physician, reason="Admitted")
    client.force_login(physiotherapist)
    response = client.get(log_url(plan))
    page = response.content.decode()
    assert response.status_code == 200
    assert "This plan is on hold; sessions are logged on active plans only." in page
    assert 'name="duration_minutes"' not in page


@pytest.mark.django_db
def test_posting_to_a_plan_on_hold_is_refused_and_nothing_is_saved(
    client, plan, physician, physiotherapist
):
    services.change_plan_status(plan=plan, status="on_hold", by=physician, reason="Admitted")
    client.force_login(physiotherapist)
    response = client.post(log_url(plan), session_post())
    assert response.status_code == 200
    assert "This plan is on hold; sessions are logged on active plans only." in (
        response.content.decode()
    )
    assert response.context["form"].non_field_errors()
    assert not TherapySession.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("persona", ["physician", "front_desk", "therapist_not_on_plan"])
@pytest.mark.parametrize("method", ["get", "post"])
def test_only_a_therapist_allocated_to_the_plan_may_log(client, plan, request, persona, method):
    client.force_login(request.getfixturevalue(persona))
    response = getattr(client, method)(log_url(plan), session_post())
    assert response.status_code == 403
    assert not TherapySession.objects.exists()


@pytest.mark.django_db
def test_log_page_answers_other_methods_with_405(client, plan, physiotherapist):
    client.force_login(physiotherapist)
    assert client.put(log_url(plan)).status_code == 405
    assert client.delete(log_url(plan)).status_code == 405
    assert not TherapySession.objects.exists()


@pytest.mark.django_db
def test_log_page_of_a_missing_plan_is_404(client, physiotherapist):
    client.force_login(physiotherapist)
    assert client.get(reverse("plans:session_log", args=[99999])).status_code == 404


# --- One-click missed sessions ---------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("attendance", "message"),
    [
        ("patient_absent", "Patient absent recorded for"),
        ("cancelled_by_clinic", "Cancelled by clinic recorded for"),
    ],
)
def test_missed_session_is_recorded_in_one_click(
    client, plan, physiotherapist, attendance, message
):
    client.force_login(physiotherapist)
    response = client.post(missed_url(plan), {"attendance": attendance, "next": reverse("home")})
    assert response.status_code == 302
    assert response.url == reverse("home")
    session = TherapySession.objects.get()
    assert session.attendance == attendance
    assert session.date == TODAY()
    assert session.discipline == "PT" and session.therapist == physiotherapist
    assert session.duration_minutes == 45  # the stage's planned length
    followed = client.get(response.url).content.decode()
    assert f"{message} {plan.patient.full_name}" in followed


@pytest.mark.django_db
def test_missed_session_cannot_be_marked_attended(client, plan, physiotherapist):
    client.force_login(physiotherapist)
    response = client.post(missed_url(plan), {"attendance": "attended"})
    assert response.status_code == 400
    assert not TherapySession.objects.exists()


@pytest.mark.django_db
def test_missed_session_on_a_plan_on_hold_is_refused_with_a_message(
    client, plan, physician, physiotherapist
):
    services.change_plan_status(plan=plan, status="on_hold", by=physician, reason="Admitted")
    client.force_login(physiotherapist)
    response = client.post(missed_url(plan), {"attendance": "patient_absent"}, follow=True)
    assert response.status_code == 200
    assert "This plan is on hold; sessions are logged on active plans only." in (
        response.content.decode()
    )
    assert not TherapySession.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("persona", ["physician", "front_desk", "therapist_not_on_plan"])
def test_only_an_allocated_therapist_records_a_missed_session(client, plan, request, persona):
    client.force_login(request.getfixturevalue(persona))
    response = client.post(missed_url(plan), {"attendance": "patient_absent"})
    assert response.status_code == 403
    assert not TherapySession.objects.exists()


@pytest.mark.django_db
def test_missed_session_is_post_only(client, plan, physiotherapist):
    client.force_login(physiotherapist)
    assert client.get(missed_url(plan)).status_code == 405
    assert not TherapySession.objects.exists()


# --- Correcting a session --------------------------------------------------


@pytest.mark.django_db
def test_correction_form_is_prefilled_with_the_entry(client, plan, physiotherapist):
    session = logged(
        plan,
        physiotherapist,
        focus_areas=["walking", "stairs"],
        duration_minutes=40,
        subjective="Tired today.",
        pain_before=5,
    )
    client.force_login(physiotherapist)
    response = client.get(edit_url(session))
    page = response.content.decode()
    assert response.status_code == 200
    assert "Correct the physiotherapy session" in page
    assert 'name="duration_minutes" value="40"' in page
    assert "Tired today." in page
    assert re.search(r'value="walking"[^>]*checked', page)
    assert not re.search(r'value="standing"[^>]*checked', page)
    assert response.context["form"].initial["other_focus"] == "stairs"
    assert 'name="other_focus" value="stairs"' in page


@pytest.mark.django_db
def test_therapist_corrects_their_own_entry_within_a_day(client, plan, physiotherapist):
    session = logged(plan, physiotherapist, duration_minutes=40)
    age(session, hours=23)
    client.force_login(physiotherapist)
    response = client.post(
        edit_url(session),
        session_post(duration_minutes="55", focus_areas=["balance"], other_focus="", subjective=""),
    )
    assert response.status_code == 302
    assert response.url == reverse("home")
    session.refresh_from_db()
    assert session.duration_minutes == 55
    assert session.focus_areas == ["balance"]
    assert session.pain_before == 6
    assert TherapySession.objects.count() == 1
    followed = client.get(response.url).content.decode()
    assert "corrected for" in followed


@pytest.mark.django_db
def test_physician_corrects_any_entry_at_any_time(client, plan, physician, occupational_therapist):
    session = logged(plan, occupational_therapist, focus_areas=["dressing"])
    age(session, hours=24 * 10)
    client.force_login(physician)
    response = client.post(
        edit_url(session),
        session_post(
            attendance="patient_absent",
            focus_areas=[],
            other_focus="",
            duration_minutes="45",
        ),
    )
    assert response.status_code == 302
    assert response.url == reverse("plans:plan_detail", args=[plan.pk])
    session.refresh_from_db()
    assert session.attendance == "patient_absent"
    assert session.discipline == "OT" and session.therapist == occupational_therapist


@pytest.mark.django_db
def test_correction_refuses_a_future_date_next_to_the_field(client, plan, physiotherapist):
    session = logged(plan, physiotherapist)
    client.force_login(physiotherapist)
    future = (TODAY() + datetime.timedelta(days=1)).isoformat()
    response = client.post(edit_url(session), session_post(date=future))
    assert response.status_code == 200
    assert "A session cannot be logged for a future date." in response.content.decode()
    assert response.context["form"].errors["date"]
    session.refresh_from_db()
    assert session.date == TODAY()


@pytest.mark.django_db
def test_therapist_cannot_correct_their_entry_after_a_day(client, plan, physiotherapist):
    session = logged(plan, physiotherapist, duration_minutes=40)
    age(session, hours=25)
    client.force_login(physiotherapist)
    for response in (
        client.get(edit_url(session)),
        client.post(edit_url(session), session_post(duration_minutes="60")),
    ):
        assert response.status_code == 403
        assert "Entries older than 24 hours are corrected by a physician." in (
            response.content.decode()
        )
    session.refresh_from_db()
    assert session.duration_minutes == 40


@pytest.mark.django_db
@pytest.mark.parametrize(
    "persona", ["front_desk", "therapist_not_on_plan", "occupational_therapist"]
)
def test_others_cannot_correct_a_therapists_entry(client, plan, physiotherapist, request, persona):
    session = logged(plan, physiotherapist, duration_minutes=40)
    client.force_login(request.getfixturevalue(persona))
    assert client.get(edit_url(session)).status_code == 403
    response = client.post(edit_url(session), session_post(duration_minutes="60"))
    assert response.status_code == 403
    session.refresh_from_db()
    assert session.duration_minutes == 40


@pytest.mark.django_db
def test_correction_page_answers_other_methods_with_405(client, plan, physiotherapist):
    session = logged(plan, physiotherapist)
    client.force_login(physiotherapist)
    assert client.put(edit_url(session)).status_code == 405
    assert client.delete(edit_url(session)).status_code == 405
    assert TherapySession.objects.filter(pk=session.pk).exists()


@pytest.mark.django_db
def test_session_pages_send_an_anonymous_visitor_to_sign_in(client, plan, physiotherapist):
    session = logged(plan, physiotherapist)
    for url, method in (
        (log_url(plan), client.get),
        (missed_url(plan), client.post),
        (edit_url(session), client.get),
    ):
        response = method(url)
        assert response.status_code == 302
        assert response.url.startswith(reverse("login"))
    assert TherapySession.objects.count() == 1


@pytest.mark.django_db
def test_the_same_session_posted_twice_is_refused_next_to_its_start_time(
    client, plan, physiotherapist
):
    client.force_login(physiotherapist)
    assert client.post(log_url(plan), session_post()).status_code == 302
    response = client.post(log_url(plan), session_post())
    assert response.status_code == 200
    form = response.context["form"]
    assert any(
        "has already logged a session with this patient on" in error
        for error in form.errors["start_time"]
    )
    assert "Nothing was saved. Please correct the marked fields." in response.content.decode()
    assert TherapySession.objects.count() == 1
