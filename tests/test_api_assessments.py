"""REST API: assessments (recorded through outcomes.services.record_assessment with
the plan page's rules) and goals (read)."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from outcomes import measures
from outcomes import services as outcome_services
from outcomes.models import Assessment
from plans import services
from tests import factories
from tests.api_clients import api_as, assert_pages_by_cursor_without_counting, with_token

ASSESSMENTS = "/api/v1/assessments/"
GOALS = "/api/v1/goals/"
TODAY = timezone.localdate
BARTHEL = {
    "feeding": 10,
    "bathing": 5,
    "grooming": 5,
    "dressing": 5,
    "bowels": 10,
    "bladder": 10,
    "toilet_use": 5,
    "transfers": 10,
    "mobility": 10,
    "stairs": 0,
}


def assessment_data(plan, **changes) -> dict:
    return {
        "plan": plan.pk,
        "measure": "barthel",
        "date": TODAY().isoformat(),
        "item_scores": dict(BARTHEL),
        "notes": "Tired after lunch.",
        **changes,
    }


def error_fields(response) -> dict:
    return {item["field"]: item["code"] for item in response.json()["errors"]}


def record(plan, assessor, measure_key="nprs", item_scores=None, days_ago=0):
    return outcome_services.record_assessment(
        plan=plan,
        measure_key=measure_key,
        assessor=assessor,
        date=TODAY() - datetime.timedelta(days=days_ago),
        item_scores=item_scores or {"pain": 4},
    )


def set_goal(plan, by, **fields):
    return outcome_services.save_goal(
        plan=plan,
        by=by,
        discipline=fields.pop("discipline", "PT"),
        family=fields.pop("family", "move_better"),
        description=fields.pop("description", "Walk to the temple with a stick"),
        target_date=fields.pop("target_date", TODAY() + datetime.timedelta(weeks=6)),
        **fields,
    )


# --- Recording ---------------------------------------------------------------------


@pytest.mark.django_db
def test_therapist_records_a_barthel_with_a_token_and_the_server_computes_the_total(
    occupational_therapist, plan
):
    response = with_token(occupational_therapist).post(
        ASSESSMENTS, assessment_data(plan), format="json"
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assessment = Assessment.objects.get(pk=body["id"])
    assert (assessment.assessor, assessment.measure, assessment.total) == (
        occupational_therapist,
        "barthel",
        70,
    )
    assert assessment.item_scores == BARTHEL
    assert assessment.plan_stage == plan.stages.get(order=1)
    assert assessment.notes == "Tired after lunch."
    assert body["total"] == "70.00"
    assert body["band"] == "Moderate dependency"
    assert body["measure_name"] == "Barthel Index"
    assert body["items"][0] == {
        "item": "feeding",
        "label": "Feeding",
        "value": "10",
        "meaning": "Independent",
    }
    assert body["patient"]["id"] == plan.patient_id
    assert body["plan_stage"]["order"] == 1


@pytest.mark.django_db
def test_a_physician_records_a_timed_test(physician, plan):
    data = assessment_data(plan, measure="tug", item_scores={"seconds": "14.5"}, notes="")
    response = api_as(physician).post(ASSESSMENTS, data, format="json")
    assert response.status_code == 201, response.json()
    assessment = Assessment.objects.get()
    assert (assessment.assessor, str(assessment.total)) == (physician, "14.50")


@pytest.mark.django_db
def test_a_wrong_item_value_is_refused_on_that_item(occupational_therapist, plan):
    scores = {**BARTHEL, "feeding": 7}
    response = api_as(occupational_therapist).post(
        ASSESSMENTS, assessment_data(plan, item_scores=scores), format="json"
    )
    assert response.status_code == 400
    assert response.json()["errors"] == [
        {
            "field": "item_scores.feeding",
            "code": "item_not_allowed",
            "message": "Feeding: 7 is not an allowed score; choose 0, 5 or 10.",
        }
    ]
    assert not Assessment.objects.exists()


@pytest.mark.django_db
def test_a_missing_item_an_unknown_item_and_a_future_date_name_their_fields(
    occupational_therapist, plan
):
    client = api_as(occupational_therapist)
    scores = {key: value for key, value in BARTHEL.items() if key != "stairs"}
    tomorrow = (TODAY() + datetime.timedelta(days=1)).isoformat()
    response = client.post(
        ASSESSMENTS, assessment_data(plan, item_scores=scores, date=tomorrow), format="json"
    )
    assert response.status_code == 400
    assert error_fields(response) == {
        "date": "date_in_future",
        "item_scores.stairs": "item_missing",
    }
    unknown = client.post(
        ASSESSMENTS,
        assessment_data(plan, item_scores={**BARTHEL, "singing": 5}),
        format="json",
    )
    assert unknown.status_code == 400
    assert error_fields(unknown) == {"item_scores": "item_unknown"}
    not_a_dict = client.post(ASSESSMENTS, assessment_data(plan, item_scores=[1]), format="json")
    assert not_a_dict.status_code == 400
    assert list(error_fields(not_a_dict)) == ["item_scores"]
    assert not Assessment.objects.exists()


@pytest.mark.django_db
def test_an_unknown_measure_and_a_missing_field_are_field_errors(physiotherapist, plan):
    client = api_as(physiotherapist)
    response = client.post(ASSESSMENTS, assessment_data(plan, measure="fim"), format="json")
    assert response.status_code == 400
    assert error_fields(response) == {"measure": "unknown_measure"}
    assert response.json()["errors"][0]["message"] == "There is no measure fim."
    data = assessment_data(plan)
    del data["date"]
    missing = client.post(ASSESSMENTS, data, format="json")
    assert missing.status_code == 400
    assert error_fields(missing) == {"date": "required"}
    gas = client.post(ASSESSMENTS, assessment_data(plan, measure="gas"), format="json")
    assert error_fields(gas) == {"measure": "measure_not_recordable"}
    assert not Assessment.objects.exists()


@pytest.mark.django_db
def test_a_plan_on_hold_takes_no_assessment(physician, physiotherapist, plan):
    services.change_plan_status(plan=plan, status="on_hold", by=physician, reason="Unwell")
    data = assessment_data(plan, measure="nprs", item_scores={"pain": 3})
    response = api_as(physiotherapist).post(ASSESSMENTS, data, format="json")
    assert response.status_code == 400
    assert response.json()["errors"] == [
        {
            "field": None,
            "code": "plan_not_active",
            "message": "This plan is on hold; assessments are recorded on active plans only.",
        }
    ]
    assert not Assessment.objects.exists()


@pytest.mark.django_db
def test_front_desk_and_a_therapist_not_on_the_plan_cannot_record(
    front_desk, therapist_not_on_plan, plan
):
    for user in (front_desk, therapist_not_on_plan):
        response = api_as(user).post(ASSESSMENTS, assessment_data(plan), format="json")
        assert response.status_code == 403
        assert response.json()["errors"][0]["code"] == "permission_denied"
    assert not Assessment.objects.exists()


@pytest.mark.django_db
def test_an_anonymous_client_is_told_to_authenticate(plan, physiotherapist):
    assessment = record(plan, physiotherapist)
    client = APIClient()
    for response in (
        client.get(ASSESSMENTS),
        client.get(f"{ASSESSMENTS}{assessment.pk}/"),
        client.post(ASSESSMENTS, assessment_data(plan), format="json"),
        client.get(GOALS),
    ):
        assert response.status_code == 401
        assert response.json()["errors"][0]["code"] == "not_authenticated"
    assert Assessment.objects.count() == 1


@pytest.mark.django_db
def test_assessments_are_never_changed_or_deleted_through_the_api(physician, physiotherapist, plan):
    assessment = record(plan, physiotherapist)
    url = f"{ASSESSMENTS}{assessment.pk}/"
    client = api_as(physician)
    assert client.patch(url, {"notes": "x"}, format="json").status_code == 405
    assert client.delete(url).status_code == 405
    assessment.refresh_from_db()
    assert assessment.notes == ""


# --- Reading -------------------------------------------------------------------------


@pytest.mark.django_db
def test_assessment_list_follows_access(
    physician, physiotherapist, therapist_not_on_plan, front_desk, plan, protocol
):
    mine = record(plan, physiotherapist)
    other_plan = factories.start_plan(protocol=protocol, physiotherapist=therapist_not_on_plan)
    theirs = record(other_plan, therapist_not_on_plan)
    ids = lambda user: [r["id"] for r in api_as(user).get(ASSESSMENTS).json()["results"]]  # noqa: E731
    assert ids(physiotherapist) == [mine.pk]
    assert set(ids(physician)) == {mine.pk, theirs.pk}
    assert api_as(front_desk).get(ASSESSMENTS).status_code == 403
    assert api_as(front_desk).get(f"{ASSESSMENTS}{mine.pk}/").status_code == 403
    assert api_as(physiotherapist).get(f"{ASSESSMENTS}{theirs.pk}/").status_code == 403
    detail = api_as(physiotherapist).get(f"{ASSESSMENTS}{mine.pk}/")
    assert detail.status_code == 200
    assert detail.json()["item_scores"] == {"pain": 4}
    assert api_as(physician).get(f"{ASSESSMENTS}999999/").status_code == 404


@pytest.mark.django_db
def test_assessment_filters_and_ordering(physician, physiotherapist, plan, protocol):
    old = record(plan, physiotherapist, days_ago=6)
    berg = record(
        plan,
        physiotherapist,
        "berg",
        {item.key: 3 for item in measures.BERG.items},
    )
    today = record(plan, physiotherapist)
    other = record(
        factories.start_plan(protocol=protocol, physiotherapist=physiotherapist), physiotherapist
    )
    client = api_as(physician)
    ids = lambda params: [r["id"] for r in client.get(ASSESSMENTS, params).json()["results"]]  # noqa: E731
    assert ids({"measure": "berg"}) == [berg.pk]
    assert set(ids({"plan": plan.pk})) == {old.pk, berg.pk, today.pk}
    assert ids({"patient": other.plan.patient_id}) == [other.pk]
    since = (TODAY() - datetime.timedelta(days=1)).isoformat()
    assert ids({"date_before": since}) == [old.pk]
    assert old.pk not in ids({"date_after": since})
    assert ids({"plan": plan.pk, "measure": "nprs", "ordering": "date"}) == [old.pk, today.pk]
    response = client.get(ASSESSMENTS, {"date_after": "not a date"})
    assert response.status_code == 400
    assert error_fields(response) == {"date_after": "invalid"}
    page = client.get(ASSESSMENTS, {"page_size": 2}).json()
    assert len(page["results"]) == 2 and page["next"]


@pytest.mark.django_db
def test_assessment_list_pages_by_cursor_newest_first_without_counting(
    physician, physiotherapist, plan
):
    assessments = [record(plan, physiotherapist, days_ago=days) for days in range(5)]
    assert_pages_by_cursor_without_counting(api_as(physician), ASSESSMENTS, assessments)


@pytest.mark.django_db
def test_assessment_list_query_count_is_flat(
    physician, physiotherapist, protocol, django_assert_max_num_queries
):
    client = api_as(physician)
    plan = factories.start_plan(protocol=protocol, physiotherapist=physiotherapist)
    record(plan, physiotherapist)
    with CaptureQueriesContext(connection) as small:
        client.get(ASSESSMENTS)
    for days in range(1, 9):
        other = factories.start_plan(protocol=protocol, physiotherapist=physiotherapist)
        record(other, physiotherapist, days_ago=days)
    with django_assert_max_num_queries(len(small)):
        body = client.get(ASSESSMENTS).json()
    assert len(body["results"]) == 9


@pytest.mark.django_db
def test_goals_are_read_by_the_plans_team(
    physician, physiotherapist, therapist_not_on_plan, front_desk, plan, protocol
):
    goal = set_goal(plan, physician, measure="berg", target_value=45)
    other_plan = factories.start_plan(protocol=protocol, physiotherapist=therapist_not_on_plan)
    theirs = set_goal(other_plan, physician, status="in_progress")
    mine = api_as(physiotherapist).get(GOALS)
    assert mine.status_code == 200
    assert [g["id"] for g in mine.json()["results"]] == [goal.pk]
    body = mine.json()["results"][0]
    assert body["target"] == "Berg Balance Scale ≥ 45"
    assert (body["status"], body["family"], body["discipline"]) == (
        "not_started",
        "move_better",
        "PT",
    )
    everyone = api_as(physician).get(GOALS, {"status": "in_progress"})
    assert [g["id"] for g in everyone.json()["results"]] == [theirs.pk]
    assert api_as(physician).get(GOALS, {"patient": plan.patient_id}).json()["count"] == 1
    assert api_as(front_desk).get(GOALS).status_code == 403
    assert api_as(front_desk).get(f"{GOALS}{goal.pk}/").status_code == 403
    assert api_as(therapist_not_on_plan).get(f"{GOALS}{goal.pk}/").status_code == 403
    assert api_as(physiotherapist).get(f"{GOALS}{goal.pk}/").json()["id"] == goal.pk
    refused = api_as(physician).post(GOALS, {"plan": plan.pk}, format="json")
    assert refused.status_code == 405
    assert plan.goals.count() == 1
