"""REST API: plans with stages, allocations, the mix timeline and weekly figures,
and the physician's changes through plans.services."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from outcomes.models import StageExitCriterion
from plans import selectors, services
from plans.models import PlanStage, RehabPlan, StageMixChange, StageTransition
from tests import factories
from tests.api_clients import api_as

PLANS = "/api/v1/plans/"
TODAY = timezone.localdate


def error_fields(response) -> dict:
    return {item["field"]: item["code"] for item in response.json()["errors"]}


@pytest.mark.django_db
def test_physician_lists_every_plan_with_stages_and_timeline(physician, plan, protocol):
    other = factories.start_plan(protocol=protocol, lead_physician=physician)
    response = api_as(physician).get(PLANS)
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 2
    assert {row["id"] for row in body["results"]} == {plan.pk, other.pk}
    row = next(row for row in body["results"] if row["id"] == plan.pk)
    assert row["current_stage_order"] == 1
    assert [s["pt_sessions_per_week"] for s in row["stages"]] == [6, 5, 3]
    allocations = row["stages"][0]["allocations"]
    assert {a["discipline"]: a["therapist"]["username"] for a in allocations} == {
        "PT": "pt.sharma",
        "OT": "ot.menon",
    }
    timeline = row["mix_timeline"]
    assert [(t["order"], t["lead"], t["projected"]) for t in timeline] == [
        (1, "PT-led", True),
        (2, "Balanced", True),
        (3, "OT-led", True),
    ]
    assert timeline[0]["starts"] == plan.start_date.isoformat()


@pytest.mark.django_db
def test_therapist_lists_only_allocated_plans(occupational_therapist, plan, protocol):
    factories.start_plan(protocol=protocol)
    body = api_as(occupational_therapist).get(PLANS).json()
    assert [row["id"] for row in body["results"]] == [plan.pk]


@pytest.mark.django_db
def test_front_desk_and_unallocated_therapist_are_refused(front_desk, therapist_not_on_plan, plan):
    assert api_as(front_desk).get(PLANS).status_code == 403
    response = api_as(therapist_not_on_plan).get(f"{PLANS}{plan.pk}/")
    assert response.status_code == 403
    [error] = response.json()["errors"]
    assert error["code"] == "permission_denied"
    assert error["message"] == (
        "A plan is read by rehab physicians and the therapists allocated to it."
    )
    assert api_as(therapist_not_on_plan).get(PLANS).json()["count"] == 0


@pytest.mark.django_db
def test_plan_detail_has_allocated_against_delivered_weeks(physiotherapist, plan):
    services.log_session(
        plan=plan,
        therapist=physiotherapist,
        logged_by=physiotherapist,
        date=TODAY(),
        duration_minutes=45,
    )
    response = api_as(physiotherapist).get(f"{PLANS}{plan.pk}/", {"weeks": 3})
    assert response.status_code == 200
    weeks = response.json()["weeks"]
    assert len(weeks) == 3
    this_week = {d["discipline"]: d for d in weeks[-1]["disciplines"]}
    assert this_week["PT"]["allocated_sessions"] == 6
    assert this_week["PT"]["delivered_sessions"] == 1
    assert this_week["PT"]["delivered_minutes"] == 45
    assert this_week["OT"]["delivered_sessions"] == 0


@pytest.mark.django_db
def test_plan_detail_weeks_say_when_the_plan_was_on_hold(physician, plan):
    this_monday = selectors.week_start(TODAY())
    last_monday = this_monday - datetime.timedelta(weeks=1)
    assert plan.start_date <= last_monday
    services.change_plan_status(
        plan=plan, status="on_hold", by=physician, reason="In hospital", effective_date=last_monday
    )
    services.change_plan_status(
        plan=plan, status="active", by=physician, effective_date=this_monday
    )
    weeks = api_as(physician).get(f"{PLANS}{plan.pk}/", {"weeks": 2}).json()["weeks"]
    assert [week["on_hold"] for week in weeks] == [True, False]
    assert [d["allocated_sessions"] for d in weeks[0]["disciplines"]] == [0, 0]
    assert [d["allocated_sessions"] for d in weeks[1]["disciplines"]] == [6, 2]


@pytest.mark.django_db
def test_weeks_out_of_range_is_a_field_error(physician, plan):
    response = api_as(physician).get(f"{PLANS}{plan.pk}/", {"weeks": 99})
    assert response.status_code == 400
    assert error_fields(response) == {"weeks": "invalid"}


@pytest.mark.django_db
def test_plan_filters_and_ordering(physician, physiotherapist, plan, protocol):
    other = factories.start_plan(protocol=protocol, start_date=TODAY() - datetime.timedelta(days=2))
    services.change_plan_status(plan=other, status="on_hold", by=physician, reason="Unwell")
    client = api_as(physician)
    ids = lambda params: [r["id"] for r in client.get(PLANS, params).json()["results"]]  # noqa: E731
    assert ids({"status": "on_hold"}) == [other.pk]
    assert ids({"patient": plan.patient_id}) == [plan.pk]
    assert ids({"therapist": physiotherapist.pk}) == [plan.pk]
    assert ids({"discipline": "OT"}) == [other.pk, plan.pk]
    since = (TODAY() - datetime.timedelta(days=5)).isoformat()
    assert ids({"start_date_after": since}) == [other.pk]
    assert ids({"ordering": "start_date"}) == [plan.pk, other.pk]


@pytest.mark.django_db
def test_plan_list_query_count_is_flat(physician, protocol, django_assert_max_num_queries):
    client = api_as(physician)
    factories.start_plan(protocol=protocol)
    with CaptureQueriesContext(connection) as small:
        client.get(PLANS)
    for _ in range(6):
        factories.start_plan(protocol=protocol)
    with django_assert_max_num_queries(len(small)):
        body = client.get(PLANS).json()
    assert body["count"] == 7


@pytest.mark.django_db
def test_physician_starts_a_plan(physician, protocol, physiotherapist):
    diagnosis = factories.DiagnosisFactory(condition=protocol.condition)
    data = {
        "diagnosis": diagnosis.pk,
        "protocol": protocol.pk,
        "start_date": TODAY().isoformat(),
        "primary_concern": "pain_movement",
        "physiotherapist": physiotherapist.pk,
    }
    response = api_as(physician).post(PLANS, data, format="json")
    assert response.status_code == 201, response.json()
    plan = RehabPlan.objects.get(pk=response.json()["id"])
    assert (plan.patient, plan.lead_physician, plan.status) == (
        diagnosis.patient,
        physician,
        "active",
    )
    assert plan.allocated_therapist("PT") == physiotherapist
    again = api_as(physician).post(PLANS, data, format="json")
    assert again.status_code == 400
    assert error_fields(again) == {"diagnosis": "active_plan_exists"}
    assert RehabPlan.objects.count() == 1


@pytest.mark.django_db
def test_starting_a_plan_refuses_a_therapist_of_the_wrong_discipline(
    physician, protocol, occupational_therapist
):
    diagnosis = factories.DiagnosisFactory(condition=protocol.condition)
    data = {
        "diagnosis": diagnosis.pk,
        "protocol": protocol.pk,
        "start_date": TODAY().isoformat(),
        "primary_concern": "both",
        "physiotherapist": occupational_therapist.pk,
    }
    response = api_as(physician).post(PLANS, data, format="json")
    assert response.status_code == 400
    assert error_fields(response) == {"physiotherapist": "therapist_wrong_discipline"}
    assert not RehabPlan.objects.exists()


@pytest.mark.django_db
def test_therapist_cannot_start_or_change_a_plan(physiotherapist, plan):
    data = {"diagnosis": plan.diagnosis_id, "protocol": plan.protocol_id}
    assert api_as(physiotherapist).post(PLANS, data, format="json").status_code == 403
    response = api_as(physiotherapist).post(f"{PLANS}{plan.pk}/advance/", {}, format="json")
    assert response.status_code == 403
    assert plan.stages.get(status="current").order == 1


@pytest.mark.django_db
def test_advance_and_go_back_with_a_reason(physician, plan):
    client = api_as(physician)
    response = client.post(f"{PLANS}{plan.pk}/advance/", {}, format="json")
    assert response.status_code == 200
    assert response.json()["current_stage_order"] == 2
    back = client.post(f"{PLANS}{plan.pk}/advance/", {"to_order": 1}, format="json")
    assert back.status_code == 400
    assert error_fields(back) == {"reason": "reason_required"}
    assert plan.stages.get(status="current").order == 2
    assert StageTransition.objects.filter(plan=plan).count() == 2


@pytest.mark.django_db
def test_advance_against_measured_criteria_needs_a_reason(physician, plan):
    StageExitCriterion.objects.create(
        protocol_stage=plan.protocol.stages.get(order=1),
        measure="berg",
        comparison=StageExitCriterion.Comparison.AT_LEAST,
        value=45,
    )
    client = api_as(physician)
    refused = client.post(f"{PLANS}{plan.pk}/advance/", {}, format="json")
    assert refused.status_code == 400
    assert error_fields(refused) == {"reason": "reason_required_against_criteria"}
    assert plan.stages.get(status="current").order == 1
    response = client.post(
        f"{PLANS}{plan.pk}/advance/", {"reason": "Team review: safe at home"}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["current_stage_order"] == 2
    assert StageTransition.objects.filter(plan=plan).first().reason == "Team review: safe at home"


@pytest.mark.django_db
def test_status_change_allocate_and_individualise(physician, plan, therapist_not_on_plan):
    client = api_as(physician)
    stage = plan.stages.get(order=1)
    response = client.post(
        f"{PLANS}{plan.pk}/individualise/",
        {
            "stage": stage.pk,
            "pt_sessions_per_week": 4,
            "ot_sessions_per_week": 4,
            "reason": "Tired",
        },
        format="json",
    )
    assert response.status_code == 200
    stage.refresh_from_db()
    assert (stage.pt_sessions_per_week, stage.ot_sessions_per_week) == (4, 4)
    assert StageMixChange.objects.filter(plan_stage=stage).count() == 1
    response = client.post(
        f"{PLANS}{plan.pk}/allocate/",
        {"discipline": "PT", "therapist": therapist_not_on_plan.pk},
        format="json",
    )
    assert response.status_code == 200
    plan = RehabPlan.objects.get(pk=plan.pk)
    assert plan.allocated_therapist("PT") == therapist_not_on_plan
    response = client.post(f"{PLANS}{plan.pk}/status/", {"status": "on_hold"}, format="json")
    assert error_fields(response) == {"reason": "reason_required"}
    response = client.post(
        f"{PLANS}{plan.pk}/status/", {"status": "on_hold", "reason": "In hospital"}, format="json"
    )
    assert response.status_code == 200
    plan.refresh_from_db()
    assert plan.status == "on_hold"


@pytest.mark.django_db
def test_individualise_refuses_another_plans_stage(physician, plan, protocol):
    other = factories.start_plan(protocol=protocol)
    stage = other.stages.get(order=1)
    response = api_as(physician).post(
        f"{PLANS}{plan.pk}/individualise/",
        {"stage": stage.pk, "pt_sessions_per_week": 1, "ot_sessions_per_week": 1, "reason": "x"},
        format="json",
    )
    assert response.status_code == 400
    assert error_fields(response) == {"stage": "no_such_stage"}
    assert PlanStage.objects.get(pk=stage.pk).pt_sessions_per_week == 6


@pytest.mark.django_db
def test_plans_cannot_be_deleted_or_replaced(physician, plan):
    client = api_as(physician)
    assert client.delete(f"{PLANS}{plan.pk}/").status_code == 405
    assert client.put(f"{PLANS}{plan.pk}/", {}, format="json").status_code == 405
    assert RehabPlan.objects.filter(pk=plan.pk).exists()


@pytest.mark.django_db
def test_a_misspelt_field_of_an_action_is_refused_not_ignored(physician, plan):
    # "to_stage" for "to_order": ignored, the plan would have moved to the next stage.
    response = api_as(physician).post(
        f"{PLANS}{plan.pk}/advance/", {"to_stage": 3, "reason": "Fast progress"}, format="json"
    )
    assert response.status_code == 400
    assert {e["field"]: e["code"] for e in response.json()["errors"]} == {
        "to_stage": "unknown_field"
    }
    plan.refresh_from_db()
    assert plan.current_stage.order == 1
