"""The physician's plan pages: start, plan page, allocate, individualise, stage and status."""

import datetime
import html
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format

from plans import selectors, services
from plans.forms import suits_concern
from plans.models import (
    Mix,
    PlanStage,
    Protocol,
    RehabPlan,
    SessionAllocation,
    StageMixChange,
    StageTransition,
)
from rehab.models import Discipline
from tests import factories

TODAY = timezone.localdate


def url(name, *args):
    return reverse(f"plans:{name}", args=args)


def page(response) -> str:
    """The page's text with entities decoded, so messages read as written."""
    return html.unescape(response.content.decode())


def assert_login_redirect(response):
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def log(plan, therapist, days_ago=0, **fields):
    return services.log_session(
        plan=plan,
        therapist=therapist,
        logged_by=therapist,
        date=TODAY() - datetime.timedelta(days=days_ago),
        duration_minutes=fields.pop("duration_minutes", 45),
        **fields,
    )


def current_order(plan) -> int:
    return plan.stages.get(status=PlanStage.Status.CURRENT).order


# --- Start a plan ------------------------------------------------------------


@pytest.fixture
def diagnosis(protocol):
    return factories.DiagnosisFactory(condition=protocol.condition)


def start_data(diagnosis, chosen_protocol, lead, **overrides):
    data = {
        "primary_concern": RehabPlan.PrimaryConcern.PAIN_AND_MOVEMENT,
        "protocol": chosen_protocol.pk,
        "start_date": TODAY().isoformat(),
        "lead_physician": lead.pk,
        "physiotherapist": "",
        "occupational_therapist": "",
    }
    data.update(overrides)
    return data


@pytest.mark.django_db
def test_start_form_asks_the_intake_question_and_lists_the_protocols_mix(
    client, physician, diagnosis, protocol
):
    client.force_login(physician)
    response = client.get(url("plan_start", diagnosis.pk))
    assert response.status_code == 200
    text = page(response)
    assert "What is the main problem?" in text
    assert "Pain and movement — start PT-led, add OT if daily tasks stay hard" in text
    assert "Independence in daily tasks — OT definitely, PT alongside" in text
    assert "Both — both therapies, the focus shifting over recovery" in text
    assert f"{protocol.name}</strong>, version 1" in text
    assert "6/2 → 5/5 → 3/5" in text
    # The only published protocol comes ticked.
    assert re.search(
        rf'name="protocol"\s+id="protocol-{protocol.pk}" value="{protocol.pk}"\s+checked', text
    )
    assert f'value="{TODAY().isoformat()}"' in text
    assert f'<option value="{physician.pk}" selected>' in text


@pytest.mark.django_db
def test_physician_starts_a_plan_with_therapists(
    client, physician, other_physician, diagnosis, protocol, physiotherapist, occupational_therapist
):
    client.force_login(physician)
    start = TODAY() - datetime.timedelta(days=3)
    response = client.post(
        url("plan_start", diagnosis.pk),
        start_data(
            diagnosis,
            protocol,
            other_physician,
            primary_concern=RehabPlan.PrimaryConcern.DAILY_INDEPENDENCE,
            start_date=start.isoformat(),
            physiotherapist=physiotherapist.pk,
            occupational_therapist=occupational_therapist.pk,
        ),
        follow=True,
    )
    plan = RehabPlan.objects.get(diagnosis=diagnosis)
    assert response.redirect_chain == [(url("plan_detail", plan.pk), 302)]
    assert (plan.patient, plan.protocol, plan.lead_physician) == (
        diagnosis.patient,
        protocol,
        other_physician,
    )
    assert plan.primary_concern == RehabPlan.PrimaryConcern.DAILY_INDEPENDENCE
    assert plan.start_date == start and plan.status == RehabPlan.Status.ACTIVE
    assert plan.allocated_therapist(Discipline.PT) == physiotherapist
    assert plan.allocated_therapist(Discipline.OT) == occupational_therapist
    assert f"Plan started for {diagnosis.patient.full_name}" in page(response)


@pytest.mark.django_db
def test_plan_started_without_therapists_leaves_them_unallocated(
    client, physician, diagnosis, protocol
):
    client.force_login(physician)
    response = client.post(
        url("plan_start", diagnosis.pk), start_data(diagnosis, protocol, physician)
    )
    plan = RehabPlan.objects.get(diagnosis=diagnosis)
    assert response.status_code == 302
    assert not SessionAllocation.objects.filter(plan_stage__plan=plan, therapist__isnull=False)
    assert SessionAllocation.objects.filter(plan_stage__plan=plan).count() == 6


def test_a_protocol_suits_the_intake_answer_by_its_first_stage_lead():
    pt_led, ot_led, balanced, pt_only = Mix(6, 2), Mix(2, 5), Mix(3, 3), Mix(3, 0)
    assert suits_concern(pt_led, "pain_movement") and not suits_concern(ot_led, "pain_movement")
    assert suits_concern(ot_led, "daily_independence")
    assert not suits_concern(pt_led, "daily_independence")
    assert not suits_concern(balanced, "daily_independence")
    assert suits_concern(pt_led, "both") and suits_concern(balanced, "both")
    assert not suits_concern(pt_only, "both")


