"""The outcome pages: recording an assessment, goals, and the panels on other pages."""

import datetime
import html
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format

from outcomes import measures, services
from outcomes.demo import items_for
from outcomes.models import (
    Assessment,
    Goal,
    MeasureSetting,
    StageExitCriterion,
    StageProgressionRule,
)
from plans import services as plan_services
from tests import factories

TODAY = timezone.localdate


def url(name, *args):
    return reverse(f"outcomes:{name}", args=args)


def page(response) -> str:
    return html.unescape(response.content.decode())


def assert_login_redirect(response):
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def record(plan, key, total, by, days=0):
    return services.record_assessment(
        plan=plan,
        measure_key=key,
        assessor=by,
        date=TODAY() - datetime.timedelta(days=days),
        item_scores=items_for(measures.get(key), total),
    )


def barthel_post(**overrides):
    data = {"date": TODAY().isoformat(), "notes": "Used a grab rail."}
    data.update({item.key: str(item.allowed_values[-1]) for item in measures.BARTHEL.items})
    data.update(overrides)
    return data


@pytest.fixture
def ruled_plan(plan, protocol):
    stage = protocol.stages.get(order=1)
    StageProgressionRule.objects.create(protocol_stage=stage, minimum_weeks=1)
    StageExitCriterion.objects.create(
        protocol_stage=stage, measure="berg", comparison=">=", value=45
    )
    return plan


# --- Choosing a measure ---------------------------------------------------------------


@pytest.mark.django_db
def test_a_physiotherapist_sees_their_measures_first(client, plan, physiotherapist):
    client.force_login(physiotherapist)
    response = client.get(url("assessment_choose", plan.pk))
    text = page(response)
    assert response.status_code == 200
    mine = text[text.index("Your discipline's measures") : text.index("Other measures")]
    assert "Berg Balance Scale" in mine and "Barthel Index" not in mine
    assert "Goal Attainment Scaling" not in text


@pytest.mark.django_db
def test_a_measure_switched_off_is_not_offered(client, plan, physician):
    MeasureSetting.objects.create(measure="modified_rankin", enabled=False)
    client.force_login(physician)
    response = client.get(url("assessment_choose", plan.pk))
    assert response.status_code == 200
    assert "Modified Rankin Scale" not in page(response)
    assert "Barthel Index" in page(response)


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["front_desk", "therapist_not_on_plan"])
def test_only_the_plans_team_chooses_a_measure(client, plan, who, request):
    client.force_login(request.getfixturevalue(who))
    assert client.get(url("assessment_choose", plan.pk)).status_code == 403
    assert client.get(url("assessment_record", plan.pk, "berg")).status_code == 403


@pytest.mark.django_db
def test_assessment_pages_send_anonymous_visitors_to_sign_in(client, plan):
    assert_login_redirect(client.get(url("assessment_choose", plan.pk)))
    assert_login_redirect(client.post(url("assessment_record", plan.pk, "berg"), {}))
    assert not Assessment.objects.exists()


@pytest.mark.django_db
def test_assessment_pages_refuse_other_methods(client, plan, physiotherapist):
    client.force_login(physiotherapist)
    assert client.post(url("assessment_choose", plan.pk)).status_code == 405
    assert client.delete(url("assessment_record", plan.pk, "berg")).status_code == 405


# --- Recording ------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_form_is_built_from_the_definition_with_radio_buttons(client, plan, physician):
    client.force_login(physician)
    response = client.get(url("assessment_record", plan.pk, "barthel"))
    text = page(response)
    assert response.status_code == 200
    for item in measures.BARTHEL.items:
        assert f'name="{item.key}"' in text
    assert text.count('type="radio"') == sum(len(i.choices) for i in measures.BARTHEL.items)
    assert "Walks with help of one person" in text
    assert "MedChi" in text and "Mahoney" in text


