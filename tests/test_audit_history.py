"""Audit history: every change to a clinical record says who, when and what changed.

Shown in a History section on the patient and plan pages and behind admin's
History button; clinical records are never hard-deleted.
"""

import datetime
import html

import pytest
from django.db import connection
from django.db.models import ProtectedError
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from audit.history import patient_history, plan_history
from patients.models import Diagnosis, Patient
from plans import services
from plans.models import (
    PlanStage,
    Protocol,
    ProtocolStage,
    RehabPlan,
    SessionAllocation,
    TherapySession,
)
from rehab.admin import NEVER_DELETED_MESSAGE
from tests import factories
from tests.test_web_patients import form_values

TODAY = timezone.localdate
OPEN = {"history": "1"}  # the History section opens on request


def page(response) -> str:
    return html.unescape(response.content.decode())


def history_section(text: str) -> str:
    start = text.index('id="history"')
    return text[start : text.index("</section>", start)]


def log(plan, therapist, days_ago=0, **fields):
    return services.log_session(
        plan=plan,
        therapist=therapist,
        logged_by=therapist,
        date=TODAY() - datetime.timedelta(days=days_ago),
        duration_minutes=fields.pop("duration_minutes", 45),
        **fields,
    )


# --- What is recorded -----------------------------------------------------------


@pytest.mark.django_db
def test_every_clinical_model_keeps_history():
    for model in (
        Patient,
        Diagnosis,
        Protocol,
        ProtocolStage,
        RehabPlan,
        PlanStage,
        SessionAllocation,
        TherapySession,
    ):
        assert hasattr(model, "history"), f"{model.__name__} has no audit history"


@pytest.mark.django_db
def test_individualising_on_the_web_records_the_signed_in_physician(client, plan, other_physician):
    client.force_login(other_physician)
    stage = plan.stages.get(order=2)
    response = client.post(
        reverse("plans:plan_individualise", args=[plan.pk, stage.pk]),
        {"pt_sessions_per_week": 4, "ot_sessions_per_week": 6, "reason": "Hand function"},
    )
    assert response.status_code == 302
    latest = stage.history.latest()
    assert latest.history_type == "~"
    assert latest.history_user == other_physician
    assert (latest.pt_sessions_per_week, latest.ot_sessions_per_week) == (4, 6)
    # The allocations followed, under the same name.
    for allocation in stage.allocations.all():
        assert allocation.history.latest().history_user == other_physician

    response = client.get(reverse("plans:plan_detail", args=[plan.pk]), OPEN)
    assert response.status_code == 200
    section = history_section(page(response))
    assert "Dr. Vikram Iyer" in section
    assert "Changed: Stage 2: Stage 2" in section
    assert "PT sessions a week:</span> <del>5</del> → <ins>4</ins>" in section
    assert "OT sessions a week:</span> <del>5</del> → <ins>6</ins>" in section


@pytest.mark.django_db
def test_a_service_called_outside_a_request_names_who_acted(plan, physician):
    services.change_plan_status(plan=plan, status="on_hold", by=physician, reason="Unwell")
    latest = RehabPlan.history.filter(id=plan.pk).latest()
    assert latest.history_user == physician
    assert latest.status == "on_hold"
    entry = plan_history(plan).entries[0]
    assert entry.who == "Dr. Anita Rao"
    assert entry.subject == "Plan"
    changed = {change.label: (change.before, change.after) for change in entry.changes}
    assert changed["Status"] == ("Active", "On hold")
    assert changed["Status reason"] == ("—", "Unwell")


@pytest.mark.django_db
def test_allocation_and_session_corrections_show_on_the_plan_page(
    client, plan, physician, physiotherapist, therapist_not_on_plan
):
    session = log(plan, physiotherapist, subjective="Tired")
    services.correct_session(session=session, by=physiotherapist, subjective="Rested, keen")
    services.allocate_therapist(
        plan=plan, discipline="PT", therapist=therapist_not_on_plan, by=physician
    )
    client.force_login(physician)
    section = history_section(page(client.get(reverse("plans:plan_detail", args=[plan.pk]), OPEN)))
    assert f"Changed: PT session of {session.date:%-d %b %Y}" in section
    assert "<del>Tired</del> → <ins>Rested, keen</ins>" in section
    assert "Therapist:</span> <del>Rahul Sharma</del> → <ins>Arjun Das</ins>" in section
    assert "Created: Plan" in section