@pytest.mark.django_db
def test_protocols_fitting_the_intake_answer_come_first_and_are_marked(
    client, physician, diagnosis, protocol
):
    ot_led = factories.published_protocol(
        mix=[(2, 5), (2, 4)], condition=protocol.condition, author=physician
    )
    Protocol.objects.filter(pk=protocol.pk).update(name="A stroke pathway")
    Protocol.objects.filter(pk=ot_led.pk).update(name="B stroke pathway")
    client.force_login(physician)

    text = page(client.get(url("plan_start", diagnosis.pk), {"primary_concern": "pain_movement"}))
    assert text.index("A stroke pathway") < text.index("B stroke pathway")
    assert 'suits-marker">suits the intake answer: PT-led start' in text
    assert 'suits-marker" hidden>suits the intake answer: OT-led start' in text

    text = page(
        client.get(url("plan_start", diagnosis.pk), {"primary_concern": "daily_independence"})
    )
    assert text.index("B stroke pathway") < text.index("A stroke pathway")
    assert 'suits-marker">suits the intake answer: OT-led start' in text
    assert 'suits-marker" hidden>suits the intake answer: PT-led start' in text

    # A refused form keeps the order of the answer it was sent with.
    response = client.post(
        url("plan_start", diagnosis.pk),
        start_data(
            diagnosis, protocol, physician, primary_concern="daily_independence", protocol=""
        ),
    )
    text = page(response)
    assert "Choose a protocol." in text
    assert text.index("B stroke pathway") < text.index("A stroke pathway")
    assert not RehabPlan.objects.exists()


@pytest.mark.django_db
def test_only_published_protocols_of_the_diagnosed_condition_are_offered(
    client, physician, diagnosis, protocol
):
    knee = factories.ConditionFactory(name="Knee osteoarthritis", icd10_code="M17.9")
    other_condition = factories.published_protocol(mix=[(2, 1)], condition=knee, author=physician)
    draft = factories.ProtocolStageFactory(
        protocol=factories.ProtocolFactory(condition=protocol.condition, author=physician)
    ).protocol
    retired = factories.published_protocol(condition=protocol.condition, author=physician)
    services.retire_protocol(protocol=retired, by=physician)
    client.force_login(physician)
    text = page(client.get(url("plan_start", diagnosis.pk)))
    assert protocol.name in text
    for hidden in (other_condition, draft, retired):
        assert (
            f'value="{hidden.pk}"'
            not in text.split('id="protocol-options"')[1].split("</fieldset>")[0]
        )
    response = client.post(
        url("plan_start", diagnosis.pk),
        start_data(diagnosis, other_condition, physician),
    )
    assert "Choose one of the published protocols for this condition." in page(response)
    assert not RehabPlan.objects.exists()


@pytest.mark.django_db
def test_start_date_before_onset_is_refused_on_its_field(client, physician, diagnosis, protocol):
    client.force_login(physician)
    before_onset = diagnosis.onset_date - datetime.timedelta(days=1)
    response = client.post(
        url("plan_start", diagnosis.pk),
        start_data(diagnosis, protocol, physician, start_date=before_onset.isoformat()),
    )
    assert response.status_code == 200
    assert (
        "The plan cannot start before the condition began "
        f"(onset {date_format(diagnosis.onset_date, 'j M Y')})." in page(response)
    )
    assert not RehabPlan.objects.exists()


@pytest.mark.django_db
def test_start_refuses_staff_of_the_wrong_role(
    client, physician, diagnosis, protocol, occupational_therapist, physiotherapist
):
    client.force_login(physician)
    response = client.post(
        url("plan_start", diagnosis.pk),
        start_data(
            diagnosis,
            protocol,
            physiotherapist,
            physiotherapist=occupational_therapist.pk,
        ),
    )
    text = page(response)
    assert response.status_code == 200
    assert text.count("Select a valid choice.") == 2  # lead and physiotherapist
    assert not RehabPlan.objects.exists()


@pytest.mark.django_db
def test_inactive_therapists_are_not_offered(client, physician, diagnosis, protocol):
    gone = factories.physiotherapist(first_name="Retired", last_name="Therapist", is_active=False)
    client.force_login(physician)
    assert "Retired Therapist" not in page(client.get(url("plan_start", diagnosis.pk)))
    response = client.post(
        url("plan_start", diagnosis.pk),
        start_data(diagnosis, protocol, physician, physiotherapist=gone.pk),
    )
    assert "Select a valid choice." in page(response)
    assert not RehabPlan.objects.exists()


@pytest.mark.django_db
def test_no_published_protocol_says_so_and_links_to_the_library(client, physician):
    knee = factories.ConditionFactory(name="Knee osteoarthritis", icd10_code="M17.9")
    diagnosis = factories.DiagnosisFactory(condition=knee)
    client.force_login(physician)
    response = client.get(url("plan_start", diagnosis.pk))
    text = page(response)
    assert response.status_code == 200
    assert "There is no published protocol for Knee osteoarthritis yet" in text
    assert f'href="{url("protocol_list")}"' in text
    assert "Start the plan" not in text


