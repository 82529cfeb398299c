"""The FHIR read API. Every resource it emits is parsed and validated with the
fhir.resources package (its R4B models: R4B changed none of these resources'
elements used here from R4 4.0.1)."""

import datetime
from urllib.parse import parse_qsl, urlsplit

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from fhir.resources.R4B import get_fhir_model_class
from rest_framework.test import APIClient

from interop import fhir_views
from outcomes import services as outcome_services
from plans import services
from tests import factories
from tests.api_clients import with_token as fhir_as

FHIR_JSON = "application/fhir+json"
TODAY = timezone.localdate


def validated(response, status=200) -> dict:
    """The response's resource, after fhir.resources accepted it (and each entry)."""
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith(FHIR_JSON)
    resource = response.json()
    get_fhir_model_class(resource["resourceType"]).model_validate(resource)
    for entry in resource.get("entry", []):
        inner = entry["resource"]
        get_fhir_model_class(inner["resourceType"]).model_validate(inner)
    return resource


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
def test_metadata_is_a_capability_statement_open_to_discovery():
    statement = validated(APIClient().get("/fhir/metadata"))
    assert statement["resourceType"] == "CapabilityStatement"
    assert statement["fhirVersion"] == "4.0.1"
    offered = {r["type"]: r for r in statement["rest"][0]["resource"]}
    assert set(offered) == {
        "Patient",
        "Practitioner",
        "Condition",
        "PlanDefinition",
        "CarePlan",
        "Procedure",
        "Observation",
        "Goal",
    }
    assert {p["name"] for p in offered["CarePlan"]["searchParam"]} == {"_id", "patient"}


@pytest.mark.django_db
def test_staff_are_practitioners_with_their_role_and_no_contact_details(
    physician, physiotherapist, front_desk, plan
):
    physiotherapist.email = "rahul@example.org"
    physiotherapist.save()
    practitioner = validated(fhir_as(physician).get(f"/fhir/Practitioner/{physiotherapist.pk}"))
    assert practitioner["name"] == [
        {"text": "Rahul Sharma", "family": "Sharma", "given": ["Rahul"]}
    ]
    assert practitioner["identifier"][0]["value"] == "pt.sharma"
    assert [q["code"]["text"] for q in practitioner["qualification"]] == ["Physiotherapist"]
    assert "telecom" not in practitioner and "rahul@example.org" not in str(practitioner)
    # Every reference to staff in a CarePlan resolves to one of them.
    care_plan = validated(fhir_as(physician).get(f"/fhir/CarePlan/{plan.pk}"))
    references = {care_plan["author"]["reference"]} | {
        performer["reference"]
        for activity in care_plan["activity"]
        for performer in activity["detail"].get("performer", [])
    }
    for reference in references:
        validated(fhir_as(physician).get(f"/fhir/{reference}"))
    found = validated(fhir_as(front_desk).get("/fhir/Practitioner", {"identifier": "pt.sharma"}))
    assert [e["resource"]["id"] for e in found["entry"]] == [str(physiotherapist.pk)]


@pytest.mark.django_db
def test_a_patient_is_not_a_practitioner_and_anonymous_clients_see_none(physician, plan):
    validated(fhir_as(physician).get("/fhir/Practitioner/999999"), status=404)
    validated(APIClient().get(f"/fhir/Practitioner/{physician.pk}"), status=401)


@pytest.mark.django_db
def test_patient_has_the_record_number_as_identifier(front_desk, plan):
    patient = validated(fhir_as(front_desk).get(f"/fhir/Patient/{plan.patient_id}"))
    assert patient["identifier"][0]["value"] == plan.patient.record_number
    assert patient["identifier"][0]["type"]["coding"][0]["code"] == "MR"
    assert patient["birthDate"] == "1958-04-12"
    assert patient["gender"] == "female"
    bundle = validated(
        fhir_as(front_desk).get("/fhir/Patient", {"identifier": plan.patient.record_number})
    )
    assert [e["resource"]["id"] for e in bundle["entry"]] == [str(plan.patient_id)]