@pytest.mark.django_db
def test_an_occupational_therapist_records_a_barthel_and_sees_the_total(
    client, plan, occupational_therapist
):
    client.force_login(occupational_therapist)
    response = client.post(
        url("assessment_record", plan.pk, "barthel"), barthel_post(stairs="5", bathing="0")
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("plans:plan_detail", args=[plan.pk]) + "#outcomes"
    assessment = Assessment.objects.get()
    assert assessment.total == 90
    assert assessment.assessor == occupational_therapist
    assert assessment.notes == "Used a grab rail."
    followed = client.get(response["Location"])
    assert "Barthel Index recorded for" in page(followed) and "90 (Moderate dependency)" in page(
        followed
    )


@pytest.mark.django_db
def test_a_typed_total_in_the_post_is_ignored(client, plan, occupational_therapist):
    client.force_login(occupational_therapist)
    client.post(url("assessment_record", plan.pk, "barthel"), barthel_post(total="5"))
    assert Assessment.objects.get().total == 100


@pytest.mark.django_db
def test_a_wrong_item_value_is_shown_next_to_its_item_and_nothing_saved(
    client, plan, occupational_therapist
):
    client.force_login(occupational_therapist)
    response = client.post(
        url("assessment_record", plan.pk, "barthel"), barthel_post(feeding="7", stairs="")
    )
    text = page(response)
    assert response.status_code == 200
    assert "Feeding: 7 is not an allowed score; choose 0, 5 or 10." in text
    assert "Stairs: choose a score." in text
    assert not Assessment.objects.exists()


@pytest.mark.django_db
def test_a_timed_test_records_the_speed_from_the_time(client, plan, physiotherapist):
    client.force_login(physiotherapist)
    response = client.post(
        url("assessment_record", plan.pk, "ten_metre_walk"),
        {"date": TODAY().isoformat(), "pace": "comfortable", "seconds": "20.00"},
    )
    assert response.status_code == 302
    assessment = Assessment.objects.get()
    assert assessment.total == Decimal("0.50")
    assert assessment.item_scores == {"pace": "comfortable", "seconds": "20.00"}


@pytest.mark.django_db
def test_a_future_date_is_refused_next_to_the_date(client, plan, physiotherapist):
    client.force_login(physiotherapist)
    tomorrow = TODAY() + datetime.timedelta(days=1)
    response = client.post(
        url("assessment_record", plan.pk, "tug"), {"date": tomorrow.isoformat(), "seconds": "12"}
    )
    assert response.status_code == 200
    assert "An assessment cannot be dated in the future." in page(response)
    assert not Assessment.objects.exists()


@pytest.mark.django_db
def test_a_closed_plan_says_why_no_assessment_is_taken(client, plan, physician):
    plan_services.change_plan_status(plan=plan, status="completed", by=physician, reason="Done.")
    client.force_login(physician)
    response = client.get(url("assessment_record", plan.pk, "tug"))
    assert "This plan is completed; assessments are recorded on active plans only." in page(
        response
    )
    response = client.post(
        url("assessment_record", plan.pk, "tug"), {"date": TODAY().isoformat(), "seconds": "12"}
    )
    assert response.status_code == 200
    assert "This plan is completed; assessments are recorded on active plans only." in page(
        response
    )
    assert not Assessment.objects.exists()


@pytest.mark.django_db
def test_an_unknown_or_computed_measure_is_not_found(client, plan, physician):
    client.force_login(physician)
    assert client.get(url("assessment_record", plan.pk, "fim")).status_code == 404
    assert client.get(url("assessment_record", plan.pk, "gas")).status_code == 404


@pytest.mark.django_db
def test_an_assessment_shows_its_items_in_words(client, plan, occupational_therapist, front_desk):
    assessment = record(plan, "barthel", 70, occupational_therapist)
    client.force_login(occupational_therapist)
    response = client.get(url("assessment_detail", assessment.pk))
    text = page(response)
    assert response.status_code == 200
    assert "Barthel Index: 70" in text and "Total (computed)" in text
    assert "Continent" in text and "MedChi" in text
    client.force_login(front_desk)
    assert client.get(url("assessment_detail", assessment.pk)).status_code == 403
    assert client.post(url("assessment_detail", assessment.pk)).status_code == 405


# --- Goals ------------------------------------------------------------------------------


def goal_post(**overrides):
    data = {
        "discipline": "OT",
        "family": "live_independently",
        "description": "Dress the upper body without help",
        "target_date": (TODAY() + datetime.timedelta(weeks=4)).isoformat(),
        "status": "in_progress",
        "measure": "barthel",
        "target_value": "75",
        "gas_score": "",
        "gas_weight": "1",
    }
    data.update(overrides)
    return data


@pytest.mark.django_db
def test_an_occupational_therapist_adds_a_goal_linked_to_a_measure(
    client, plan, occupational_therapist
):
    client.force_login(occupational_therapist)
    assert client.get(url("goal_create", plan.pk)).status_code == 200
    response = client.post(url("goal_create", plan.pk), goal_post())
    assert response.status_code == 302
    goal = Goal.objects.get()
    assert (goal.discipline, goal.measure, goal.target_value) == ("OT", "barthel", 75)
    assert goal.created_by == occupational_therapist


@pytest.mark.django_db
def test_a_physiotherapist_cannot_set_an_ot_goal(client, plan, physiotherapist):
    client.force_login(physiotherapist)
    response = client.post(url("goal_create", plan.pk), goal_post())
    assert response.status_code == 200
    assert "Select a valid choice. OT is not one of the available choices." in page(response)
    assert not Goal.objects.exists()


@pytest.mark.django_db
def test_a_measure_without_a_target_is_refused_next_to_the_target(client, plan, physician):
    client.force_login(physician)
    response = client.post(url("goal_create", plan.pk), goal_post(target_value=""))
    assert response.status_code == 200
    assert "Give the value that shows this goal is met." in page(response)
    assert not Goal.objects.exists()


@pytest.mark.django_db
def test_a_goal_is_reviewed_with_its_attainment_score(client, plan, physician):
    goal = services.save_goal(
        plan=plan,
        by=physician,
        discipline="PT",
        family=Goal.Family.FEEL_CONFIDENT,
        description="Walk to the temple with the family",
        target_date=TODAY(),
    )
    client.force_login(physician)
    response = client.post(
        url("goal_edit", goal.pk),
        goal_post(
            discipline="PT",
            family="feel_confident",
            description="Walk to the temple with the family",
            measure="",
            target_value="",
            status="achieved",
            gas_score="1",
        ),
    )
    assert response.status_code == 302
    goal.refresh_from_db()
    assert goal.status == "achieved" and goal.gas_score == 1 and goal.reviewed_on == TODAY()
    plan_page = page(client.get(reverse("plans:plan_detail", args=[plan.pk])))
    assert "Goal attainment T-score: <strong>60.0</strong> from 1 goal scored" in plan_page


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["front_desk", "therapist_not_on_plan"])
def test_only_the_plans_team_sets_goals(client, plan, physician, who, request):
    goal = services.save_goal(
        plan=plan,
        by=physician,
        discipline="PT",
        family=Goal.Family.MOVE_BETTER,
        description="Walk",
        target_date=TODAY(),
    )
    client.force_login(request.getfixturevalue(who))
    assert client.get(url("goal_create", plan.pk)).status_code == 403
    assert client.post(url("goal_create", plan.pk), goal_post()).status_code == 403
    assert client.post(url("goal_edit", goal.pk), goal_post()).status_code == 403
    assert Goal.objects.count() == 1