@pytest.mark.django_db
def test_second_active_plan_for_a_diagnosis_shows_the_services_refusal(client, physician, plan):
    client.force_login(physician)
    response = client.get(url("plan_start", plan.diagnosis.pk))
    assert "This diagnosis already has an active plan" in page(response)
    assert f'href="{url("plan_detail", plan.pk)}"' in page(response)
    response = client.post(
        url("plan_start", plan.diagnosis.pk),
        start_data(plan.diagnosis, plan.protocol, physician),
    )
    assert response.status_code == 200
    assert "This diagnosis already has an active plan." in page(response)
    assert RehabPlan.objects.filter(diagnosis=plan.diagnosis).count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize("persona", ["front_desk", "physiotherapist", "occupational_therapist"])
def test_only_physicians_start_plans(client, request, persona, diagnosis, protocol, physician):
    client.force_login(request.getfixturevalue(persona))
    assert client.get(url("plan_start", diagnosis.pk)).status_code == 403
    response = client.post(
        url("plan_start", diagnosis.pk), start_data(diagnosis, protocol, physician)
    )
    assert response.status_code == 403
    assert not RehabPlan.objects.exists()


@pytest.mark.django_db
def test_start_page_wrong_method_and_anonymous(client, physician, diagnosis):
    assert_login_redirect(client.get(url("plan_start", diagnosis.pk)))
    client.force_login(physician)
    assert client.put(url("plan_start", diagnosis.pk)).status_code == 405
    assert client.get(url("plan_start", 999999)).status_code == 404


# --- The plan page -------------------------------------------------------------


@pytest.mark.django_db
def test_plan_page_shows_header_timeline_allocations_and_logs(
    client, physician, plan, physiotherapist, occupational_therapist
):
    services.individualise_stage_mix(
        stage=plan.stages.get(order=2),
        pt_sessions_per_week=4,
        ot_sessions_per_week=6,
        reason="Tires quickly; needs more OT for dressing",
        by=physician,
    )
    log(plan, physiotherapist, days_ago=1, subjective="Slept badly", pain_before=6, pain_after=4)
    client.force_login(physician)
    response = client.get(url("plan_detail", plan.pk))
    assert response.status_code == 200
    text = page(response)
    assert plan.patient.full_name in text and plan.patient.record_number in text
    assert f'href="{reverse("patients:detail", args=[plan.patient.pk])}"' in text
    assert f'href="{url("protocol_detail", plan.protocol.pk)}"' in text
    assert f"{plan.protocol.name}, version 1" in text
    assert "Dr. Anita Rao" in text
    assert "Stroke" in text and "Both: movement and daily activities" in text
    for order in (1, 2, 3):
        assert f"Stage {order}: Stage {order}" in text
    assert "PT 4 a week" in text and "OT 6 a week" in text
    assert "(protocol: PT 5, OT 5)" in text
    assert "Why it differs: Tires quickly; needs more OT for dressing" in text
    assert "standing" in text and "safe transfers" in text
    assert "Rahul Sharma" in text and "Lakshmi Menon" in text
    assert "Slept badly" in text and "6 → 4" in text
    assert "Start → Stage 1" in text and "Plan started" in text
    assert "Allocated against delivered" in text and "<svg" in text
    assert "Individualise the mix" in text and "Change stage" in text
    assert "Put on hold" in text and "Complete" in text and "Discontinue" in text
    assert "Resume" not in text
    assert f'href="{url("family_summary", plan.pk)}"' in text
    assert f'href="{url("session_log", plan.pk)}"' not in text
    assert f'href="{reverse("plans:session_edit", args=[plan.sessions.get().pk])}"' in text


@pytest.mark.django_db
def test_plan_page_says_where_each_part_is_and_each_link_lands(
    client, physician, physiotherapist, plan
):
    for persona, actions in ((physician, True), (physiotherapist, False)):
        client.force_login(persona)
        text = page(client.get(url("plan_detail", plan.pk)))
        nav = re.search(r'<nav[^>]*aria-label="On this page">(.*?)</nav>', text, re.S).group(1)
        targets = re.findall(r'href="#([^"]+)"', nav)
        assert len(targets) == (6 if actions else 5)
        assert ("actions-heading" in targets) is actions
        for target in targets:
            assert f'id="{target}"' in text, target


@pytest.mark.django_db
def test_plan_page_highlights_a_discipline_not_yet_allocated(client, physician, protocol):
    plan = factories.start_plan(protocol=protocol, lead_physician=physician)
    client.force_login(physician)
    text = page(client.get(url("plan_detail", plan.pk)))
    assert text.count("<strong>Not yet allocated</strong>") == 2
    assert "list-group-item-warning" in text


@pytest.mark.django_db
def test_plan_page_counts_delivered_against_allocated(client, physician, plan, physiotherapist):
    log(plan, physiotherapist)
    log(plan, physiotherapist, attendance="patient_absent")
    client.force_login(physician)
    response = client.get(url("plan_detail", plan.pk))
    this_week = response.context["weeks"][-1]
    assert this_week["PT"].delivered_sessions == 1
    assert this_week["PT"].missed_sessions == 1
    assert this_week["PT"].allocated_sessions == 6
    assert "1 / 6" in page(response) and "17%" in page(response)
    # The session log shows the no-show's planned minutes as not given.
    assert '— <span class="small text-nowrap">(45 planned)</span>' in page(response)