@pytest.mark.django_db
def test_patient_edit_records_the_front_desk_and_shows_on_the_patient_page(
    client, front_desk, plan
):
    patient = plan.patient
    # Their plan ended, so they may leave the active list.
    services.change_plan_status(
        plan=plan, status="completed", by=plan.lead_physician, reason="Goals met"
    )
    client.force_login(front_desk)
    edit_url = reverse("patients:edit", args=[patient.pk])
    data = form_values(client.get(edit_url))
    data["phone"] = "+91 90000 11111"
    data.pop("is_active", None)  # unticked: the patient no longer attends
    response = client.post(edit_url, data)
    assert response.status_code == 302
    patient.refresh_from_db()
    assert patient.phone == "+91 90000 11111"
    assert patient.is_active is False
    latest = patient.history.latest()
    assert latest.history_user == front_desk

    response = client.get(reverse("patients:detail", args=[patient.pk]), OPEN)
    section = history_section(page(response))
    assert "Priya Roy" in section
    assert "Changed: Patient details" in section
    assert "<del>+91 98300 12345</del> → <ins>+91 90000 11111</ins>" in section
    assert "Active:</span> <del>Yes</del> → <ins>No</ins>" in section
    assert "Created: Diagnosis: Stroke" in section


@pytest.mark.django_db
def test_a_save_without_a_visible_change_adds_no_entry(plan, physician):
    before = len(plan_history(plan).entries)
    plan.refresh_from_db()
    plan.save()  # only updated_at moves
    assert len(plan_history(plan).entries) == before


@pytest.mark.django_db
def test_history_lists_the_latest_fifty_and_says_how_many_there_are(plan, physiotherapist):
    for days_ago in range(12):
        log(plan, physiotherapist, days_ago=days_ago)
    history = plan_history(plan, limit=5)
    assert len(history.entries) == 5 and history.is_truncated
    assert history.total > 12
    whens = [entry.when for entry in history.entries]
    assert whens == sorted(whens, reverse=True)


@pytest.mark.django_db
def test_history_section_says_so_when_nothing_changed_yet(client, front_desk):
    patient = factories.PatientFactory()
    Patient.history.filter(id=patient.pk).delete()  # as for a record from before auditing
    client.force_login(front_desk)
    response = client.get(reverse("patients:detail", args=[patient.pk]), OPEN)
    assert response.status_code == 200
    assert "No recorded changes yet." in page(response)
    assert patient_history(patient).entries == []


@pytest.mark.django_db
def test_history_opens_on_request_and_costs_the_closed_page_nothing(
    client, plan, physician, django_assert_num_queries
):
    client.force_login(physician)
    url = reverse("plans:plan_detail", args=[plan.pk])
    closed = client.get(url)
    text = page(closed)
    assert 'id="history"' in text
    assert "Show who changed what, and when" in text
    assert "Created: Plan" not in text
    with CaptureQueriesContext(connection) as closed_queries:
        client.get(url)
    with CaptureQueriesContext(connection) as open_queries:
        opened = client.get(url, OPEN)
    assert "Created: Plan" in page(opened)
    # Four history tables (plan, stages, allocations, sessions), one query each.
    assert len(open_queries) - len(closed_queries) == 4


# --- Queries stay flat -----------------------------------------------------------


def count_queries(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url, OPEN).status_code == 200
    return len(queries)


@pytest.mark.django_db
def test_plan_page_queries_do_not_grow_with_history(
    client, plan, physician, physiotherapist, occupational_therapist
):
    client.force_login(physician)
    url = reverse("plans:plan_detail", args=[plan.pk])
    log(plan, physiotherapist)
    small = count_queries(client, url)
    for days_ago in range(1, 8):
        session = log(plan, occupational_therapist, days_ago=days_ago)
        services.correct_session(session=session, by=physician, objective=f"Day {days_ago}")
    services.individualise_stage_mix(
        stage=plan.stages.get(order=3),
        pt_sessions_per_week=2,
        ot_sessions_per_week=6,
        reason="Hands",
        by=physician,
    )
    assert count_queries(client, url) == small


@pytest.mark.django_db
def test_patient_page_queries_do_not_grow_with_history(client, front_desk, plan):
    client.force_login(front_desk)
    url = reverse("patients:detail", args=[plan.patient_id])
    small = count_queries(client, url)
    patient = plan.patient
    for number in range(6):
        patient.phone = f"+91 90000 1111{number}"
        patient.save()
        factories.DiagnosisFactory(patient=patient, is_primary=False)
    assert count_queries(client, url) == small


# --- Admin: History button, never deleted --------------------------------------------


