"""The printable family summary of a plan: plain words, no staff-only notes."""

import datetime
import html

import pytest
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format

from outcomes import measures
from outcomes import services as outcome_services
from outcomes.demo import items_for
from plans import services
from plans.models import Mix, PlanStage
from plans.views import mix_change_in_words, next_stage_in_words
from scheduling.models import Appointment
from tests.test_scheduling_services import book_weeks

TODAY = timezone.localdate


def url(plan):
    return reverse("plans:family_summary", args=[plan.pk])


def page(response) -> str:
    return html.unescape(response.content.decode())


def soap_session(plan, therapist):
    return services.log_session(
        plan=plan,
        therapist=therapist,
        logged_by=therapist,
        date=TODAY(),
        duration_minutes=45,
        subjective="SECRET-S low mood, worried about money",
        objective="SECRET-O Berg 38",
        assessment="SECRET-A slow progress",
        plan_notes="SECRET-P review with psychologist",
    )


@pytest.mark.django_db
def test_family_summary_explains_the_stage_both_therapies_and_who_to_call(
    client, physician, plan, physiotherapist, occupational_therapist
):
    PlanStage.objects.filter(plan=plan, order=1).update(
        goal="Sit up safely and move from bed to chair with one helper."
    )
    client.force_login(physician)
    response = client.get(url(plan))
    assert response.status_code == 200
    text = page(response)
    assert '<body class="family-summary">' in text
    assert f"Rehab plan for {plan.patient.full_name}" in text
    assert "Stroke, affecting the left side." in text
    assert "I63.9" not in text
    assert "Stage 1 of 3: Stage 1." in text
    assert (
        "What this stage aims at: Sit up safely and move from bed to chair with one helper." in text
    )
    assert "Physiotherapy (PT) works on how the body moves: strength, balance, walking" in text
    assert "Occupational therapy (OT) works on daily life: bathing, dressing, eating" in text
    assert "Now it works on: standing, walking, balance." in text
    assert "Now it works on: dressing, safe transfers." in text
    assert "6 sessions a week" in text and "2 sessions a week" in text
    assert "Physiotherapist: Rahul Sharma" in text
    assert "Occupational therapist: Lakshmi Menon" in text
    for aim in ("move better", "live more independently", "feel more confident"):
        assert f"<li>{aim}</li>" in text
    assert "Dr. Anita Rao, the rehab physician who leads this plan." in text
    # The print button works through a static script (no inline script: see the CSP).
    assert "data-print-page" in text and "rehab/print-button.js" in text and "no-print" in text


@pytest.mark.django_db
def test_family_summary_gives_the_clinics_number_when_it_has_one(client, physician, plan, settings):
    client.force_login(physician)
    assert "telephone" not in page(client.get(url(plan)))
    settings.CLINIC_PHONE = "+91 80 2345 6789"
    text = page(client.get(url(plan)))
    assert "Ask for them at the clinic (telephone <strong" in text
    assert "+91 80 2345 6789</strong>)" in text


@pytest.mark.django_db
def test_family_summary_says_both_sides_for_a_bilateral_condition(client, physician, plan):
    plan.diagnosis.affected_side = "bilateral"
    plan.diagnosis.save()
    client.force_login(physician)
    text = page(client.get(url(plan)))
    assert "Stroke, affecting both sides." in text
    assert "bilateral" not in text.lower()


@pytest.mark.django_db
def test_family_summary_lists_the_next_appointments_and_the_goals_set_with_the_patient(
    client, physician, plan, front_desk, django_capture_on_commit_callbacks
):
    book_weeks(plan, front_desk, weeks=1)
    first = Appointment.objects.filter(plan=plan).order_by("start").first()
    for description, status in (
        ("Walk to the temple with a stick", "in_progress"),
        ("Dress without help", "achieved"),
        ("Drive again", "discontinued"),
    ):
        outcome_services.save_goal(
            plan=plan,
            by=physician,
            discipline="PT",
            family="move_better",
            description=description,
            target_date=TODAY() + datetime.timedelta(days=30),
            status=status,
        )
    # Met by the latest score, but not yet confirmed by the team: not "reached".
    outcome_services.save_goal(
        plan=plan,
        by=physician,
        discipline="PT",
        family="feel_confident",
        description="Pain 3 or less on most days",
        target_date=TODAY() + datetime.timedelta(days=30),
        measure="nprs",
        target_value=3,
    )
    outcome_services.record_assessment(
        plan=plan,
        measure_key="nprs",
        assessor=physician,
        date=TODAY(),
        item_scores=items_for(measures.get("nprs"), 2),
    )
    client.force_login(physician)
    response = client.get(url(plan))
    assert response.status_code == 200
    text = page(response)
    assert "Pain 3 or less on most days — aiming for" in text
    appointments = text[
        text.index("Next appointments") : text.index("</section>", text.index("Next appointments"))
    ]
    when = date_format(timezone.localtime(first.start), "l j F, H:i")
    assert f"{when}: " in appointments and "with Rahul Sharma" in appointments
    goals = text[text.index("Goals set with") :]
    target = date_format(TODAY() + datetime.timedelta(days=30), "j F Y")
    assert f"Walk to the temple with a stick — aiming for {target}" in goals
    assert "Dress without help — <strong>reached</strong>" in goals
    assert "Drive again" not in goals  # dropped goals are not the family's business now
    assert "Some of these times may change" not in appointments
    # The plan changed after booking: the family hears the times may move.
    with django_capture_on_commit_callbacks(execute=True):
        services.individualise_stage_mix(
            stage=plan.current_stage,
            pt_sessions_per_week=3,
            ot_sessions_per_week=2,
            reason="Tires quickly",
            by=physician,
        )
    assert "Some of these times may change" in page(client.get(url(plan)))
    # A closed plan has no appointments ahead to list.
    services.change_plan_status(plan=plan, status="completed", by=physician, reason="Goals met")
    assert "Next appointments" not in page(client.get(url(plan)))