@pytest.mark.django_db
def test_allocated_therapist_reads_the_plan_and_may_log_but_not_change_it(
    client, plan, physiotherapist, occupational_therapist
):
    own = log(plan, occupational_therapist)
    other = log(plan, physiotherapist)
    client.force_login(occupational_therapist)
    response = client.get(url("plan_detail", plan.pk))
    text = page(response)
    assert response.status_code == 200
    assert f'href="{url("session_log", plan.pk)}"' in text
    assert f'href="{reverse("plans:session_edit", args=[own.pk])}"' in text
    assert f'href="{reverse("plans:session_edit", args=[other.pk])}"' not in text
    assert "Individualise the mix" not in text
    assert "Allocate therapists" not in text
    assert url("plan_advance", plan.pk) not in text
    assert url("plan_status", plan.pk) not in text


@pytest.mark.django_db
def test_therapist_cannot_log_on_a_plan_on_hold(client, physician, plan, physiotherapist):
    services.change_plan_status(plan=plan, status="on_hold", by=physician, reason="In hospital")
    client.force_login(physiotherapist)
    text = page(client.get(url("plan_detail", plan.pk)))
    assert f'href="{url("session_log", plan.pk)}"' not in text


@pytest.mark.django_db
def test_session_log_is_paginated_most_recent_first(client, physician, plan, physiotherapist):
    for days_ago in range(13, -1, -1):
        log(plan, physiotherapist, days_ago=days_ago)
        log(plan, physiotherapist, days_ago=days_ago, duration_minutes=30)
    client.force_login(physician)
    first = client.get(url("plan_detail", plan.pk))
    sessions = [session for session, _ in first.context["session_rows"]]
    assert len(sessions) == 20
    assert sessions[0].date == TODAY()
    assert [s.date for s in sessions] == sorted((s.date for s in sessions), reverse=True)
    second = client.get(url("plan_detail", plan.pk), {"page": 2})
    assert len(second.context["session_rows"]) == 8
    assert "Page 2 of 2" in page(second)


@pytest.mark.django_db
@pytest.mark.parametrize("sessions", [2, 30])
def test_plan_page_query_count_does_not_grow_with_the_session_log(
    client,
    physician,
    plan,
    physiotherapist,
    occupational_therapist,
    sessions,
    django_assert_max_num_queries,
):
    for number in range(sessions):
        therapist = physiotherapist if number % 2 else occupational_therapist
        log(plan, therapist, days_ago=number % 14, subjective="Note", focus_areas=["walking"])
    services.advance_stage(plan=plan, by=physician, reason="Ready")
    services.individualise_stage_mix(
        stage=plan.stages.get(order=3),
        pt_sessions_per_week=2,
        ot_sessions_per_week=6,
        reason="More OT",
        by=physician,
    )
    # Constant whatever the log's length: user, groups and session (6 with its save), the plan
    # and its stages (3), the therapist's allocation check, mix changes, weekly
    # figures, the page of sessions with its count, and the stage changes; then the
    # outcomes panel (assessments, goals, exit criteria of the stage) and the
    # timetable panel.
    for persona in (physician, occupational_therapist):
        client.force_login(persona)
        with django_assert_max_num_queries(22):
            response = client.get(url("plan_detail", plan.pk))
        assert response.status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize("persona", ["front_desk", "therapist_not_on_plan"])
def test_plan_page_is_refused_to_staff_off_the_plan(client, request, persona, plan):
    client.force_login(request.getfixturevalue(persona))
    response = client.get(url("plan_detail", plan.pk))
    assert response.status_code == 403
    text = page(response)
    assert "You cannot open this page" in text
    # A therapist is told why: plans open to the patient's own therapists.
    only_theirs = "a patient's plan only while you are one of that patient's therapists"
    assert (only_theirs in text) == (persona == "therapist_not_on_plan")


@pytest.mark.django_db
def test_plan_page_wrong_method_and_anonymous(client, physician, plan):
    assert_login_redirect(client.get(url("plan_detail", plan.pk)))
    client.force_login(physician)
    assert client.post(url("plan_detail", plan.pk)).status_code == 405
    assert client.get(url("plan_detail", 999999)).status_code == 404


# --- Allocate therapists ---------------------------------------------------------


@pytest.mark.django_db
def test_allocate_form_is_prefilled_with_the_current_therapists(
    client, physician, plan, physiotherapist, occupational_therapist
):
    client.force_login(physician)
    response = client.get(url("plan_allocate", plan.pk))
    assert response.status_code == 200
    assert response.context["form"].initial == {
        "physiotherapist": physiotherapist,
        "occupational_therapist": occupational_therapist,
    }
    assert f'<option value="{physiotherapist.pk}" selected>' in page(response)


