"""REST API: patients with their diagnoses, and conditions."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from patients.models import Diagnosis, Patient
from tests import factories
from tests.api_clients import api_as

PATIENTS = "/api/v1/patients/"
CONDITIONS = "/api/v1/conditions/"


def registration(condition, **changes) -> dict:
    data = {
        "full_name": "Meera Nair",
        "date_of_birth": "1961-03-02",
        "sex": "female",
        "phone": "+91 98400 11111",
        "family_contact_name": "Arun Nair",
        "family_contact_relation": "son",
        "family_contact_phone": "+91 98400 22222",
        "diagnoses": [
            {
                "condition": condition.pk,
                "onset_date": (timezone.localdate() - datetime.timedelta(days=10)).isoformat(),
                "affected_side": "right",
                "is_primary": True,
            }
        ],
    }
    data.update(changes)
    return data


def error_fields(response) -> dict:
    return {item["field"]: item["code"] for item in response.json()["errors"]}


@pytest.mark.django_db
def test_front_desk_registers_a_patient_with_a_diagnosis(front_desk):
    condition = factories.ConditionFactory()
    response = api_as(front_desk).post(PATIENTS, registration(condition), format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    patient = Patient.objects.get(pk=body["id"])
    assert patient.full_name == "Meera Nair"
    assert body["record_number"] == patient.record_number
    assert patient.record_number.startswith("RH-")
    diagnosis = patient.diagnoses.get()
    assert (diagnosis.condition, diagnosis.affected_side, diagnosis.is_primary) == (
        condition,
        "right",
        True,
    )
    assert body["diagnoses"][0]["icd10_code"] == "I63.9"


@pytest.mark.django_db
def test_registration_refusal_names_the_nested_field_and_saves_nothing(physician):
    condition = factories.ConditionFactory()
    future = (timezone.localdate() + datetime.timedelta(days=3)).isoformat()
    data = registration(condition)
    data["diagnoses"][0]["onset_date"] = future
    response = api_as(physician).post(PATIENTS, data, format="json")
    assert response.status_code == 400
    assert response.json() == {
        "errors": [
            {
                "field": "diagnoses.0.onset_date",
                "code": "onset_in_future",
                "message": "Onset date cannot be in the future.",
            }
        ]
    }
    assert not Patient.objects.exists()


@pytest.mark.django_db
def test_registration_checks_fields_and_model_rules(front_desk):
    condition = factories.ConditionFactory()
    data = registration(condition, phone="call me", family_contact_name="")
    del data["full_name"]
    response = api_as(front_desk).post(PATIENTS, data, format="json")
    assert response.status_code == 400
    assert error_fields(response) == {"full_name": "required", "phone": "invalid_phone"}
    data = registration(condition, family_contact_name="")
    response = api_as(front_desk).post(PATIENTS, data, format="json")
    assert error_fields(response) == {"family_contact_name": "family_contact_name_missing"}
    assert not Patient.objects.exists()


@pytest.mark.django_db
def test_two_primary_diagnoses_are_refused(front_desk):
    condition = factories.ConditionFactory()
    data = registration(condition)
    data["diagnoses"].append(dict(data["diagnoses"][0]))
    response = api_as(front_desk).post(PATIENTS, data, format="json")
    assert response.status_code == 400
    assert error_fields(response) == {"diagnoses": "two_primary_diagnoses"}
    assert not Patient.objects.exists()


@pytest.mark.django_db
def test_therapist_cannot_register_a_patient(physiotherapist):
    condition = factories.ConditionFactory()
    response = api_as(physiotherapist).post(PATIENTS, registration(condition), format="json")
    assert response.status_code == 403
    [error] = response.json()["errors"]
    assert error["code"] == "permission_denied"
    assert error["message"] == (
        "Patients are registered and changed by the front desk and rehab physicians."
    )
    assert not Patient.objects.exists()


@pytest.mark.django_db
def test_anonymous_client_is_told_to_authenticate():
    response = APIClient().get(PATIENTS)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    assert response.json()["errors"][0]["code"] == "not_authenticated"


@pytest.mark.django_db
def test_patient_list_and_detail_for_front_desk(front_desk, plan):
    other = factories.DiagnosisFactory().patient
    response = api_as(front_desk).get(PATIENTS)
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 2
    assert {row["id"] for row in body["results"]} == {plan.patient_id, other.pk}
    detail = api_as(front_desk).get(f"{PATIENTS}{plan.patient_id}/")
    assert detail.status_code == 200
    assert detail.json()["diagnoses"][0]["id"] == plan.diagnosis_id


@pytest.mark.django_db
def test_therapist_lists_only_their_patients_and_is_refused_others(physiotherapist, plan):
    other = factories.DiagnosisFactory().patient
    client = api_as(physiotherapist)
    body = client.get(PATIENTS).json()
    assert [row["id"] for row in body["results"]] == [plan.patient_id]
    response = client.get(f"{PATIENTS}{other.pk}/")
    assert response.status_code == 403
    assert response.json()["errors"][0]["message"] == (
        "A therapist reads the patients on their own plans."
    )


@pytest.mark.django_db
def test_unknown_patient_is_404_in_the_error_shape(front_desk):
    response = api_as(front_desk).get(f"{PATIENTS}999999/")
    assert response.status_code == 404
    assert response.json()["errors"] == [
        {"field": None, "code": "not_found", "message": "Not found."}
    ]


@pytest.mark.django_db
def test_patients_are_never_deleted(front_desk, plan):
    response = api_as(front_desk).delete(f"{PATIENTS}{plan.patient_id}/")
    assert response.status_code == 405
    assert response.json()["errors"][0]["code"] == "method_not_allowed"
    assert Patient.objects.filter(pk=plan.patient_id).exists()


@pytest.mark.django_db
def test_physician_updates_a_patient_and_therapist_cannot(physician, physiotherapist, plan):
    url = f"{PATIENTS}{plan.patient_id}/"
    response = api_as(physiotherapist).patch(url, {"phone": "+91 11111 22222"}, format="json")
    assert response.status_code == 403
    response = api_as(physician).patch(url, {"preferred_language": "Tamil"}, format="json")
    assert response.status_code == 200
    plan.patient.refresh_from_db()
    assert plan.patient.preferred_language == "Tamil"
    response = api_as(physician).patch(url, {"date_of_birth": "2999-01-01"}, format="json")
    assert response.status_code == 400
    assert error_fields(response) == {"date_of_birth": "birth_in_future"}
    plan.patient.refresh_from_db()
    assert plan.patient.date_of_birth == datetime.date(1958, 4, 12)


@pytest.mark.django_db
def test_adding_a_diagnosis_uses_the_models_rules(front_desk, plan):
    url = f"{PATIENTS}{plan.patient_id}/diagnoses/"
    knee = factories.ConditionFactory(name="Knee osteoarthritis", icd10_code="M17.9")
    onset = (timezone.localdate() - datetime.timedelta(days=100)).isoformat()
    data = {"condition": knee.pk, "onset_date": onset, "is_primary": True}
    response = api_as(front_desk).post(url, data, format="json")
    assert response.status_code == 400
    # A knee has a side: the API's default, "not applicable", is refused for it.
    assert error_fields(response) == {
        "is_primary": "primary_diagnosis_exists",
        "affected_side": "side_required",
    }
    # A knee has no spinal-cord level either.
    data.update(is_primary=False, affected_side="right", spinal_cord_level="L1")
    response = api_as(front_desk).post(url, data, format="json")
    assert response.status_code == 400
    assert error_fields(response) == {"spinal_cord_level": "spinal_level_not_applicable"}
    del data["spinal_cord_level"]
    response = api_as(front_desk).post(url, data, format="json")
    assert response.status_code == 201
    knee_diagnosis = Diagnosis.objects.get(patient=plan.patient, condition=knee)
    assert knee_diagnosis.affected_side == "right"


@pytest.mark.django_db
def test_patient_filters_and_pagination(front_desk):
    knee = factories.ConditionFactory(name="Knee osteoarthritis", icd10_code="M17.9")
    for n in range(3):
        factories.DiagnosisFactory(patient__full_name=f"Stroke patient {n}")
    factories.DiagnosisFactory(patient__full_name="Knee patient", condition=knee)
    client = api_as(front_desk)
    body = client.get(PATIENTS, {"condition": knee.pk}).json()
    assert [row["full_name"] for row in body["results"]] == ["Knee patient"]
    body = client.get(PATIENTS, {"page_size": 2, "ordering": "-full_name"}).json()
    assert body["count"] == 4
    assert [row["full_name"] for row in body["results"]] == ["Stroke patient 2", "Stroke patient 1"]
    assert "page=2" in body["next"]
    page_two = client.get(PATIENTS, {"page_size": 2, "page": 2, "ordering": "-full_name"})
    assert [row["full_name"] for row in page_two.json()["results"]] == [
        "Stroke patient 0",
        "Knee patient",
    ]
    response = client.get(PATIENTS, {"page": 9})
    assert response.status_code == 404
    assert response.json()["errors"][0]["code"] == "not_found"


def queries_for(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


@pytest.mark.django_db
def test_patient_list_query_count_is_flat(front_desk, django_assert_max_num_queries):
    client = api_as(front_desk)
    factories.DiagnosisFactory()
    small = queries_for(client, PATIENTS)
    for _ in range(10):
        factories.DiagnosisFactory()
    with django_assert_max_num_queries(small):
        body = client.get(PATIENTS).json()
    assert body["count"] == 11


@pytest.mark.django_db
def test_conditions_are_listed_for_staff(physiotherapist):
    factories.ConditionFactory()
    factories.ConditionFactory(name="Knee osteoarthritis", icd10_code="M17.9")
    response = api_as(physiotherapist).get(CONDITIONS, {"icd10_code": "M17.9"})
    assert response.status_code == 200
    assert [row["name"] for row in response.json()["results"]] == ["Knee osteoarthritis"]
    response = api_as(physiotherapist).post(CONDITIONS, {"name": "X"}, format="json")
    assert response.status_code == 405