@pytest.mark.django_db
def test_condition_has_icd10_onset_and_side(physician, plan):
    condition = validated(fhir_as(physician).get(f"/fhir/Condition/{plan.diagnosis_id}"))
    coding = condition["code"]["coding"][0]
    assert (coding["system"], coding["code"]) == ("http://hl7.org/fhir/sid/icd-10", "I63.9")
    assert condition["onsetDateTime"] == plan.diagnosis.onset_date.isoformat()
    assert condition["bodySite"] == [{"text": "Left side"}]
    assert condition["subject"]["reference"] == f"Patient/{plan.patient_id}"


@pytest.mark.django_db
def test_spinal_condition_carries_its_level_and_asia_grade(physician):
    sci = factories.ConditionFactory(name="Spinal cord injury", icd10_code="S14.1")
    diagnosis = factories.DiagnosisFactory(
        condition=sci, affected_side="not_applicable", spinal_cord_level="C5", asia_grade="C"
    )
    condition = validated(fhir_as(physician).get(f"/fhir/Condition/{diagnosis.pk}"))
    assert condition["bodySite"] == [{"text": "Spinal cord, neurological level C5"}]
    assert condition["stage"][0]["summary"]["text"].startswith("ASIA Impairment Scale C")


@pytest.mark.django_db
def test_plan_definition_has_a_stage_action_with_pt_and_ot_timing(physiotherapist, protocol):
    definition = validated(fhir_as(physiotherapist).get(f"/fhir/PlanDefinition/{protocol.pk}"))
    assert definition["status"] == "active"
    assert definition["version"] == "1"
    assert definition["type"]["coding"][0]["code"] == "clinical-protocol"
    stages = definition["action"]
    assert [a["title"] for a in stages] == ["Stage 1", "Stage 2", "Stage 3"]
    first_pt, first_ot = stages[0]["action"]
    assert first_pt["timingTiming"]["repeat"] == {
        "frequency": 6,
        "period": 1,
        "periodUnit": "wk",
        "duration": 45,
        "durationUnit": "min",
    }
    assert first_ot["timingTiming"]["repeat"]["frequency"] == 2
    assert first_pt["code"][0]["coding"][1] == {
        "system": "http://snomed.info/sct",
        "code": "91251008",
        "display": "Physical therapy procedure",
    }
    assert first_pt["description"] == "Focus areas: standing; walking; balance."
    assert first_pt["participant"][0]["role"]["text"] == "Physiotherapist"
    assert stages[1]["relatedAction"] == [{"actionId": "stage-1", "relationship": "after-end"}]
    assert "relatedAction" not in stages[0]


@pytest.mark.django_db
def test_exit_criteria_are_stop_conditions_and_a_zero_discipline_is_left_out(physician):
    draft = factories.ProtocolStageFactory(
        order=1, ot_sessions_per_week=0, exit_criteria="Berg 45 or more."
    ).protocol
    definition = validated(fhir_as(physician).get(f"/fhir/PlanDefinition/{draft.pk}"))
    assert definition["status"] == "draft"
    stage = definition["action"][0]
    assert stage["condition"][0]["kind"] == "stop"
    assert stage["condition"][0]["expression"]["description"] == "Berg 45 or more."
    assert [sub["id"] for sub in stage["action"]] == ["stage-1-pt"]


@pytest.mark.django_db
def test_care_plan_instantiates_its_plan_definition_with_individual_numbers(
    physician, physiotherapist, plan, protocol
):
    stage = plan.stages.get(order=1)
    services.individualise_stage_mix(
        stage=stage, pt_sessions_per_week=4, ot_sessions_per_week=3, reason="Tires", by=physician
    )
    care_plan = validated(fhir_as(physiotherapist).get(f"/fhir/CarePlan/{plan.pk}"))
    definition = validated(fhir_as(physiotherapist).get(f"/fhir/PlanDefinition/{protocol.pk}"))
    assert care_plan["instantiatesCanonical"] == [f"{definition['url']}|{definition['version']}"]
    assert (care_plan["status"], care_plan["intent"]) == ("active", "plan")
    assert care_plan["description"] == (
        "Main problem at intake: both movement and daily activities."
    )
    assert care_plan["subject"]["reference"] == f"Patient/{plan.patient_id}"
    assert care_plan["period"] == {"start": plan.start_date.isoformat()}
    assert care_plan["addresses"][0]["reference"] == f"Condition/{plan.diagnosis_id}"
    activities = care_plan["activity"]
    assert len(activities) == 6
    pt_now = activities[0]["detail"]
    assert pt_now["status"] == "in-progress"
    assert pt_now["scheduledTiming"]["repeat"]["frequency"] == 4
    assert pt_now["scheduledTiming"]["repeat"]["boundsPeriod"]["start"] == (
        plan.start_date.isoformat()
    )
    assert pt_now["performer"] == [
        {"reference": f"Practitioner/{physiotherapist.pk}", "display": "Rahul Sharma"}
    ]
    assert activities[1]["detail"]["scheduledTiming"]["repeat"]["frequency"] == 3
    assert "protocol has 6" in activities[0]["progress"][0]["text"]
    assert activities[2]["detail"]["status"] == "not-started"
    search = fhir_as(physiotherapist).get(
        "/fhir/PlanDefinition", {"url": definition["url"], "version": "1"}
    )
    assert [e["resource"]["id"] for e in validated(search)["entry"]] == [str(protocol.pk)]