@pytest.mark.django_db
def test_family_summary_tells_how_the_mix_changes_at_the_next_stage(client, physician, plan):
    services.advance_stage(plan=plan, by=physician)
    client.force_login(physician)
    text = page(client.get(url(plan)))
    assert "Next: Stage 3 — Stage 3." in text
    assert (
        "Physiotherapy goes down from 5 to 3 sessions a week; "
        "occupational therapy stays at 5 sessions a week. "
        "The focus moves towards everyday tasks and independence at home." in text
    )
    assert "The team moves on when" in text and "if recovery goes as expected, around" in text


@pytest.mark.django_db
def test_family_summary_uses_the_patients_individualised_mix(client, physician, plan):
    services.individualise_stage_mix(
        stage=plan.stages.get(order=2),
        pt_sessions_per_week=4,
        ot_sessions_per_week=7,
        reason="STAFF-ONLY: family declined weekend PT",
        by=physician,
    )
    client.force_login(physician)
    text = page(client.get(url(plan)))
    assert (
        "Physiotherapy goes down from 6 to 4 sessions a week; "
        "occupational therapy goes up from 2 to 7 sessions a week." in text
    )
    assert "STAFF-ONLY" not in text


@pytest.mark.django_db
def test_family_summary_holds_no_staff_only_notes(
    client, physician, plan, physiotherapist, occupational_therapist
):
    soap_session(plan, physiotherapist)
    soap_session(plan, occupational_therapist)
    services.advance_stage(plan=plan, by=physician, reason="STAFF-ONLY transition reason")
    services.change_plan_status(
        plan=plan, status="on_hold", by=physician, reason="STAFF-ONLY admitted to ward 3"
    )
    client.force_login(physician)
    response = client.get(url(plan))
    text = page(response)
    assert response.status_code == 200
    assert "SECRET" not in text
    assert "STAFF-ONLY" not in text
    assert "Therapy is paused for now." in text
    assert "Stage 2 of 3" in text


@pytest.mark.django_db
def test_family_summary_of_the_last_stage_says_so(client, physician, plan):
    services.advance_stage(plan=plan, by=physician)
    services.advance_stage(plan=plan, by=physician)
    client.force_login(physician)
    text = page(client.get(url(plan)))
    assert "Stage 3 of 3" in text
    assert "This is the last stage of the plan." in text
    assert "Next:" not in text


@pytest.mark.django_db
def test_family_summary_of_a_completed_plan(client, physician, plan):
    services.change_plan_status(
        plan=plan, status="completed", by=physician, reason="STAFF-ONLY goals met early"
    )
    client.force_login(physician)
    text = page(client.get(url(plan)))
    assert f"This rehab plan was completed on {TODAY():%-d %B %Y}." in text
    assert "STAFF-ONLY" not in text
    assert "Dr. Anita Rao" in text


def test_mix_changes_are_put_in_plain_words():
    assert mix_change_in_words("Physiotherapy", 5, 3) == (
        "Physiotherapy goes down from 5 to 3 sessions a week"
    )
    assert mix_change_in_words("Occupational therapy", 1, 1) == (
        "Occupational therapy stays at 1 session a week"
    )
    assert mix_change_in_words("Physiotherapy", 0, 2) == (
        "Physiotherapy starts, with 2 sessions a week"
    )
    assert mix_change_in_words("Physiotherapy", 2, 0) == (
        "Physiotherapy stops (it was 2 sessions a week)"
    )
    assert next_stage_in_words(Mix(3, 3), Mix(3, 3)) == (
        "Physiotherapy stays at 3 sessions a week; occupational therapy stays at 3 sessions a week."
    )
    assert next_stage_in_words(Mix(2, 5), Mix(6, 2)).endswith(
        "The focus moves towards movement: strength, balance and walking."
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    "persona", ["physician", "other_physician", "physiotherapist", "occupational_therapist"]
)
def test_the_plans_clinicians_may_print_the_summary(client, request, persona, plan):
    client.force_login(request.getfixturevalue(persona))
    response = client.get(url(plan))
    assert response.status_code == 200
    assert "Back to the plan" in page(response)


@pytest.mark.django_db
def test_front_desk_may_print_the_summary_for_the_family(client, front_desk, plan, physiotherapist):
    soap_session(plan, physiotherapist)
    client.force_login(front_desk)
    response = client.get(url(plan))
    text = page(response)
    assert response.status_code == 200
    assert plan.patient.full_name in text
    assert "SECRET" not in text
    # The front desk cannot open the plan page, so the page offers no link to it.
    assert "Back to the plan" not in text


@pytest.mark.django_db
def test_a_therapist_not_on_the_plan_cannot_see_the_summary(client, therapist_not_on_plan, plan):
    client.force_login(therapist_not_on_plan)
    assert client.get(url(plan)).status_code == 403


@pytest.mark.django_db
def test_family_summary_wrong_method_and_anonymous(client, physician, plan):
    response = client.get(url(plan))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
    client.force_login(physician)
    assert client.post(url(plan)).status_code == 405
    assert client.get(reverse("plans:family_summary", args=[999999])).status_code == 404
