"""Every main page asks the database a fixed number of questions, however many rows it shows.

Each page is requested at two sizes of the clinic (2 and 12 plans, sessions,
patients or protocols) and must stay under its pinned number of queries at both,
and ask exactly as many at 12 as at 2: an N+1 (a query per row) fails here before
it reaches a clinic with thousands of plans. `make bench` measures the same pages
at 5,000 plans and 500,000 sessions (see README, "Performance").

When a page legitimately needs one more query, raise its number below in the same
change and say why; never raise it to hide a query per row.
"""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from plans import selectors, services
from plans.models import PlanStage, Protocol, RehabPlan, TherapySession
from tests import factories

SMALL, LARGE = 2, 12

# The most queries each page may ask (sign-in session and user included).
PAGE_QUERIES = {
    "physician_home": 9,
    "attention_page": 5,
    "therapist_worklist": 9,
    # The plan's own queries plus the outcomes, timetable and history panels.
    "plan_page": 15,
    "patient_list": 6,
    "patient_search": 6,
    "patient_page": 11,
    "protocol_list": 4,
    "protocol_page": 7,
    "family_summary": 8,
    "session_log_form": 6,
}
API_QUERIES = {
    "api:patient-list": 5,
    "api:condition-list": 4,
    "api:protocol-list": 5,
    "api:plan-list": 6,
    "api:session-list": 3,  # paged by cursor: no count
}


def days_ago(days: int) -> datetime.date:
    return timezone.localdate() - datetime.timedelta(days=days)


def log(plan, therapist, day, attendance=TherapySession.Attendance.ATTENDED):
    return services.log_session(
        plan=plan,
        therapist=therapist,
        logged_by=therapist,
        date=day,
        duration_minutes=45,
        attendance=attendance,
        subjective="Walked to the window and back.",
    )


class Clinic:
    """The personas' clinic, grown to a size: that many plans (each with a PT
    and an OT session, the first plan with that many sessions of each), so that
    many patients, and that many published protocols."""

    def __init__(self, plan, protocol, physician, physiotherapist, occupational_therapist):
        self.plan = plan
        self.protocol = protocol
        self.physician = physician
        self.physiotherapist = physiotherapist
        self.occupational_therapist = occupational_therapist
        self.plans = [plan]
        self.protocols = [protocol]
        self.sessions_on_plan = 0

    def grow(self, size: int) -> "Clinic":
        while len(self.plans) < size:
            other = factories.start_plan(
                protocol=self.protocol,
                lead_physician=self.physician,
                physiotherapist=self.physiotherapist,
                occupational_therapist=self.occupational_therapist,
            )
            log(other, self.physiotherapist, days_ago(1))
            log(
                other,
                self.occupational_therapist,
                days_ago(2),
                TherapySession.Attendance.PATIENT_ABSENT,
            )
            self.plans.append(other)
        while self.sessions_on_plan < size:
            day = days_ago(self.sessions_on_plan % 14)
            log(self.plan, self.physiotherapist, day)
            log(self.plan, self.occupational_therapist, day)
            self.sessions_on_plan += 1
        while len(self.protocols) < size:
            self.protocols.append(
                factories.published_protocol(
                    mix=[(5, 2), (3, 4)], condition=self.protocol.condition, author=self.physician
                )
            )
        return self


@pytest.fixture
def clinic(plan, protocol, physician, physiotherapist, occupational_therapist):
    return Clinic(plan, protocol, physician, physiotherapist, occupational_therapist)