@pytest.mark.django_db
def test_care_plan_status_follows_the_plan(physician, plan):
    services.change_plan_status(plan=plan, status="discontinued", by=physician, reason="Moved")
    care_plan = validated(fhir_as(physician).get(f"/fhir/CarePlan/{plan.pk}"))
    assert care_plan["status"] == "revoked"
    assert care_plan["period"]["end"] == TODAY().isoformat()
    statuses = [a["detail"]["status"] for a in care_plan["activity"]]
    assert statuses == [
        "completed",
        "completed",
        "cancelled",
        "cancelled",
        "cancelled",
        "cancelled",
    ]


@pytest.mark.django_db
def test_care_plan_search_by_patient_is_a_searchset_bundle(
    physician, occupational_therapist, plan, protocol
):
    other = factories.start_plan(protocol=protocol)
    bundle = validated(fhir_as(physician).get("/fhir/CarePlan", {"patient": plan.patient_id}))
    assert (bundle["resourceType"], bundle["type"], bundle["total"]) == ("Bundle", "searchset", 1)
    entry = bundle["entry"][0]
    assert entry["fullUrl"] == f"http://testserver/fhir/CarePlan/{plan.pk}"
    assert entry["search"] == {"mode": "match"}
    everything = validated(fhir_as(physician).get("/fhir/CarePlan"))
    assert everything["total"] == 2
    mine = validated(fhir_as(occupational_therapist).get("/fhir/CarePlan"))
    assert [e["resource"]["id"] for e in mine["entry"]] == [str(plan.pk)]
    reference = validated(
        fhir_as(physician).get("/fhir/CarePlan", {"patient": f"Patient/{other.patient_id}"})
    )
    assert [e["resource"]["id"] for e in reference["entry"]] == [str(other.pk)]
    # A record number is not an id: said, not answered with an empty Bundle.
    number = plan.patient.record_number
    response = fhir_as(physician).get("/fhir/CarePlan", {"patient": number})
    assert response.status_code == 400
    outcome = response.json()
    assert outcome["resourceType"] == "OperationOutcome"
    assert f"Patient?identifier={number}" in outcome["issue"][0]["diagnostics"]


def links(bundle) -> dict[str, dict[str, str]]:
    """Each Bundle.link relation with its query parameters."""
    return {
        link["relation"]: dict(parse_qsl(urlsplit(link["url"]).query)) for link in bundle["link"]
    }


@pytest.mark.django_db
def test_care_plan_search_answers_a_page_at_a_time_with_links(physician, protocol):
    plans = [factories.start_plan(protocol=protocol) for _ in range(5)]
    client = fhir_as(physician)
    first = validated(client.get("/fhir/CarePlan", {"_count": 2}))
    assert first["total"] == 5
    assert [e["resource"]["id"] for e in first["entry"]] == [str(p.pk) for p in plans[:2]]
    assert links(first) == {
        "self": {"_count": "2", "_offset": "0"},
        "first": {"_count": "2", "_offset": "0"},
        "next": {"_count": "2", "_offset": "2"},
        "last": {"_count": "2", "_offset": "4"},
    }
    last = validated(client.get("/fhir/CarePlan", links(first)["last"]))
    assert [e["resource"]["id"] for e in last["entry"]] == [str(plans[4].pk)]
    assert links(last)["previous"] == {"_count": "2", "_offset": "2"}
    assert "next" not in links(last)
    # The search's own parameters stay in every link.
    one = validated(client.get("/fhir/CarePlan", {"patient": plans[0].patient_id, "_count": 1}))
    assert one["total"] == 1 and links(one)["self"]["patient"] == str(plans[0].patient_id)