@pytest.mark.django_db
def test_allocating_a_new_physiotherapist_changes_current_and_upcoming_stages(
    client, physician, plan, physiotherapist, occupational_therapist, therapist_not_on_plan
):
    services.advance_stage(plan=plan, by=physician)
    client.force_login(physician)
    response = client.post(
        url("plan_allocate", plan.pk),
        {
            "physiotherapist": therapist_not_on_plan.pk,
            "occupational_therapist": occupational_therapist.pk,
        },
        follow=True,
    )
    assert response.redirect_chain == [(url("plan_detail", plan.pk), 302)]
    pt = dict(
        SessionAllocation.objects.filter(plan_stage__plan=plan, discipline="PT").values_list(
            "plan_stage__order", "therapist"
        )
    )
    assert pt == {1: physiotherapist.pk, 2: therapist_not_on_plan.pk, 3: therapist_not_on_plan.pk}
    assert set(
        SessionAllocation.objects.filter(plan_stage__plan=plan, discipline="OT").values_list(
            "therapist", flat=True
        )
    ) == {occupational_therapist.pk}
    assert "Physiotherapy: now Arjun Das (was Rahul Sharma)." in page(response)
    assert "Occupational therapy: now" not in page(response)


@pytest.mark.django_db
def test_allocation_can_be_emptied_and_says_so(client, physician, plan, occupational_therapist):
    client.force_login(physician)
    response = client.post(
        url("plan_allocate", plan.pk),
        {"physiotherapist": "", "occupational_therapist": ""},
        follow=True,
    )
    text = page(response)
    assert "Physiotherapy: now not yet allocated (was Rahul Sharma)." in text
    assert "Occupational therapy: now not yet allocated (was Lakshmi Menon)." in text
    assert not SessionAllocation.objects.filter(
        plan_stage__plan=plan, plan_stage__status="current", therapist__isnull=False
    ).exists()


@pytest.mark.django_db
def test_allocating_the_same_therapists_changes_nothing(
    client, physician, plan, physiotherapist, occupational_therapist
):
    client.force_login(physician)
    response = client.post(
        url("plan_allocate", plan.pk),
        {
            "physiotherapist": physiotherapist.pk,
            "occupational_therapist": occupational_therapist.pk,
        },
        follow=True,
    )
    assert "Nothing changed: the same therapists are allocated." in page(response)
    assert plan.allocated_therapist(Discipline.PT) == physiotherapist


@pytest.mark.django_db
def test_closed_plan_refuses_new_therapists(
    client, physician, plan, occupational_therapist, therapist_not_on_plan
):
    services.change_plan_status(plan=plan, status="completed", by=physician, reason="Goals met")
    client.force_login(physician)
    response = client.post(
        url("plan_allocate", plan.pk),
        {"physiotherapist": therapist_not_on_plan.pk, "occupational_therapist": ""},
    )
    assert response.status_code == 200
    assert "A closed plan cannot be given new therapists." in page(response)
    assert not SessionAllocation.objects.filter(therapist=therapist_not_on_plan).exists()
    assert SessionAllocation.objects.filter(therapist=occupational_therapist).count() == 3


@pytest.mark.django_db
def test_allocate_refuses_a_therapist_of_the_other_discipline(
    client, physician, plan, physiotherapist, occupational_therapist
):
    client.force_login(physician)
    response = client.post(
        url("plan_allocate", plan.pk),
        {"physiotherapist": occupational_therapist.pk, "occupational_therapist": ""},
    )
    assert "Select a valid choice." in page(response)
    assert plan.allocated_therapist(Discipline.OT) == occupational_therapist
    assert plan.allocated_therapist(Discipline.PT) == physiotherapist


@pytest.mark.django_db
@pytest.mark.parametrize("persona", ["physiotherapist", "front_desk", "therapist_not_on_plan"])
def test_only_physicians_allocate(client, request, persona, plan, physiotherapist):
    client.force_login(request.getfixturevalue(persona))
    assert client.get(url("plan_allocate", plan.pk)).status_code == 403
    response = client.post(
        url("plan_allocate", plan.pk), {"physiotherapist": "", "occupational_therapist": ""}
    )
    assert response.status_code == 403
    assert plan.allocated_therapist(Discipline.PT) == physiotherapist


@pytest.mark.django_db
def test_allocate_wrong_method_and_anonymous(client, physician, plan):
    assert_login_redirect(client.get(url("plan_allocate", plan.pk)))
    client.force_login(physician)
    assert client.put(url("plan_allocate", plan.pk)).status_code == 405


# --- Individualise a stage's mix -------------------------------------------------


@pytest.mark.django_db
def test_individualise_form_shows_the_protocols_numbers(client, physician, plan):
    stage = plan.stages.get(order=2)
    client.force_login(physician)
    response = client.get(url("plan_individualise", plan.pk, stage.pk))
    assert response.status_code == 200
    assert response.context["form"].initial == {
        "pt_sessions_per_week": 5,
        "ot_sessions_per_week": 5,
    }
    assert '<th scope="row">Protocol</th><td>5</td><td>5</td>' in page(response)