@pytest.mark.django_db
def test_goal_pages_refuse_other_methods_and_anonymous_visitors(client, plan, physician):
    assert_login_redirect(client.get(url("goal_create", plan.pk)))
    client.force_login(physician)
    assert client.put(url("goal_create", plan.pk)).status_code == 405


# --- The stage form's caution -------------------------------------------------------


def advance_card(response) -> str:
    text = page(response)
    start = text.index('id="advance-heading"')
    return text[start : text.index("</form>", start)]


@pytest.mark.django_db
def test_the_stage_form_says_what_the_measured_criteria_still_lack(
    client, ruled_plan, physician, physiotherapist
):
    record(ruled_plan, "berg", 39, physiotherapist, days=1)
    client.force_login(physician)
    card = advance_card(client.get(reverse("plans:plan_detail", args=[ruled_plan.pk])))
    assert "Not ready by its measured criteria yet." in card
    shown = date_format(TODAY() - datetime.timedelta(days=1), "j M Y")
    assert f"Berg Balance Scale 39 on {shown} (needs ≥ 45)" in card
    assert "Moving on stays your decision: to move on now, give your reason below" in card


@pytest.mark.django_db
def test_the_stage_form_has_no_caution_when_the_plan_is_ready_or_has_no_measured_criteria(
    client, ruled_plan, plan, physician, physiotherapist
):
    record(ruled_plan, "berg", 47, physiotherapist, days=1)
    client.force_login(physician)
    ready = advance_card(client.get(reverse("plans:plan_detail", args=[ruled_plan.pk])))
    assert "Not ready by its measured criteria yet." not in ready
    StageExitCriterion.objects.all().delete()
    unmeasured = advance_card(client.get(reverse("plans:plan_detail", args=[plan.pk])))
    assert "Not ready by its measured criteria yet." not in unmeasured