def page_request(name: str, clinic: Clinic):
    """(user, url, a text the page shows only when its rows are there)."""
    plan = clinic.plan
    patient = plan.patient
    newest = clinic.plans[-1].patient.full_name
    return {
        "physician_home": (clinic.physician, reverse("home"), newest),
        "attention_page": (clinic.physician, reverse("plans:attention"), newest),
        "therapist_worklist": (clinic.physiotherapist, reverse("home"), newest),
        "plan_page": (
            clinic.physician,
            reverse("plans:plan_detail", args=[plan.pk]),
            "Walked to the window",
        ),
        "patient_list": (clinic.physician, reverse("patients:list"), patient.record_number),
        "patient_search": (
            clinic.physician,
            reverse("patients:list") + "?q=RH-",
            patient.record_number,
        ),
        "patient_page": (
            clinic.physician,
            reverse("patients:detail", args=[patient.pk]),
            "Walked to the window",
        ),
        "protocol_list": (
            clinic.physician,
            reverse("plans:protocol_list"),
            str(clinic.protocols[-1].name),
        ),
        "protocol_page": (
            clinic.physician,
            reverse("plans:protocol_detail", args=[clinic.protocol.pk]),
            clinic.protocol.name,
        ),
        "family_summary": (
            clinic.physician,
            reverse("plans:family_summary", args=[plan.pk]),
            patient.full_name,
        ),
        "session_log_form": (
            clinic.physiotherapist,
            reverse("plans:session_log", args=[plan.pk]),
            patient.full_name,
        ),
    }[name]


def count_queries(client, url: str) -> tuple[int, str]:
    client.get(url)  # the first request of a session warms caches
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, f"{url} answered {response.status_code}"
    return len(captured), response.content.decode()


# --- Pages ------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("size", [SMALL, LARGE])
@pytest.mark.parametrize("name", sorted(PAGE_QUERIES))
def test_page_stays_within_its_pinned_query_count(
    client, clinic, django_assert_max_num_queries, name, size
):
    clinic.grow(size)
    user, url, shows = page_request(name, clinic)
    client.force_login(user)
    client.get(url)
    with django_assert_max_num_queries(PAGE_QUERIES[name]):
        response = client.get(url)
    assert response.status_code == 200
    assert shows in response.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize("name", sorted(PAGE_QUERIES))
def test_page_asks_as_many_queries_for_twelve_rows_as_for_two(client, clinic, name):
    clinic.grow(SMALL)
    user, url, _ = page_request(name, clinic)
    client.force_login(user)
    small, _ = count_queries(client, url)
    clinic.grow(LARGE)
    user, url, shows = page_request(name, clinic)
    large, page = count_queries(client, url)
    assert shows in page
    assert large == small, f"{name}: {small} queries for {SMALL} rows, {large} for {LARGE}"


@pytest.mark.django_db
def test_the_grown_clinic_really_holds_twelve_of_everything(clinic):
    clinic.grow(LARGE)
    assert RehabPlan.objects.filter(status=RehabPlan.Status.ACTIVE).count() == LARGE
    assert clinic.plan.sessions.count() == 2 * LARGE
    assert Protocol.objects.filter(status=Protocol.Status.PUBLISHED).count() == LARGE


# --- The REST API's lists -----------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("size", [SMALL, LARGE])
@pytest.mark.parametrize("name", sorted(API_QUERIES))
def test_api_list_stays_within_its_pinned_query_count(
    client, clinic, django_assert_max_num_queries, name, size
):
    clinic.grow(size)
    client.force_login(clinic.physician)
    url = reverse(name)
    client.get(url)
    with django_assert_max_num_queries(API_QUERIES[name]):
        response = client.get(url)
    assert response.status_code == 200
    assert len(response.json()["results"]) >= 1


@pytest.mark.django_db
@pytest.mark.parametrize("name", sorted(API_QUERIES))
def test_api_list_asks_as_many_queries_for_twelve_rows_as_for_two(client, clinic, name):
    clinic.grow(SMALL)
    client.force_login(clinic.physician)
    url = reverse(name)
    small, _ = count_queries(client, url)
    clinic.grow(LARGE)
    large, _ = count_queries(client, url)
    assert large == small, f"{name}: {small} queries for {SMALL} rows, {large} for {LARGE}"


# --- Every active plan's adherence in one query ---------------------------------------