@pytest.mark.django_db
def test_searches_answer_a_default_page_and_cap_what_is_asked(physician, protocol, monkeypatch):
    monkeypatch.setattr(fhir_views, "DEFAULT_PAGE", 2)
    monkeypatch.setattr(fhir_views, "MAX_PAGE", 3)
    for _ in range(4):
        factories.start_plan(protocol=protocol)
    client = fhir_as(physician)
    assert len(validated(client.get("/fhir/CarePlan"))["entry"]) == 2
    capped = validated(client.get("/fhir/CarePlan", {"_count": 100}))
    assert len(capped["entry"]) == 3 and capped["total"] == 4
    assert links(capped)["next"]["_count"] == "3"


@pytest.mark.django_db
def test_count_zero_answers_the_total_only_and_a_bad_count_is_refused(physician, plan):
    client = fhir_as(physician)
    summary = validated(client.get("/fhir/CarePlan", {"_count": 0}))
    assert summary["total"] == 1
    assert summary["entry"] == []
    for bad in ("-1", "ten", "2.5"):
        outcome = validated(client.get("/fhir/CarePlan", {"_count": bad}), status=400)
        assert "_count must be one whole number" in outcome["issue"][0]["diagnostics"]
    outcome = validated(client.get("/fhir/Procedure", {"_offset": "x"}), status=400)
    assert outcome["issue"][0]["code"] == "invalid"


@pytest.mark.django_db
def test_procedures_for_attended_and_missed_sessions(physician, physiotherapist, plan):
    attended = log(
        plan,
        physiotherapist,
        start_time=datetime.time(10, 0),
        duration_minutes=40,
        focus_areas=["walking"],
        subjective="Better today.",
    )
    missed = log(plan, physiotherapist, attendance="patient_absent")
    procedure = validated(fhir_as(physician).get(f"/fhir/Procedure/{attended.pk}"))
    assert procedure["status"] == "completed"
    assert procedure["basedOn"] == [{"reference": f"CarePlan/{plan.pk}"}]
    assert procedure["performedPeriod"]["start"].startswith(f"{TODAY().isoformat()}T10:00:00")
    assert procedure["performedPeriod"]["end"].startswith(f"{TODAY().isoformat()}T10:40:00")
    assert procedure["performer"][0]["actor"] == {
        "reference": f"Practitioner/{physiotherapist.pk}",
        "display": "Rahul Sharma",
    }
    assert procedure["code"]["coding"][0]["code"] == "PT"
    assert procedure["note"] == [{"text": "Subjective: Better today."}]
    not_done = validated(fhir_as(physician).get(f"/fhir/Procedure/{missed.pk}"))
    assert not_done["status"] == "not-done"
    assert not_done["statusReason"]["coding"][0]["code"] == "patient_absent"
    assert not_done["performedPeriod"] == {"start": TODAY().isoformat()}
    bundle = validated(
        fhir_as(physician).get("/fhir/Procedure", {"based-on": f"CarePlan/{plan.pk}"})
    )
    assert bundle["total"] == 2


@pytest.mark.django_db
def test_unknown_ids_and_types_are_operation_outcomes(physician):
    outcome = validated(fhir_as(physician).get("/fhir/CarePlan/999999"), status=404)
    assert outcome["resourceType"] == "OperationOutcome"
    assert outcome["issue"][0]["code"] == "not-found"
    assert "CarePlan/999999" in outcome["issue"][0]["diagnostics"]
    validated(fhir_as(physician).get("/fhir/CarePlan/abc"), status=404)
    unknown = validated(fhir_as(physician).get("/fhir/Medication/1"), status=404)
    assert "does not offer Medication" in unknown["issue"][0]["diagnostics"]


