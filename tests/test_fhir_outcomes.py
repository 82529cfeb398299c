"""The FHIR read API for outcomes: an assessment is an Observation, a goal a Goal,
and the CarePlan references its goals. Every resource is validated with
fhir.resources' R4B models, as in tests/test_fhir_api.py."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from outcomes import measures
from outcomes import services as outcome_services
from tests import factories
from tests.test_fhir_api import fhir_as, validated

TODAY = timezone.localdate
LOINC = "http://loinc.org"
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


def record(plan, assessor, measure_key="nprs", item_scores=None, days_ago=0, notes=""):
    return outcome_services.record_assessment(
        plan=plan,
        measure_key=measure_key,
        assessor=assessor,
        date=TODAY() - datetime.timedelta(days=days_ago),
        item_scores=item_scores or {"pain": 4},
        notes=notes,
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


@pytest.mark.django_db
def test_metadata_offers_observation_and_goal_searched_by_patient():
    statement = validated(APIClient().get("/fhir/metadata"))
    offered = {r["type"]: r for r in statement["rest"][0]["resource"]}
    assert {p["name"] for p in offered["Observation"]["searchParam"]} == {
        "_id",
        "patient",
        "based-on",
    }
    assert {p["name"] for p in offered["Goal"]["searchParam"]} == {"_id", "patient"}
    assert offered["Goal"]["interaction"] == [{"code": "read"}, {"code": "search-type"}]


@pytest.mark.django_db
def test_a_barthel_is_a_survey_observation_with_loinc_codes_and_item_components(
    physician, occupational_therapist, plan
):
    assessment = record(
        plan, occupational_therapist, "barthel", BARTHEL, days_ago=1, notes="Tired after lunch."
    )
    observation = validated(fhir_as(physician).get(f"/fhir/Observation/{assessment.pk}"))
    assert observation["status"] == "final"
    assert observation["category"][0]["coding"][0] == {
        "system": "http://terminology.hl7.org/CodeSystem/observation-category",
        "code": "survey",
        "display": "Survey",
    }
    assert observation["code"]["coding"][0] == {
        "system": LOINC,
        "code": "96761-2",
        "display": "Barthel Index",
    }
    assert observation["code"]["coding"][1]["code"] == "barthel"
    assert observation["subject"]["reference"] == f"Patient/{plan.patient_id}"
    assert observation["basedOn"] == [{"reference": f"CarePlan/{plan.pk}"}]
    assert observation["effectiveDateTime"] == (TODAY() - datetime.timedelta(days=1)).isoformat()
    assert observation["performer"] == [
        {
            "reference": f"Practitioner/{occupational_therapist.pk}",
            "display": occupational_therapist.display_name,
        }
    ]
    assert observation["valueInteger"] == 70
    assert observation["interpretation"] == [{"text": "Moderate dependency"}]
    assert observation["note"] == [{"text": "Tired after lunch."}]
    components = observation["component"]
    assert len(components) == 10
    feeding = components[0]
    assert feeding["code"]["coding"][0] == {
        "system": LOINC,
        "code": "83184-2",
        "display": "Feeding",
    }
    assert feeding["code"]["coding"][1]["code"] == "barthel.feeding"
    assert feeding["valueInteger"] == 10
    assert [c["valueInteger"] for c in components] == list(BARTHEL.values())


@pytest.mark.django_db
def test_a_timed_walk_is_a_functioning_observation_in_a_local_code_system(
    physician, physiotherapist, plan
):
    assessment = record(
        plan, physiotherapist, "ten_metre_walk", {"pace": "comfortable", "seconds": "12.50"}
    )
    observation = validated(fhir_as(physician).get(f"/fhir/Observation/{assessment.pk}"))
    category = observation["category"][0]["coding"][0]
    assert (category["system"], category["code"]) == (
        "http://testserver/fhir/CodeSystem/observation-category",
        "functioning",
    )
    assert observation["code"]["coding"] == [
        {
            "system": "http://testserver/fhir/CodeSystem/outcome-measure",
            "code": "ten_metre_walk",
            "display": "10-Metre Walk Test",
        }
    ]
    assert observation["valueQuantity"] == {
        "value": 0.8,
        "unit": "m/s",
        "system": "http://unitsofmeasure.org",
        "code": "m/s",
    }
    pace, seconds = observation["component"]
    assert pace["valueCodeableConcept"]["coding"][0]["code"] == "ten_metre_walk.pace.comfortable"
    assert pace["valueCodeableConcept"]["text"] == "Comfortable pace"
    assert seconds["valueQuantity"] == {
        "value": 12.5,
        "unit": "seconds",
        "system": "http://unitsofmeasure.org",
        "code": "s",
    }


@pytest.mark.django_db
def test_observation_search_by_patient_and_plan_is_a_searchset(
    physician, physiotherapist, plan, protocol
):
    first = record(plan, physiotherapist, days_ago=2)
    second = record(plan, physiotherapist, "berg", {item.key: 3 for item in measures.BERG.items})
    other_plan = factories.start_plan(protocol=protocol, physiotherapist=physiotherapist)
    other = record(other_plan, physiotherapist)
    client = fhir_as(physician)
    bundle = validated(client.get("/fhir/Observation", {"patient": plan.patient_id}))
    assert (bundle["type"], bundle["total"]) == ("searchset", 2)
    assert [e["resource"]["id"] for e in bundle["entry"]] == [str(first.pk), str(second.pk)]
    assert bundle["entry"][1]["resource"]["valueInteger"] == 42
    by_plan = validated(client.get("/fhir/Observation", {"based-on": f"CarePlan/{other_plan.pk}"}))
    assert [e["resource"]["id"] for e in by_plan["entry"]] == [str(other.pk)]
    assert validated(client.get("/fhir/Observation"))["total"] == 3


@pytest.mark.django_db
def test_a_measured_goal_has_its_target_and_status(physician, physiotherapist, plan):
    goal = set_goal(plan, physician, measure="berg", target_value=45, status="in_progress")
    resource = validated(fhir_as(physiotherapist).get(f"/fhir/Goal/{goal.pk}"))
    assert resource["lifecycleStatus"] == "active"
    assert resource["achievementStatus"]["coding"][0] == {
        "system": "http://terminology.hl7.org/CodeSystem/goal-achievement",
        "code": "in-progress",
        "display": "In Progress",
    }
    assert resource["description"] == {"text": "Walk to the temple with a stick"}
    assert resource["subject"]["reference"] == f"Patient/{plan.patient_id}"
    (target,) = resource["target"]
    assert target["measure"]["coding"][0]["code"] == "berg"
    assert target["detailQuantity"] == {"value": 45.0, "comparator": ">="}
    assert target["dueDate"] == goal.target_date.isoformat()
    assert resource["category"][0]["coding"][0]["code"] == "move_better"
    assert resource["category"][1]["coding"][0]["code"] == "PT"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("status", "lifecycle", "achievement"),
    [
        ("not_started", "planned", None),
        ("achieved", "completed", "achieved"),
        ("discontinued", "cancelled", "not-achieved"),
    ],
)
def test_goal_status_maps_to_lifecycle_and_achievement(
    physician, plan, status, lifecycle, achievement
):
    goal = set_goal(plan, physician, status=status, gas_score=1 if status == "achieved" else None)
    resource = validated(fhir_as(physician).get(f"/fhir/Goal/{goal.pk}"))
    assert resource["lifecycleStatus"] == lifecycle
    if achievement is None:
        assert "achievementStatus" not in resource
    else:
        assert resource["achievementStatus"]["coding"][0]["code"] == achievement
    # Without a measure the goal still has its due date, and no measured detail.
    assert resource["target"] == [{"dueDate": goal.target_date.isoformat()}]
    if status == "achieved":
        assert resource["statusDate"] == TODAY().isoformat()
        assert resource["note"] == [{"text": "Goal attainment score at review: +1 (weight 1)."}]


@pytest.mark.django_db
def test_a_lower_is_better_goal_target_is_at_most(physician, plan):
    goal = set_goal(plan, physician, measure="tug", target_value="12.0")
    resource = validated(fhir_as(physician).get(f"/fhir/Goal/{goal.pk}"))
    assert resource["target"][0]["detailQuantity"] == {
        "value": 12.0,
        "comparator": "<=",
        "unit": "s",
        "system": "http://unitsofmeasure.org",
        "code": "s",
    }


@pytest.mark.django_db
def test_care_plan_references_its_goals_and_goals_are_searched_by_patient(
    physician, physiotherapist, plan, protocol
):
    later = set_goal(plan, physician, target_date=TODAY() + datetime.timedelta(weeks=8))
    sooner = set_goal(
        plan,
        physician,
        discipline="OT",
        family="live_independently",
        description="Dress without help",
    )
    other_plan = factories.start_plan(protocol=protocol, physiotherapist=physiotherapist)
    set_goal(other_plan, physician)
    client = fhir_as(physiotherapist)
    care_plan = validated(client.get(f"/fhir/CarePlan/{plan.pk}"))
    assert care_plan["goal"] == [
        {"reference": f"Goal/{sooner.pk}", "display": "Dress without help"},
        {"reference": f"Goal/{later.pk}", "display": "Walk to the temple with a stick"},
    ]
    bundle = validated(client.get("/fhir/Goal", {"patient": f"Patient/{plan.patient_id}"}))
    assert sorted(e["resource"]["id"] for e in bundle["entry"]) == sorted(
        [str(later.pk), str(sooner.pk)]
    )
    other = validated(client.get(f"/fhir/CarePlan/{other_plan.pk}"))
    assert len(other["goal"]) == 1
    bare = factories.start_plan(protocol=protocol, physiotherapist=physiotherapist)
    assert "goal" not in validated(client.get(f"/fhir/CarePlan/{bare.pk}"))


@pytest.mark.django_db
def test_outcomes_follow_the_access_rules(
    front_desk, therapist_not_on_plan, physiotherapist, physician, plan
):
    assessment = record(plan, physiotherapist)
    goal = set_goal(plan, physician)
    for url in (f"/fhir/Observation/{assessment.pk}", f"/fhir/Goal/{goal.pk}"):
        anonymous = validated(APIClient().get(url), status=401)
        assert anonymous["issue"][0]["code"] == "login"
        outsider = validated(fhir_as(therapist_not_on_plan).get(url), status=403)
        assert outsider["issue"][0]["code"] == "forbidden"
        validated(fhir_as(front_desk).get(url), status=403)
        validated(fhir_as(physiotherapist).get(url))
    for search in ("/fhir/Observation", "/fhir/Goal"):
        validated(fhir_as(front_desk).get(search), status=403)
        assert validated(fhir_as(therapist_not_on_plan).get(search))["total"] == 0
        validated(APIClient().get(search), status=401)
    missing = validated(fhir_as(physician).get("/fhir/Observation/999999"), status=404)
    assert "Observation/999999" in missing["issue"][0]["diagnostics"]


@pytest.mark.django_db
def test_observation_and_goal_searches_query_count_is_flat(
    physician, physiotherapist, plan, django_assert_max_num_queries
):
    client = fhir_as(physician)
    record(plan, physiotherapist)
    set_goal(plan, physician)
    searches = ("/fhir/Observation", "/fhir/Goal", "/fhir/CarePlan")
    small = {}
    for search in searches:
        with CaptureQueriesContext(connection) as captured:
            client.get(search)
        small[search] = len(captured)
    for days in range(1, 7):
        record(plan, physiotherapist, days_ago=days)
        set_goal(plan, physician, description=f"Goal {days}")
    for search in searches:
        with django_assert_max_num_queries(small[search]):
            bundle = validated(client.get(search))
        assert bundle["total"] >= 1
    assert validated(client.get("/fhir/Observation"))["total"] == 7