@pytest.mark.django_db
def test_adherence_of_all_active_plans_matches_each_plans_own_week(
    clinic, physician, physiotherapist, occupational_therapist
):
    clinic.grow(LARGE)
    # A plan that moved on to stage 2 this week, one individualised, one started
    # after this week's Monday, one on hold (left out), one with missed sessions.
    today = timezone.localdate()
    monday = selectors.week_start(today)
    advanced = clinic.plans[1]
    services.advance_stage(plan=advanced, by=physician, reason="Walking well", effective_date=today)
    individualised = clinic.plans[2]
    services.individualise_stage_mix(
        stage=individualised.stages.get(status=PlanStage.Status.CURRENT),
        pt_sessions_per_week=4,
        ot_sessions_per_week=4,
        reason="Shoulder pain",
        by=physician,
    )
    late = factories.start_plan(
        protocol=clinic.protocol,
        lead_physician=physician,
        physiotherapist=physiotherapist,
        occupational_therapist=occupational_therapist,
        start_date=today,
    )
    log(late, physiotherapist, today)
    log(late, occupational_therapist, today, TherapySession.Attendance.CANCELLED_BY_CLINIC)
    on_hold = clinic.plans[3]
    services.change_plan_status(
        plan=on_hold, status=RehabPlan.Status.ON_HOLD, by=physician, reason="In hospital"
    )

    with CaptureQueriesContext(connection) as captured:
        rows = selectors.active_plan_adherence(today)
    assert len(captured) == 1

    active = RehabPlan.objects.filter(status=RehabPlan.Status.ACTIVE)
    assert sorted(row.plan_id for row in rows) == sorted(active.values_list("pk", flat=True))
    assert on_hold.pk not in {row.plan_id for row in rows}
    for row in rows:
        plan = selectors.plan_with_stages(RehabPlan.objects.filter(pk=row.plan_id)).get()
        week = selectors.plan_week(plan, monday)
        assert (row.pt_allocated, row.ot_allocated) == (
            week["PT"].allocated_sessions,
            week["OT"].allocated_sessions,
        ), plan
        assert (row.pt_allocated_minutes, row.ot_allocated_minutes) == (
            week["PT"].allocated_minutes,
            week["OT"].allocated_minutes,
        )
        assert (row.pt_delivered, row.ot_delivered) == (
            week["PT"].delivered_sessions,
            week["OT"].delivered_sessions,
        )
        assert (row.pt_delivered_minutes, row.ot_delivered_minutes) == (
            week["PT"].delivered_minutes,
            week["OT"].delivered_minutes,
        )
        assert (row.pt_missed, row.ot_missed) == (
            week["PT"].missed_sessions,
            week["OT"].missed_sessions,
        )
        assert row.adherence_percent == week.total.adherence_percent
    by_plan = {row.plan_id: row for row in rows}
    assert (by_plan[individualised.pk].pt_allocated, by_plan[individualised.pk].ot_allocated) == (
        4,
        4,
    )
    assert by_plan[late.pk].ot_missed == 1 and by_plan[late.pk].pt_delivered == 1


@pytest.mark.django_db
def test_adherence_of_all_active_plans_leaves_out_a_week_spent_on_hold(
    clinic, physician, physiotherapist
):
    clinic.grow(SMALL)
    this_monday = selectors.week_start(timezone.localdate())
    last_monday = this_monday - datetime.timedelta(weeks=1)
    plan = factories.start_plan(
        protocol=clinic.protocol,
        lead_physician=physician,
        physiotherapist=physiotherapist,
        start_date=last_monday - datetime.timedelta(weeks=1),
    )
    services.change_plan_status(
        plan=plan, status="on_hold", by=physician, reason="Ill", effective_date=last_monday
    )
    services.change_plan_status(
        plan=plan, status="active", by=physician, effective_date=this_monday
    )
    for monday, held in ((last_monday, True), (this_monday, False)):
        row = next(r for r in selectors.active_plan_adherence(monday) if r.plan_id == plan.pk)
        week = selectors.plan_week(selectors.plan_with_stages().get(pk=plan.pk), monday)
        assert week.on_hold == held
        assert (row.pt_allocated, row.ot_allocated) == (
            week["PT"].allocated_sessions,
            week["OT"].allocated_sessions,
        )
        assert (row.allocated == 0) == held


@pytest.mark.django_db
def test_adherence_of_all_active_plans_is_one_query_at_any_size(clinic):
    today = timezone.localdate()
    clinic.grow(SMALL)
    with CaptureQueriesContext(connection) as small:
        assert len(selectors.active_plan_adherence(today)) == SMALL
    clinic.grow(LARGE)
    with CaptureQueriesContext(connection) as large:
        assert len(selectors.active_plan_adherence(today)) == LARGE
    assert len(small) == len(large) == 1