@pytest.mark.django_db
def test_an_unknown_search_parameter_is_refused(physician):
    outcome = validated(fhir_as(physician).get("/fhir/CarePlan", {"subject": "1"}), status=400)
    assert outcome["issue"][0]["code"] == "invalid"
    assert "cannot be searched by 'subject'" in outcome["issue"][0]["diagnostics"]


@pytest.mark.django_db
def test_fhir_needs_sign_in_and_follows_access_rules(
    front_desk, therapist_not_on_plan, physiotherapist, plan
):
    session = log(plan, physiotherapist)
    anonymous = validated(APIClient().get(f"/fhir/Patient/{plan.patient_id}"), status=401)
    assert anonymous["issue"][0]["code"] == "login"
    outsider = fhir_as(therapist_not_on_plan)
    validated(outsider.get(f"/fhir/CarePlan/{plan.pk}"), status=403)
    validated(outsider.get(f"/fhir/Patient/{plan.patient_id}"), status=403)
    validated(outsider.get(f"/fhir/Procedure/{session.pk}"), status=403)
    assert validated(outsider.get("/fhir/CarePlan"))["total"] == 0
    desk = fhir_as(front_desk)
    validated(desk.get(f"/fhir/CarePlan/{plan.pk}"), status=403)
    validated(desk.get("/fhir/Procedure"), status=403)
    validated(desk.get("/fhir/PlanDefinition"), status=403)
    validated(desk.get(f"/fhir/Patient/{plan.patient_id}"))


@pytest.mark.django_db
def test_session_sign_in_works_and_the_api_is_read_only(client, physician, plan):
    client.force_login(physician)
    response = client.get(f"/fhir/CarePlan/{plan.pk}", HTTP_ACCEPT="application/json")
    validated(response)
    outcome = validated(client.post("/fhir/CarePlan", {}), status=405)
    assert outcome["issue"][0]["code"] == "not-supported"


@pytest.mark.django_db
def test_care_plan_search_query_count_is_flat(physician, protocol, django_assert_max_num_queries):
    client = fhir_as(physician)
    factories.start_plan(protocol=protocol)
    with CaptureQueriesContext(connection) as small:
        client.get("/fhir/CarePlan")
    for _ in range(5):
        factories.start_plan(protocol=protocol)
    with django_assert_max_num_queries(len(small)):
        bundle = validated(client.get("/fhir/CarePlan"))
    assert bundle["total"] == 6


@pytest.mark.django_db
def test_procedure_search_query_count_is_flat(
    physician, physiotherapist, plan, django_assert_max_num_queries
):
    client = fhir_as(physician)
    log(plan, physiotherapist)
    with CaptureQueriesContext(connection) as small:
        client.get("/fhir/Procedure", {"patient": plan.patient_id})
    for days in range(1, 7):
        log(plan, physiotherapist, date=TODAY() - datetime.timedelta(days=days))
    with django_assert_max_num_queries(len(small)):
        bundle = validated(client.get("/fhir/Procedure", {"patient": plan.patient_id}))
    assert bundle["total"] == 7


@pytest.mark.django_db
def test_every_resource_type_of_a_seeded_clinic_validates(physician, physiotherapist, plan):
    """A sweep: every resource the server can emit for this data passes R4 validation."""
    log(plan, physiotherapist)
    outcome_services.record_assessment(
        plan=plan,
        measure_key="nprs",
        assessor=physiotherapist,
        date=TODAY(),
        item_scores={"pain": 3},
    )
    outcome_services.save_goal(
        plan=plan,
        by=physician,
        discipline="PT",
        family="move_better",
        description="Walk to the market",
        target_date=TODAY() + datetime.timedelta(weeks=4),
        measure="berg",
        target_value=45,
    )
    client = fhir_as(physician)
    for resource_type in fhir_resources_offered():
        bundle = validated(client.get(f"/fhir/{resource_type}"))
        assert bundle["total"] >= 1, resource_type
        for entry in bundle["entry"]:
            validated(client.get(f"/fhir/{resource_type}/{entry['resource']['id']}"))


def fhir_resources_offered() -> list[str]:
    from interop.fhir_views import RESOURCE_TYPES

    return sorted(RESOURCE_TYPES)
