"""REST API: therapy sessions, logged and corrected through plans.services with
the web form's rules."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from plans import services
from plans.models import TherapySession
from tests import factories
from tests.api_clients import api_as, assert_pages_by_cursor_without_counting, with_token

SESSIONS = "/api/v1/sessions/"
TODAY = timezone.localdate


def session_data(plan, **changes) -> dict:
    return {
        "plan": plan.pk,
        "date": TODAY().isoformat(),
        "start_time": "10:30",
        "duration_minutes": 45,
        "focus_areas": ["standing", "stairs"],
        "subjective": "Feels steadier.",
        "pain_before": 4,
        "pain_after": 2,
        **changes,
    }


def error_fields(response) -> dict:
    return {item["field"]: item["code"] for item in response.json()["errors"]}


def log(plan, therapist, **changes):
    return services.log_session(
        plan=plan,
        therapist=therapist,
        logged_by=therapist,
        date=changes.pop("date", TODAY()),
        duration_minutes=changes.pop("duration_minutes", 45),
        **changes,
    )


@pytest.mark.django_db
def test_therapist_logs_their_own_session_with_a_token(physiotherapist, plan):
    response = with_token(physiotherapist).post(SESSIONS, session_data(plan), format="json")
    assert response.status_code == 201, response.json()
    session = TherapySession.objects.get(pk=response.json()["id"])
    assert (session.therapist, session.logged_by, session.discipline) == (
        physiotherapist,
        physiotherapist,
        "PT",
    )
    assert session.plan_stage == plan.stages.get(order=1)
    assert session.focus_areas == ["standing", "stairs"]
    assert (session.pain_before, session.pain_after) == (4, 2)
    assert response.json()["plan_stage"]["order"] == 1


@pytest.mark.django_db
def test_the_same_session_sent_twice_is_logged_once(physiotherapist, plan):
    client = with_token(physiotherapist)
    assert client.post(SESSIONS, session_data(plan), format="json").status_code == 201
    response = client.post(SESSIONS, session_data(plan), format="json")
    assert response.status_code == 400
    [error] = response.json()["errors"]
    assert (error["field"], error["code"]) == ("start_time", "session_already_logged")
    assert "has already logged a session with this patient on" in error["message"]
    assert TherapySession.objects.count() == 1
    # Another time the same day is another session; so is one without a time.
    later = session_data(plan, start_time="15:00")
    assert client.post(SESSIONS, later, format="json").status_code == 201
    untimed = session_data(plan, start_time=None)
    assert client.post(SESSIONS, untimed, format="json").status_code == 201
    # A correction cannot make one session the twin of another either.
    response = client.patch(
        f"{SESSIONS}{response_id(client, '15:00')}/", {"start_time": "10:30"}, format="json"
    )
    assert response.status_code == 400
    assert error_fields(response) == {"start_time": "session_already_logged"}
    assert TherapySession.objects.filter(start_time=datetime.time(10, 30)).count() == 1


def response_id(client, start_time: str) -> int:
    rows = client.get(SESSIONS).json()["results"]
    return next(row["id"] for row in rows if (row["start_time"] or "").startswith(start_time))


@pytest.mark.django_db
def test_a_future_date_is_refused_on_the_date_field(physiotherapist, plan):
    tomorrow = (TODAY() + datetime.timedelta(days=1)).isoformat()
    response = api_as(physiotherapist).post(
        SESSIONS, session_data(plan, date=tomorrow), format="json"
    )
    assert response.status_code == 400
    assert response.json()["errors"] == [
        {
            "field": "date",
            "code": "date_in_future",
            "message": "A session cannot be logged for a future date.",
        }
    ]
    assert not TherapySession.objects.exists()


@pytest.mark.django_db
def test_the_forms_limits_use_the_models_words(physiotherapist, plan):
    data = session_data(plan, duration_minutes=2, pain_before=11)
    response = api_as(physiotherapist).post(SESSIONS, data, format="json")
    assert response.status_code == 400
    messages = {item["field"]: item["message"] for item in response.json()["errors"]}
    assert messages == {
        "duration_minutes": "A session lasts at least 5 minutes.",
        "pain_before": "Pain is scored from 0 to 10.",
    }
    assert not TherapySession.objects.exists()


@pytest.mark.django_db
def test_a_plan_on_hold_takes_no_sessions(physician, physiotherapist, plan):
    services.change_plan_status(plan=plan, status="on_hold", by=physician, reason="Unwell")
    response = api_as(physiotherapist).post(SESSIONS, session_data(plan), format="json")
    assert response.status_code == 400
    assert error_fields(response) == {"plan": "plan_not_active"}
    assert not TherapySession.objects.exists()


@pytest.mark.django_db
def test_unallocated_therapist_and_physician_cannot_log(therapist_not_on_plan, physician, plan):
    for user in (therapist_not_on_plan, physician):
        response = api_as(user).post(SESSIONS, session_data(plan), format="json")
        assert response.status_code == 403
        [error] = response.json()["errors"]
        assert error["code"] == "permission_denied"
        assert "logged by a therapist allocated to the plan" in error["message"]
    assert not TherapySession.objects.exists()


@pytest.mark.django_db
def test_an_unknown_plan_is_a_field_error(physiotherapist, plan):
    data = {**session_data(plan), "plan": 999999}
    response = api_as(physiotherapist).post(SESSIONS, data, format="json")
    assert response.status_code == 400
    assert error_fields(response) == {"plan": "does_not_exist"}


@pytest.mark.django_db
def test_missed_session_is_logged_with_its_attendance(occupational_therapist, plan):
    data = session_data(plan, attendance="patient_absent", focus_areas=[])
    response = api_as(occupational_therapist).post(SESSIONS, data, format="json")
    assert response.status_code == 201
    session = TherapySession.objects.get()
    assert (session.attendance, session.discipline) == ("patient_absent", "OT")


@pytest.mark.django_db
def test_session_list_follows_access(
    physician, physiotherapist, therapist_not_on_plan, front_desk, plan, protocol
):
    mine = log(plan, physiotherapist)
    other_plan = factories.start_plan(protocol=protocol, physiotherapist=therapist_not_on_plan)
    theirs = log(other_plan, therapist_not_on_plan)
    ids = lambda user: [r["id"] for r in api_as(user).get(SESSIONS).json()["results"]]  # noqa: E731
    assert ids(physiotherapist) == [mine.pk]
    assert set(ids(physician)) == {mine.pk, theirs.pk}
    assert api_as(front_desk).get(SESSIONS).status_code == 403
    assert api_as(physiotherapist).get(f"{SESSIONS}{theirs.pk}/").status_code == 403
    assert api_as(physiotherapist).get(f"{SESSIONS}{mine.pk}/").status_code == 200


@pytest.mark.django_db
def test_session_filters(physician, physiotherapist, occupational_therapist, plan):
    early = log(plan, physiotherapist, date=TODAY() - datetime.timedelta(days=6))
    ot = log(plan, occupational_therapist, attendance="cancelled_by_clinic")
    pt_today = log(plan, physiotherapist)
    client = api_as(physician)
    ids = lambda params: [r["id"] for r in client.get(SESSIONS, params).json()["results"]]  # noqa: E731
    assert ids({"discipline": "OT"}) == [ot.pk]
    assert ids({"therapist": physiotherapist.pk, "ordering": "date"}) == [early.pk, pt_today.pk]
    since = (TODAY() - datetime.timedelta(days=1)).isoformat()
    assert set(ids({"date_after": since})) == {ot.pk, pt_today.pk}
    assert ids({"date_before": since}) == [early.pk]
    assert ids({"status": "cancelled_by_clinic"}) == [ot.pk]
    assert len(ids({"patient": plan.patient_id, "plan": plan.pk})) == 3
    # One day; and a bad bound is refused under its own name.
    assert set(ids({"date": TODAY().isoformat()})) == {ot.pk, pt_today.pk}
    response = client.get(SESSIONS, {"date_after": "not a date"})
    assert response.status_code == 400
    assert error_fields(response) == {"date_after": "invalid"}
    response = client.get(SESSIONS, {"discipline": "pt"})
    assert response.status_code == 400
    assert response.json()["errors"][0]["message"] == "Choose PT or OT (in capitals), not pt."


@pytest.mark.django_db
def test_session_list_query_count_is_flat(
    physician, physiotherapist, protocol, django_assert_max_num_queries
):
    client = api_as(physician)
    plan = factories.start_plan(protocol=protocol, physiotherapist=physiotherapist)
    log(plan, physiotherapist)
    with CaptureQueriesContext(connection) as small:
        client.get(SESSIONS)
    for days in range(1, 9):
        other = factories.start_plan(protocol=protocol, physiotherapist=physiotherapist)
        log(other, physiotherapist, date=TODAY() - datetime.timedelta(days=days))
    with django_assert_max_num_queries(len(small)):
        body = client.get(SESSIONS).json()
    assert len(body["results"]) == 9


@pytest.mark.django_db
def test_session_list_pages_by_cursor_newest_first_without_counting(
    physician, physiotherapist, plan
):
    sessions = [
        log(plan, physiotherapist, date=TODAY() - datetime.timedelta(days=days))
        for days in range(5)
    ]
    assert_pages_by_cursor_without_counting(api_as(physician), SESSIONS, sessions)


@pytest.mark.django_db
def test_therapist_corrects_their_entry_within_a_day(physiotherapist, plan):
    session = log(plan, physiotherapist)
    url = f"{SESSIONS}{session.pk}/"
    response = api_as(physiotherapist).patch(url, {"duration_minutes": 30}, format="json")
    assert response.status_code == 200
    session.refresh_from_db()
    assert session.duration_minutes == 30
    response = api_as(physiotherapist).patch(url, {"duration_minutes": 999}, format="json")
    assert error_fields(response) == {"duration_minutes": "max_value"}
    session.refresh_from_db()
    assert session.duration_minutes == 30


@pytest.mark.django_db
def test_an_old_entry_is_corrected_by_a_physician(physician, physiotherapist, plan):
    session = log(plan, physiotherapist)
    TherapySession.objects.filter(pk=session.pk).update(
        created_at=timezone.now() - datetime.timedelta(days=2)
    )
    url = f"{SESSIONS}{session.pk}/"
    response = api_as(physiotherapist).patch(url, {"duration_minutes": 30}, format="json")
    assert response.status_code == 403
    assert response.json()["errors"] == [
        {
            "field": None,
            "code": "correction_window_passed",
            "message": "Entries older than 24 hours are corrected by a physician.",
        }
    ]
    response = api_as(physician).patch(url, {"duration_minutes": 30}, format="json")
    assert response.status_code == 200
    session.refresh_from_db()
    assert session.duration_minutes == 30


@pytest.mark.django_db
def test_another_therapist_cannot_correct_and_sessions_are_never_deleted(
    occupational_therapist, physiotherapist, plan
):
    session = log(plan, physiotherapist)
    url = f"{SESSIONS}{session.pk}/"
    response = api_as(occupational_therapist).patch(url, {"duration_minutes": 5}, format="json")
    assert response.status_code == 403
    assert api_as(physiotherapist).delete(url).status_code == 405
    session.refresh_from_db()
    assert session.duration_minutes == 45


@pytest.mark.django_db
def test_a_field_the_request_cannot_set_is_refused_by_name(
    physiotherapist, occupational_therapist, plan
):
    client = with_token(physiotherapist)
    # Logged by the sender in their own discipline: naming another is refused, not dropped.
    sent = session_data(plan, discipline="OT", therapist=occupational_therapist.pk)
    response = client.post(SESSIONS, sent, format="json")
    assert response.status_code == 400
    assert error_fields(response) == {"discipline": "read_only", "therapist": "read_only"}
    response = client.post(SESSIONS, session_data(plan, minutes=45), format="json")
    assert response.status_code == 400
    assert error_fields(response) == {"minutes": "unknown_field"}
    assert not TherapySession.objects.exists()
    created = client.post(SESSIONS, session_data(plan), format="json").json()
    # What was read may be sent back as it was; changing whose session it is may not.
    url = f"{SESSIONS}{created['id']}/"
    response = client.patch(url, {**created, "duration_minutes": 40}, format="json")
    assert response.status_code == 200, response.json()
    other = factories.start_plan(protocol=plan.protocol)
    response = client.patch(url, {"plan": other.pk}, format="json")
    assert response.status_code == 400
    assert error_fields(response) == {"plan": "read_only"}
    session = TherapySession.objects.get()
    assert (session.plan, session.duration_minutes) == (plan, 40)


@pytest.mark.django_db
def test_a_note_longer_than_ten_thousand_characters_is_refused(physiotherapist, plan):
    client = with_token(physiotherapist)
    response = client.post(SESSIONS, session_data(plan, subjective="x" * 10_001), format="json")
    assert response.status_code == 400
    [error] = response.json()["errors"]
    assert (error["field"], error["code"]) == ("subjective", "max_length")
    assert error["message"] == "A note is at most 10000 characters (this one has 10001)."
    assert not TherapySession.objects.exists()
    response = client.post(SESSIONS, session_data(plan, subjective="x" * 10_000), format="json")
    assert response.status_code == 201
