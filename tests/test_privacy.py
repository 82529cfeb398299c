"""No patient name, phone or note in the logs or on error pages.

Errors are triggered on the demo clinic with DEBUG off; what the log handler
really writes (the project's LOGGING) is captured and searched for the
patient's details.
"""

import io
import logging

import pytest
from django.core.management import call_command
from django.db import IntegrityError
from django.test import Client
from django.urls import reverse

from patients.models import Patient
from plans.models import RehabPlan, TherapySession
from rehab.logging import WITHHELD, PrivateFormatter
from rehab.models import User


@pytest.fixture
def log_output():
    """Everything the project's console handler writes during the test."""
    handler = next(
        h for h in logging.getLogger().handlers if isinstance(h.formatter, PrivateFormatter)
    )
    stream = io.StringIO()
    previous = handler.setStream(stream)
    yield stream
    handler.setStream(previous)


@pytest.fixture
def demo(db):
    call_command("seed_demo", quiet=True)


def private_details(patient: Patient) -> list[str]:
    details = [patient.full_name, patient.phone, *patient.full_name.split()]
    details += [patient.family_contact_name, patient.family_contact_phone]
    notes = TherapySession.objects.filter(plan__patient=patient).exclude(subjective="")
    details += [session.subjective for session in notes[:3]]
    return [detail for detail in details if detail and len(detail) > 3]


def assert_nothing_private(text: str, patient: Patient) -> None:
    for detail in private_details(patient):
        assert detail not in text, f"{detail!r} appeared"


def test_errors_on_the_demo_clinic_keep_patients_out_of_logs_and_error_pages(
    demo, settings, log_output, monkeypatch
):
    settings.DEBUG = False
    plan = RehabPlan.objects.filter(status="active").select_related("patient").first()
    patient = plan.patient
    assert patient.phone and TherapySession.objects.filter(plan=plan).exists()
    physician = User.objects.get(username="dr.rao")
    desk = User.objects.get(username="desk.roy")
    browser = Client(raise_request_exception=False)

    # A page that breaks, with the patient's details in the exception message.
    def broken(*args, **kwargs):
        raise ValueError(f"cannot draw {patient.full_name} ({patient.phone})")

    monkeypatch.setattr("plans.views.selectors.mix_timeline", broken)
    browser.force_login(physician)
    response = browser.get(reverse("plans:plan_detail", args=[plan.pk]))
    assert response.status_code == 500
    assert_nothing_private(response.content.decode(), patient)

    # A registration that fails in the database, with the name and phone posted.
    def refused(*args, **kwargs):
        raise IntegrityError(f"duplicate key (full_name)=({patient.full_name}, {patient.phone})")

    monkeypatch.setattr("patients.views._save_patient", refused)
    browser.force_login(desk)
    data = {
        "full_name": patient.full_name,
        "date_of_birth": "1960-01-01",
        "sex": "female",
        "phone": patient.phone,
        "diagnoses-TOTAL_FORMS": "0",
        "diagnoses-INITIAL_FORMS": "0",
        # Past the question whether this is the same patient, to the database's refusal.
        "register_anyway": "yes",
    }
    response = browser.post(reverse("patients:register"), data)
    assert response.status_code == 500
    assert_nothing_private(response.content.decode(), patient)

    # A search for the patient by name and phone, then pages that are refused or missing.
    response = browser.get(reverse("patients:list"), {"q": patient.full_name})
    assert response.status_code == 200
    therapist = User.objects.get(username="pt.khan")
    browser.force_login(therapist)
    refused_page = browser.get(reverse("patients:edit", args=[patient.pk]))
    assert refused_page.status_code == 403
    missing = browser.get(reverse("plans:plan_detail", args=[999999]))
    assert missing.status_code == 404
    assert_nothing_private(refused_page.content.decode() + missing.content.decode(), patient)

    logged = log_output.getvalue()
    assert f"Internal Server Error: /plans/{plan.pk}/" in logged
    assert "Internal Server Error: /patients/new/" in logged
    assert f"ValueError: {WITHHELD}" in logged
    assert f"django.db.utils.IntegrityError: {WITHHELD}" in logged
    assert "Traceback (most recent call last)" in logged
    assert_nothing_private(logged, patient)


def test_development_server_request_lines_lose_their_query_strings():
    server_log = logging.getLogger("django.server")
    handler = server_log.handlers[0]
    stream = io.StringIO()
    previous = handler.setStream(stream)
    try:
        server_log.info('"%s" %s %s', "GET /patients/?q=Meera+Nair HTTP/1.1", "200", "512")
    finally:
        handler.setStream(previous)
    logged = stream.getvalue()
    assert '"GET /patients/ HTTP/1.1" 200 512' in logged
    assert "Meera" not in logged


def test_error_reports_hide_form_data_and_local_values(rf, settings):
    from django.views.debug import ExceptionReporter

    settings.DEBUG = False
    request = rf.post("/patients/new/", {"full_name": "Meera Nair", "phone": "+91 98470 55501"})
    full_name = "Meera Nair"
    try:
        raise ValueError("boom")
    except ValueError as error:
        reporter = ExceptionReporter(request, type(error), error, error.__traceback__)
        text = reporter.get_traceback_text()
    assert full_name in locals().values()
    assert "Meera" not in text
    assert "98470" not in text