@pytest.mark.django_db
def test_physician_individualises_a_stage_with_a_reason(client, physician, plan):
    stage = plan.stages.get(order=1)
    client.force_login(physician)
    response = client.post(
        url("plan_individualise", plan.pk, stage.pk),
        {"pt_sessions_per_week": 4, "ot_sessions_per_week": 4, "reason": "Cardiac limits"},
        follow=True,
    )
    assert response.redirect_chain == [(url("plan_detail", plan.pk), 302)]
    stage.refresh_from_db()
    assert (stage.pt_sessions_per_week, stage.ot_sessions_per_week) == (4, 4)
    change = StageMixChange.objects.get(plan_stage=stage)
    assert (change.pt_before, change.ot_before, change.pt_after, change.ot_after) == (6, 2, 4, 4)
    assert change.reason == "Cardiac limits" and change.changed_by == physician
    assert set(stage.allocations.values_list("sessions_per_week", flat=True)) == {4}
    assert "Stage 1 now has 4 PT and 4 OT sessions a week." in page(response)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"pt_sessions_per_week": 15, "ot_sessions_per_week": 2}, "At most 14 PT sessions a week."),
        ({"pt_sessions_per_week": 3, "ot_sessions_per_week": 15}, "At most 14 OT sessions a week."),
        (
            {"pt_sessions_per_week": 0, "ot_sessions_per_week": 0},
            "A stage needs at least one PT or OT session a week.",
        ),
        (
            {"pt_sessions_per_week": 4, "ot_sessions_per_week": 3, "reason": "  "},
            "Say why this patient's mix differs from the protocol.",
        ),
        (
            {"pt_sessions_per_week": 6, "ot_sessions_per_week": 2},
            "This is already the stage's mix.",
        ),
        (
            {"pt_sessions_per_week": -1, "ot_sessions_per_week": 2},
            "Sessions a week cannot be below zero.",
        ),
    ],
)
def test_individualise_refusals_are_shown_and_nothing_is_saved(
    client, physician, plan, data, message
):
    stage = plan.stages.get(order=1)
    client.force_login(physician)
    response = client.post(
        url("plan_individualise", plan.pk, stage.pk), {"reason": "Because", **data}
    )
    assert response.status_code == 200
    assert message in page(response)
    stage.refresh_from_db()
    assert (stage.pt_sessions_per_week, stage.ot_sessions_per_week) == (6, 2)
    assert not StageMixChange.objects.exists()


@pytest.mark.django_db
def test_a_finished_stage_cannot_be_individualised(client, physician, plan):
    services.advance_stage(plan=plan, by=physician)
    stage = plan.stages.get(order=1)
    client.force_login(physician)
    assert "This stage is finished" in page(
        client.get(url("plan_individualise", plan.pk, stage.pk))
    )
    response = client.post(
        url("plan_individualise", plan.pk, stage.pk),
        {"pt_sessions_per_week": 3, "ot_sessions_per_week": 3, "reason": "Late change"},
    )
    assert "A finished stage's mix is history and cannot be changed." in page(response)
    stage.refresh_from_db()
    assert stage.mix == Mix(6, 2)
    assert not StageMixChange.objects.exists()


@pytest.mark.django_db
def test_individualise_a_stage_of_another_plan_is_not_found(client, physician, plan, protocol):
    other = factories.start_plan(protocol=protocol, lead_physician=physician)
    client.force_login(physician)
    response = client.get(url("plan_individualise", plan.pk, other.stages.get(order=1).pk))
    assert response.status_code == 404


@pytest.mark.django_db
@pytest.mark.parametrize("persona", ["physiotherapist", "occupational_therapist", "front_desk"])
def test_only_physicians_individualise(client, request, persona, plan):
    stage = plan.stages.get(order=1)
    client.force_login(request.getfixturevalue(persona))
    assert client.get(url("plan_individualise", plan.pk, stage.pk)).status_code == 403
    response = client.post(
        url("plan_individualise", plan.pk, stage.pk),
        {"pt_sessions_per_week": 3, "ot_sessions_per_week": 3, "reason": "Mine"},
    )
    assert response.status_code == 403
    assert not StageMixChange.objects.exists()


@pytest.mark.django_db
def test_individualise_wrong_method_and_anonymous(client, physician, plan):
    stage = plan.stages.get(order=1)
    assert_login_redirect(client.get(url("plan_individualise", plan.pk, stage.pk)))
    client.force_login(physician)
    assert client.delete(url("plan_individualise", plan.pk, stage.pk)).status_code == 405


# --- Change stage ----------------------------------------------------------------


@pytest.mark.django_db
def test_advance_moves_to_the_next_stage(client, other_physician, plan):
    client.force_login(other_physician)
    assert "This is the plan's last stage" not in page(client.get(url("plan_detail", plan.pk)))
    response = client.post(
        url("plan_advance", plan.pk), {"to_order": "", "reason": "Sits unsupported"}, follow=True
    )
    assert response.redirect_chain == [(url("plan_detail", plan.pk), 302)]
    assert "Moved to stage 2: Stage 2." in page(response)
    assert current_order(plan) == 2
    transition = StageTransition.objects.filter(plan=plan).first()
    assert (transition.to_stage.order, transition.changed_by) == (2, other_physician)
    assert transition.reason == "Sits unsupported" and transition.effective_date == TODAY()


