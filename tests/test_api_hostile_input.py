"""Hostile and odd input on the API: random and boundary JSON values for the patient
and session serializers never produce a server error, always a field message in
the API's error shape, and nothing half-saved. The test client re-raises any
exception a view throws, so a server error fails the example.
"""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from patients.models import Diagnosis, Patient
from plans.models import TherapySession
from tests import factories
from tests.test_api_patients import PATIENTS, registration
from tests.test_api_sessions import SESSIONS, session_data
from tests.test_api_sessions import api_as as session_client
from tests.test_hostile_input import ODD_VALUE

PROPERTY = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
# JSON lets a client send any type where a string or a number belongs.
ODD_JSON = st.one_of(
    ODD_VALUE,
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**15), max_value=10**15),
    st.floats(allow_nan=False, allow_infinity=False),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=2),
)


def replaced(valid: dict, fields: list[str]):
    return st.dictionaries(st.sampled_from(fields), ODD_JSON, min_size=1, max_size=4).map(
        lambda odd: {**valid, **odd}
    )


def is_error_shape(response) -> bool:
    errors = response.json().get("errors")
    return bool(errors) and all({"field", "code", "message"} <= set(e) for e in errors)


@pytest.mark.django_db
def test_patient_registration_api_survives_odd_input(front_desk):
    condition = factories.ConditionFactory()
    client = session_client(front_desk)
    fields = ["full_name", "date_of_birth", "sex", "phone", "family_contact_phone", "diagnoses"]

    @PROPERTY
    @given(data=replaced(registration(condition), fields))
    def register(data):
        patients, diagnoses = Patient.objects.count(), Diagnosis.objects.count()
        response = client.post(PATIENTS, data, format="json")
        assert response.status_code in (201, 400), response.content
        if response.status_code == 400:
            assert is_error_shape(response), response.json()
            assert (Patient.objects.count(), Diagnosis.objects.count()) == (patients, diagnoses)

    register()


@pytest.mark.django_db
def test_session_logging_api_survives_odd_input(plan, physiotherapist):
    client = session_client(physiotherapist)
    fields = [
        "date",
        "start_time",
        "duration_minutes",
        "attendance",
        "focus_areas",
        "subjective",
        "pain_before",
        "pain_after",
        "plan",
    ]

    @PROPERTY
    @given(data=replaced(session_data(plan), fields))
    def log(data):
        before = TherapySession.objects.count()
        response = client.post(SESSIONS, data, format="json")
        assert response.status_code in (201, 400), response.content
        if response.status_code == 400:
            assert is_error_shape(response), response.json()
            assert TherapySession.objects.count() == before

    log()