@pytest.mark.django_db
def test_moving_on_against_the_criteria_asks_the_reason_next_to_its_field(
    client, ruled_plan, physician, physiotherapist
):
    record(ruled_plan, "berg", 39, physiotherapist, days=1)
    client.force_login(physician)
    advance = reverse("plans:plan_advance", args=[ruled_plan.pk])
    response = client.post(advance, {"to_order": "", "reason": ""})
    assert response.status_code == 200
    form = advance_card(response)
    assert "Stage 1 has not met its exit criteria yet (Berg Balance Scale 39 on" in form
    assert "say why the plan moves on now." in form
    assert 'id="stage-reason"' in form and "is-invalid" in form
    ruled_plan.refresh_from_db()
    assert ruled_plan.current_stage.order == 1
    assert ruled_plan.transitions.count() == 1

    response = client.post(advance, {"to_order": "", "reason": "Discharge date brought forward"})
    assert response.status_code == 302
    ruled_plan.refresh_from_db()
    assert ruled_plan.current_stage.order == 2
    assert ruled_plan.transitions.first().reason == "Discharge date brought forward"


# --- The plan page panel --------------------------------------------------------------


@pytest.mark.django_db
def test_the_plan_page_shows_criteria_evidence_scores_chart_and_record_button(
    client, ruled_plan, physiotherapist
):
    record(ruled_plan, "berg", 38, physiotherapist, days=7)
    record(ruled_plan, "berg", 47, physiotherapist, days=1)
    client.force_login(physiotherapist)
    response = client.get(reverse("plans:plan_detail", args=[ruled_plan.pk]))
    text = page(response)
    assert response.status_code == 200
    assert "Progress and outcome measures" in text
    assert "Ready to move on" in text
    assert (
        f"Berg Balance Scale 47 on {date_format(TODAY() - datetime.timedelta(days=1), 'j M Y')}"
        in text
    )
    assert "Record an assessment" in text
    assert '<svg class="chart"' in text and "Berg Balance Scale over the plan" in text
    assert "to move on: ≥ 45" in text  # the criterion drawn on the chart
    # Which rule decides is said where both show.
    assert 'These measured criteria decide "Ready to move on"' in text
    assert "Written exit criteria (the team's judgement):" in text
    assert "+9 (better, a meaningful change)" in text  # MCID 6.5


@pytest.mark.django_db
def test_the_plan_page_does_not_offer_recording_to_a_closed_plan(client, plan, physician):
    plan_services.change_plan_status(plan=plan, status="completed", by=physician, reason="Done.")
    client.force_login(physician)
    text = page(client.get(reverse("plans:plan_detail", args=[plan.pk])))
    assert "Progress and outcome measures" in text
    assert url("assessment_choose", plan.pk) not in text