@pytest.mark.django_db
def test_advance_takes_an_effective_date(client, physician, plan):
    client.force_login(physician)
    effective = TODAY() - datetime.timedelta(days=2)
    client.post(url("plan_advance", plan.pk), {"effective_date": effective.isoformat()})
    assert plan.stages.get(order=2).started_on == effective
    assert plan.stages.get(order=1).ended_on == effective


@pytest.mark.django_db
def test_the_stage_and_status_forms_label_their_own_fields(client, physician, plan):
    client.force_login(physician)
    text = page(client.get(url("plan_detail", plan.pk)))
    ids = re.findall(r'\bid="([^"]+)"', text)
    assert sorted(set(ids)) == sorted(ids), "every id on the plan page is its own"
    for form in ("stage", "status"):
        for field in ("reason", "effective_date"):
            assert f'for="{form}-{field}"' in text and f'id="{form}-{field}"' in text


@pytest.mark.django_db
def test_going_back_a_stage_needs_a_reason(client, physician, plan):
    services.advance_stage(plan=plan, by=physician)
    client.force_login(physician)
    response = client.post(url("plan_advance", plan.pk), {"to_order": 1, "reason": ""})
    assert response.status_code == 200
    assert "Say why the plan goes back a stage." in page(response)
    # The form is far down the page: the message at the top links to it.
    assert 'The stage did not change: <a href="#advance-heading">see the stage form</a>.' in (
        page(response)
    )
    assert current_order(plan) == 2
    assert StageTransition.objects.filter(plan=plan).count() == 2

    response = client.post(
        url("plan_advance", plan.pk), {"to_order": 1, "reason": "Fall at home"}, follow=True
    )
    assert "Moved to stage 1: Stage 1." in page(response)
    assert current_order(plan) == 1
    assert StageTransition.objects.filter(plan=plan).first().is_step_back


@pytest.mark.django_db
def test_advance_from_the_last_stage_is_refused(client, physician, plan):
    services.advance_stage(plan=plan, by=physician)
    services.advance_stage(plan=plan, by=physician)
    client.force_login(physician)
    detail = page(client.get(url("plan_detail", plan.pk)))
    assert "No next stage: this is the last one" in detail
    assert "This is the plan's last stage: when its work is done, complete the plan" in detail
    response = client.post(url("plan_advance", plan.pk), {"to_order": ""})
    assert "This is the last stage; complete the plan instead." in page(response)
    assert current_order(plan) == 3


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"to_order": 1}, "The plan is already in this stage."),
        ({"to_order": 9}, "This plan has no such stage."),
        (
            {"effective_date": "2000-01-01"},
            "The change cannot be dated before the current stage started.",
        ),
    ],
)
def test_advance_refusals_are_shown_next_to_their_field(client, physician, plan, data, message):
    client.force_login(physician)
    response = client.post(url("plan_advance", plan.pk), data)
    assert response.status_code == 200
    assert message in page(response)
    assert current_order(plan) == 1
    assert StageTransition.objects.filter(plan=plan).count() == 1


@pytest.mark.django_db
def test_a_plan_on_hold_does_not_change_stage(client, physician, plan):
    services.change_plan_status(plan=plan, status="on_hold", by=physician, reason="In hospital")
    client.force_login(physician)
    response = client.post(url("plan_advance", plan.pk), {})
    assert "Only an active plan can change stage; this one is on hold." in page(response)
    assert current_order(plan) == 1


@pytest.mark.django_db
@pytest.mark.parametrize("persona", ["physiotherapist", "front_desk", "therapist_not_on_plan"])
def test_only_physicians_change_stage(client, request, persona, plan):
    client.force_login(request.getfixturevalue(persona))
    assert client.post(url("plan_advance", plan.pk), {}).status_code == 403
    assert current_order(plan) == 1


@pytest.mark.django_db
def test_advance_accepts_only_post(client, physician, plan):
    assert_login_redirect(client.post(url("plan_advance", plan.pk), {}))
    client.force_login(physician)
    assert client.get(url("plan_advance", plan.pk)).status_code == 405
    assert current_order(plan) == 1


# --- Plan status -------------------------------------------------------------------


@pytest.mark.django_db
def test_physician_puts_a_plan_on_hold_and_resumes_it(client, physician, plan):
    client.force_login(physician)
    assert "Holds and status changes" not in page(client.get(url("plan_detail", plan.pk)))
    response = client.post(
        url("plan_status", plan.pk), {"status": "on_hold", "reason": "Chest infection"}, follow=True
    )
    assert "The plan is on hold." in page(response)
    assert "Resume" in page(response) and "Put on hold" not in page(response)
    plan.refresh_from_db()
    assert (plan.status, plan.status_reason) == ("on_hold", "Chest infection")

    response = client.post(url("plan_status", plan.pk), {"status": "active"}, follow=True)
    assert "The plan is active again." in page(response)
    plan.refresh_from_db()
    assert plan.status == "active"
    # Resumed, the plan page still says when it was held and why.
    text = page(response)
    log = text[text.index("Holds and status changes") :]
    log = log[: log.index("</table>")]
    day = date_format(TODAY(), "j M Y")
    assert f"<td>{day}</td>\n          <td>Active → On hold</td>" in log
    assert "<td>Chest infection</td>" in log
    assert "<td>On hold → Active</td>" in log