CLINICAL_ADMIN = [
    ("patients", "patient"),
    ("patients", "diagnosis"),
    ("plans", "protocol"),
    ("plans", "protocolstage"),
    ("plans", "rehabplan"),
    ("plans", "planstage"),
    ("plans", "sessionallocation"),
    ("plans", "therapysession"),
]


def clinical_row(app_label, model_name, plan):
    session = TherapySession.objects.filter(plan=plan).first()
    return {
        "patient": plan.patient,
        "diagnosis": plan.diagnosis,
        "protocol": plan.protocol,
        "protocolstage": plan.protocol.stages.first(),
        "rehabplan": plan,
        "planstage": plan.stages.first(),
        "sessionallocation": SessionAllocation.objects.filter(plan_stage__plan=plan).first(),
        "therapysession": session,
    }[model_name]


@pytest.mark.django_db
@pytest.mark.parametrize(("app_label", "model_name"), CLINICAL_ADMIN)
def test_admin_shows_history_and_refuses_delete_with_a_message(
    client, superuser, plan, physiotherapist, app_label, model_name
):
    log(plan, physiotherapist)
    obj = clinical_row(app_label, model_name, plan)
    client.force_login(superuser)
    prefix = f"admin:{app_label}_{model_name}"
    history = client.get(reverse(f"{prefix}_history", args=[obj.pk]))
    assert history.status_code == 200
    assert "Change history" in page(history) or "history" in page(history).lower()

    change = client.get(reverse(f"{prefix}_change", args=[obj.pk]))
    assert change.status_code == 200
    assert reverse(f"{prefix}_delete", args=[obj.pk]) not in change.content.decode()

    response = client.post(reverse(f"{prefix}_delete", args=[obj.pk]), {"post": "yes"}, follow=True)
    assert response.status_code == 200
    text = page(response)
    assert "are never deleted" in text
    assert type(obj).objects.filter(pk=obj.pk).exists()

    changelist = client.get(reverse(f"{prefix}_changelist"))
    assert "delete_selected" not in changelist.content.decode()


@pytest.mark.django_db
def test_admin_delete_of_a_patient_says_to_deactivate_instead(client, superuser, plan):
    client.force_login(superuser)
    response = client.get(
        reverse("admin:patients_patient_delete", args=[plan.patient_id]), follow=True
    )
    text = page(response)
    assert "Patients are never deleted" in text
    assert "untick 'active'" in text
    assert Patient.objects.filter(pk=plan.patient_id).exists()


@pytest.mark.django_db
def test_admin_history_cannot_revert_a_record(client, superuser, plan, physician):
    services.change_plan_status(plan=plan, status="on_hold", by=physician, reason="Unwell")
    first = RehabPlan.history.filter(id=plan.pk).earliest()
    client.force_login(superuser)
    url = reverse("admin:plans_rehabplan_simple_history", args=[plan.pk, first.history_id])
    response = client.post(url, {"status_reason": ""})
    assert response.status_code in (302, 403, 200)
    plan.refresh_from_db()
    assert plan.status == "on_hold"


def test_never_deleted_message_is_plain():
    assert NEVER_DELETED_MESSAGE.startswith("Clinical records are never deleted")


@pytest.mark.django_db
def test_deleting_a_plan_is_stopped_by_its_protected_stages(plan):
    with pytest.raises(ProtectedError):
        plan.delete()
    assert RehabPlan.objects.filter(pk=plan.pk).exists()
    assert PlanStage.objects.filter(plan=plan).count() == 3
    with pytest.raises(ProtectedError):
        PlanStage.objects.filter(plan=plan).delete()
    assert SessionAllocation.objects.filter(plan_stage__plan=plan).count() == 6


@pytest.mark.django_db
def test_assessments_and_goals_keep_their_history(plan, physician, physiotherapist):
    from outcomes import services as outcome_services

    assessment = outcome_services.record_assessment(
        plan=plan,
        measure_key="nprs",
        assessor=physiotherapist,
        date=plan.start_date,
        item_scores={"pain": 6},
    )
    goal = outcome_services.save_goal(
        plan=plan,
        by=physician,
        discipline="PT",
        family="move_better",
        description="Walk to the market",
        target_date=plan.start_date,
    )
    outcome_services.save_goal(plan=plan, by=physiotherapist, goal=goal, status="in_progress")
    assert assessment.history.get().history_user == physiotherapist
    assert [h.history_user for h in goal.history.order_by("history_date")] == [
        physician,
        physiotherapist,
    ]