def plan_page_queries(client, plan) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(reverse("plans:plan_detail", args=[plan.pk]))
    assert response.status_code == 200
    return len(captured)


@pytest.mark.django_db
def test_the_plan_panel_queries_do_not_grow_with_assessments_or_goals(
    client, ruled_plan, physician, physiotherapist
):
    client.force_login(physician)
    record(ruled_plan, "berg", 40, physiotherapist, days=5)
    few = plan_page_queries(client, ruled_plan)
    for days in range(4):
        record(ruled_plan, "berg", 41 + days, physiotherapist, days=days)
        record(ruled_plan, "tug", "14.0", physiotherapist, days=days)
        services.save_goal(
            plan=ruled_plan,
            by=physician,
            discipline="PT",
            family=Goal.Family.MOVE_BETTER,
            description=f"Goal {days}",
            target_date=TODAY(),
            measure="tug",
            target_value=Decimal("12.0"),
        )
    assert plan_page_queries(client, ruled_plan) == few


# --- The physician's home ---------------------------------------------------------------


def home_queries(client) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get("/")
    assert response.status_code == 200
    return len(captured)


@pytest.mark.django_db
def test_the_physician_home_lists_plans_ready_to_move_on_with_their_evidence(
    client, ruled_plan, protocol, physician, physiotherapist, occupational_therapist
):
    record(ruled_plan, "berg", 47, physiotherapist)
    overdue = factories.start_plan(
        protocol=protocol,
        lead_physician=physician,
        physiotherapist=physiotherapist,
        occupational_therapist=occupational_therapist,
        start_date=TODAY() - datetime.timedelta(days=21),
    )
    record(overdue, "berg", 39, physiotherapist)
    client.force_login(physician)
    text = page(client.get("/"))
    ready = text[text.index("Ready to move on") : text.index("Past the typical time")]
    assert ruled_plan.patient.full_name in ready and overdue.patient.full_name not in ready
    assert f"Berg Balance Scale 47 on {date_format(TODAY(), 'j M Y')} (needs ≥ 45)" in ready
    late = text[text.index("Past the typical time") : text.index("My active plans")]
    assert overdue.patient.full_name in late and "Berg Balance Scale 39" in late


@pytest.mark.django_db
def test_the_physician_home_costs_the_same_queries_for_more_plans(
    client, ruled_plan, protocol, physician, physiotherapist, occupational_therapist
):
    client.force_login(physician)
    record(ruled_plan, "berg", 47, physiotherapist)
    few = home_queries(client)
    for _ in range(4):
        more = factories.start_plan(
            protocol=protocol,
            lead_physician=physician,
            physiotherapist=physiotherapist,
            occupational_therapist=occupational_therapist,
        )
        record(more, "berg", 47, physiotherapist)
    assert home_queries(client) == few


@pytest.mark.django_db
def test_therapists_do_not_get_the_physicians_board(client, plan, physiotherapist):
    client.force_login(physiotherapist)
    assert "Ready to move on" not in page(client.get("/"))


# --- The family summary and the protocol page ----------------------------------------------


@pytest.mark.django_db
def test_the_family_summary_says_progress_in_plain_words(
    client, plan, physiotherapist, occupational_therapist, front_desk
):
    record(plan, "berg", 18, physiotherapist, days=10)
    record(plan, "berg", 35, physiotherapist, days=1)
    record(plan, "barthel", 70, occupational_therapist, days=1)
    record(plan, "nprs", 6, physiotherapist, days=10)
    record(plan, "nprs", 3, physiotherapist, days=1)
    assessment = Assessment.objects.filter(measure="barthel").get()
    assessment.notes = "Private clinical note"
    assessment.save()
    client.force_login(front_desk)
    text = page(client.get(reverse("plans:family_summary", args=[plan.pk])))
    assert "How things are going" in text
    assert (
        "Balance is improving but still a fall risk: walks with help — better than when "
        "therapy started." in text
    )
    assert "Needs some help with daily tasks." in text
    assert "Pain is about 3 out of 10, down from 6 at the start." in text
    assert "one_leg_stance" not in text and "Private clinical note" not in text
    assert "Berg" not in text and "Barthel" not in text