@pytest.mark.django_db
def test_a_hold_is_dated_from_the_day_it_began(client, physician, plan, physiotherapist):
    client.force_login(physician)
    ahead = (TODAY() + datetime.timedelta(days=2)).isoformat()
    data = {"status": "on_hold", "reason": "Admitted yesterday", "effective_date": ahead}
    response = client.post(url("plan_status", plan.pk), data)
    assert response.status_code == 200
    assert "A status change is recorded on the day it happens, not ahead." in page(response)
    plan.refresh_from_db()
    assert plan.status == "active" and not plan.status_changes.exists()

    # Therapy given two days ago: the hold cannot be dated before it.
    log(plan, physiotherapist, days_ago=2)
    data["effective_date"] = (TODAY() - datetime.timedelta(days=3)).isoformat()
    response = client.post(url("plan_status", plan.pk), data)
    assert response.status_code == 200
    shown = date_format(TODAY() - datetime.timedelta(days=2), "j M Y")
    assert f"The patient attended a session on {shown}: a hold begins after it." in page(response)
    plan.refresh_from_db()
    assert plan.status == "active" and not plan.status_changes.exists()

    yesterday = TODAY() - datetime.timedelta(days=1)
    data["effective_date"] = yesterday.isoformat()
    response = client.post(url("plan_status", plan.pk), data)
    assert response.status_code == 302
    plan.refresh_from_db()
    assert plan.status == "on_hold"
    assert plan.status_changes.get().effective_date == yesterday
    assert plan.hold_periods() == [(yesterday, None)]


@pytest.mark.django_db
def test_completing_a_plan_closes_its_current_stage(client, physician, plan):
    client.force_login(physician)
    response = client.post(
        url("plan_status", plan.pk), {"status": "completed", "reason": "Goals met"}, follow=True
    )
    assert "The plan is completed." in page(response)
    plan.refresh_from_db()
    assert (plan.status, plan.end_date) == ("completed", TODAY())
    assert not plan.stages.filter(status="current").exists()
    assert "it no longer changes" in page(response)


@pytest.mark.django_db
def test_status_change_without_a_reason_is_refused(client, physician, plan):
    client.force_login(physician)
    response = client.post(url("plan_status", plan.pk), {"status": "discontinued", "reason": ""})
    assert response.status_code == 200
    assert "Say why the plan's status changes." in page(response)
    plan.refresh_from_db()
    assert (plan.status, plan.status_reason) == ("active", "")


@pytest.mark.django_db
def test_a_closed_plan_does_not_reopen(client, physician, plan):
    services.change_plan_status(plan=plan, status="completed", by=physician, reason="Goals met")
    client.force_login(physician)
    response = client.post(url("plan_status", plan.pk), {"status": "discontinued", "reason": "x"})
    assert "A plan that is completed cannot be made discontinued." in page(response)
    plan.refresh_from_db()
    assert (plan.status, plan.status_reason) == ("completed", "Goals met")


@pytest.mark.django_db
@pytest.mark.parametrize(
    "persona", ["occupational_therapist", "front_desk", "therapist_not_on_plan"]
)
def test_only_physicians_change_the_status(client, request, persona, plan):
    client.force_login(request.getfixturevalue(persona))
    response = client.post(url("plan_status", plan.pk), {"status": "on_hold", "reason": "x"})
    assert response.status_code == 403
    plan.refresh_from_db()
    assert plan.status == "active"


@pytest.mark.django_db
def test_status_accepts_only_post(client, physician, plan):
    assert_login_redirect(client.post(url("plan_status", plan.pk), {"status": "on_hold"}))
    client.force_login(physician)
    assert client.get(url("plan_status", plan.pk)).status_code == 405
    plan.refresh_from_db()
    assert plan.status == "active"


@pytest.mark.django_db
def test_a_week_on_hold_keeps_the_sessions_given_before_the_hold(
    client, physician, plan, physiotherapist
):
    monday = selectors.week_start(TODAY())
    log(plan, physiotherapist, days_ago=(TODAY() - monday).days)
    services.change_plan_status(
        plan=plan, status="on_hold", by=physician, reason="In hospital", effective_date=monday
    )
    client.force_login(physician)
    text = page(client.get(url("plan_detail", plan.pk)))
    assert "On hold: no therapy allocated this week (1 session given before the hold)" in text
    assert ">on hold</text>" in text


@pytest.mark.django_db
def test_a_refused_status_change_reads_the_status_log_once(client, physician, plan):
    client.force_login(physician)
    with CaptureQueriesContext(connection) as captured:
        response = client.post(url("plan_status", plan.pk), {"status": "on_hold", "reason": ""})
    assert response.status_code == 200
    assert "Say why the plan's status changes." in page(response)
    reads = [q["sql"] for q in captured if 'FROM "plans_planstatuschange"' in q["sql"]]
    assert len(reads) == 1, reads  # the log, the weeks on hold and the timetable's weeks