@pytest.mark.django_db
def test_the_protocol_page_shows_the_measured_exit_criteria(
    client, ruled_plan, protocol, physician
):
    client.force_login(physician)
    text = page(client.get(reverse("plans:protocol_detail", args=[protocol.pk])))
    assert "Measured exit criteria" in text
    assert "Berg Balance Scale ≥ 45" in text


@pytest.mark.django_db
def test_the_admin_edits_a_draft_stages_exit_rules_and_only_reads_a_published_ones(
    client, ruled_plan, protocol, physician, superuser
):
    draft = protocol.new_version(author=physician)  # starts with v1's rules
    client.force_login(superuser)
    stage = draft.stages.get(order=1)
    listing = client.get(reverse("admin:outcomes_stageexitrules_changelist"))
    assert listing.status_code == 200 and "Berg Balance Scale ≥ 45" in page(listing)
    change = reverse("admin:outcomes_stageexitrules_change", args=[stage.pk])
    assert client.get(change).status_code == 200
    criterion = StageExitCriterion.objects.get(protocol_stage=stage)
    rule = StageProgressionRule.objects.get(protocol_stage=stage)
    data = {
        "progression_rule-TOTAL_FORMS": "1",
        "progression_rule-INITIAL_FORMS": "1",
        "progression_rule-MIN_NUM_FORMS": "0",
        "progression_rule-MAX_NUM_FORMS": "1",
        "progression_rule-0-id": str(rule.pk),
        "progression_rule-0-protocol_stage": str(stage.pk),
        "progression_rule-0-minimum_weeks": "2",
        "measured_exit_criteria-TOTAL_FORMS": "2",
        "measured_exit_criteria-INITIAL_FORMS": "1",
        "measured_exit_criteria-MIN_NUM_FORMS": "0",
        "measured_exit_criteria-MAX_NUM_FORMS": "1000",
        "measured_exit_criteria-0-id": str(criterion.pk),
        "measured_exit_criteria-0-protocol_stage": str(stage.pk),
        "measured_exit_criteria-0-measure": "berg",
        "measured_exit_criteria-0-comparison": ">=",
        "measured_exit_criteria-0-value": "45",
        "measured_exit_criteria-1-protocol_stage": str(stage.pk),
        "measured_exit_criteria-1-measure": "tug",
        "measured_exit_criteria-1-comparison": "<=",
        "measured_exit_criteria-1-value": "13.5",
    }
    response = client.post(change, data)
    assert response.status_code == 302, page(response)
    rule.refresh_from_db()
    assert rule.minimum_weeks == 2
    assert sorted(
        c.describe() for c in StageExitCriterion.objects.filter(protocol_stage=stage)
    ) == [
        "Berg Balance Scale ≥ 45",
        "Timed Up and Go ≤ 13.5 s",
    ]
    # The published version the plan follows keeps its rules.
    published = protocol.stages.get(order=1)
    published_change = reverse("admin:outcomes_stageexitrules_change", args=[published.pk])
    client.post(published_change, data)
    assert [c.describe() for c in StageExitCriterion.objects.filter(protocol_stage=published)] == [
        "Berg Balance Scale ≥ 45"
    ]
    assert StageProgressionRule.objects.get(protocol_stage=published).minimum_weeks == 1


@pytest.mark.django_db
def test_a_closed_plans_goals_page_says_they_no_longer_change(client, plan, physician):
    plan_services.change_plan_status(plan=plan, status="completed", by=physician, reason="Done.")
    client.force_login(physician)
    response = client.get(url("goal_create", plan.pk))
    assert response.status_code == 200
    assert "This plan is completed; its goals no longer change." in page(response)
    response = client.post(url("goal_create", plan.pk), goal_post())
    assert "This plan is completed; its goals no longer change." in page(response)
    assert not Goal.objects.exists()
