"""Recording assessments and goals, measured exit criteria, and the ready/overdue flags."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django.utils.formats import date_format

from outcomes import measures, selectors, services
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
AT_LEAST, AT_MOST = StageExitCriterion.Comparison.AT_LEAST, StageExitCriterion.Comparison.AT_MOST


def days_ago(days: int) -> datetime.date:
    return TODAY() - datetime.timedelta(days=days)


def record(plan, key, total, by, days=0):
    return services.record_assessment(
        plan=plan,
        measure_key=key,
        assessor=by,
        date=days_ago(days),
        item_scores=items_for(measures.get(key), total),
    )


def add_rules(stage, minimum_weeks, *criteria):
    StageProgressionRule.objects.create(protocol_stage=stage, minimum_weeks=minimum_weeks)
    for key, comparison, value in criteria:
        StageExitCriterion.objects.create(
            protocol_stage=stage, measure=key, comparison=comparison, value=Decimal(value)
        )


@pytest.fixture
def ruled_protocol(protocol):
    """Stage 1: Berg ≥ 45 and gait ≥ 0.40 m/s after a week; stage 2: Barthel ≥ 75."""
    add_rules(
        protocol.stages.get(order=1),
        1,
        ("berg", AT_LEAST, "45"),
        ("ten_metre_walk", AT_LEAST, "0.40"),
    )
    add_rules(protocol.stages.get(order=2), 2, ("barthel", AT_LEAST, "75"))
    return protocol


def start(protocol, physician, physiotherapist, occupational_therapist, days=14):
    return factories.start_plan(
        protocol=protocol,
        lead_physician=physician,
        physiotherapist=physiotherapist,
        occupational_therapist=occupational_therapist,
        start_date=days_ago(days),
    )


@pytest.fixture
def ruled_plan(ruled_protocol, physician, physiotherapist, occupational_therapist):
    """Two weeks into stage 1 (typically two weeks long)."""
    return start(ruled_protocol, physician, physiotherapist, occupational_therapist)


def progress_of(plan):
    plan = plan.__class__.objects.prefetch_related("stages").get(pk=plan.pk)
    return selectors.progression(plan, TODAY())


# --- Recording an assessment ---------------------------------------------------------


@pytest.mark.django_db
def test_recording_computes_and_stores_the_total_with_the_stage(ruled_plan, physiotherapist):
    assessment = record(ruled_plan, "berg", 47, physiotherapist, days=2)
    assessment.refresh_from_db()
    assert assessment.total == 47
    assert sum(assessment.item_scores.values()) == 47
    assert assessment.plan_stage.order == 1
    assert assessment.assessor == physiotherapist


@pytest.mark.django_db
def test_a_typed_total_is_ignored_the_items_decide(ruled_plan, physiotherapist):
    with pytest.raises(ValidationError) as caught:
        services.record_assessment(
            plan=ruled_plan,
            measure_key="nprs",
            assessor=physiotherapist,
            date=TODAY(),
            item_scores={"pain": 3, "total": 9},
        )
    assert "Numeric Pain Rating Scale has no item called total." in caught.value.messages
    assert not Assessment.objects.exists()


@pytest.mark.django_db
def test_a_wrong_item_value_is_refused_and_nothing_is_saved(ruled_plan, occupational_therapist):
    items = items_for(measures.BARTHEL, 60) | {"bathing": 10}
    with pytest.raises(ValidationError) as caught:
        services.record_assessment(
            plan=ruled_plan,
            measure_key="barthel",
            assessor=occupational_therapist,
            date=TODAY(),
            item_scores=items,
        )
    assert caught.value.message_dict["bathing"] == [
        "Bathing: 10 is not an allowed score; choose 0 or 5."
    ]
    assert not Assessment.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("days", "message"),
    [
        (-1, "An assessment cannot be dated in the future."),
        (30, "This date is before the plan started"),
    ],
)
def test_the_date_must_fall_within_the_plan(ruled_plan, physiotherapist, days, message):
    with pytest.raises(ValidationError) as caught:
        record(ruled_plan, "tug", "12.0", physiotherapist, days=days)
    assert any(m.startswith(message) for m in caught.value.message_dict["date"])
    assert not Assessment.objects.exists()


@pytest.mark.django_db
def test_a_therapist_not_on_the_plan_cannot_record(ruled_plan, therapist_not_on_plan):
    with pytest.raises(ValidationError) as caught:
        record(ruled_plan, "berg", 40, therapist_not_on_plan)
    assert caught.value.messages == ["Arjun Das is not on this plan's team."]
    assert not Assessment.objects.exists()


@pytest.mark.django_db
def test_a_plan_on_hold_takes_no_assessment(ruled_plan, physician, physiotherapist):
    plan_services.change_plan_status(
        plan=ruled_plan, status="on_hold", by=physician, reason="In hospital."
    )
    with pytest.raises(ValidationError) as caught:
        record(ruled_plan, "berg", 40, physiotherapist)
    assert caught.value.messages == [
        "This plan is on hold; assessments are recorded on active plans only."
    ]


@pytest.mark.django_db
def test_a_measure_switched_off_cannot_be_recorded(ruled_plan, physiotherapist):
    MeasureSetting.objects.create(measure="berg", enabled=False)
    with pytest.raises(ValidationError) as caught:
        record(ruled_plan, "berg", 40, physiotherapist)
    assert caught.value.messages == ["Berg Balance Scale is switched off at this clinic."]
    assert "berg" not in [m.key for m in services.enabled_measures()]


@pytest.mark.django_db
def test_goal_attainment_is_not_recorded_as_an_assessment(ruled_plan, physician):
    with pytest.raises(ValidationError) as caught:
        record(ruled_plan, "gas", 0, physician)
    assert "Goal Attainment Scaling is not recorded as an assessment." in caught.value.messages


# --- Criteria evaluation -------------------------------------------------------------


@pytest.mark.django_db
def test_criteria_without_scores_are_no_data_yet(ruled_plan):
    progress = progress_of(ruled_plan)
    assert [s.state for s in progress.criteria] == ["no data yet", "no data yet"]
    assert not progress.ready
    assert progress.criteria[0].evidence == (
        "Berg Balance Scale: not yet measured in this stage (needs ≥ 45)"
    )


@pytest.mark.django_db
def test_criteria_met_by_the_latest_scores_make_the_plan_ready(ruled_plan, physiotherapist):
    record(ruled_plan, "berg", 47, physiotherapist, days=3)
    record(ruled_plan, "ten_metre_walk", "0.45", physiotherapist, days=2)
    progress = progress_of(ruled_plan)
    assert [s.state for s in progress.criteria] == ["met", "met"]
    assert progress.minimum_time_passed and progress.ready and not progress.overdue
    assert progress.criteria[0].evidence == (
        f"Berg Balance Scale 47 on {date_format(days_ago(3), 'j M Y')} (needs ≥ 45)"
    )
    assert progress.criteria[1].evidence.startswith("10-Metre Walk Test 0.45 m/s on")


@pytest.mark.django_db
def test_one_criterion_not_met_keeps_the_plan_from_being_ready(ruled_plan, physiotherapist):
    record(ruled_plan, "berg", 47, physiotherapist, days=3)
    record(ruled_plan, "ten_metre_walk", "0.32", physiotherapist, days=2)
    progress = progress_of(ruled_plan)
    assert [s.state for s in progress.criteria] == ["met", "not met"]
    assert not progress.ready
    assert [s.criterion.measure for s in progress.outstanding] == ["ten_metre_walk"]


@pytest.mark.django_db
def test_the_latest_score_counts_not_the_best(ruled_plan, physiotherapist):
    record(ruled_plan, "berg", 48, physiotherapist, days=6)
    record(ruled_plan, "berg", 43, physiotherapist, days=1)
    record(ruled_plan, "ten_metre_walk", "0.50", physiotherapist, days=1)
    progress = progress_of(ruled_plan)
    assert progress.criteria[0].reading.value == 43
    assert not progress.ready


@pytest.mark.django_db
def test_scores_from_before_the_stage_started_do_not_count(
    ruled_plan, physician, occupational_therapist
):
    record(ruled_plan, "barthel", 80, occupational_therapist, days=10)
    plan_services.advance_stage(
        plan=ruled_plan, by=physician, effective_date=days_ago(7), reason="Team review"
    )
    progress = progress_of(ruled_plan)
    assert progress.stage.order == 2
    assert [s.state for s in progress.criteria] == ["no data yet"]
    record(ruled_plan, "barthel", 80, occupational_therapist, days=1)
    progress = progress_of(ruled_plan)
    assert [s.state for s in progress.criteria] == ["met"]
    # A week in stage 2 of a two-week minimum: met, but not yet ready.
    assert progress.full_weeks_in_stage == 1 and progress.weeks_to_wait == 1
    assert not progress.ready


# --- Moving on against the criteria --------------------------------------------------


def refusal(error: ValidationError) -> tuple[str, str]:
    (field_error,) = error.error_dict["reason"]
    return field_error.code, field_error.messages[0]


@pytest.mark.django_db
def test_moving_on_before_the_measured_criteria_are_met_needs_a_reason(
    ruled_plan, physician, physiotherapist
):
    record(ruled_plan, "berg", 39, physiotherapist, days=1)
    with pytest.raises(ValidationError) as refused:
        plan_services.advance_stage(plan=ruled_plan, by=physician)
    code, message = refusal(refused.value)
    assert code == "reason_required_against_criteria"
    assert message.startswith("Stage 1 has not met its exit criteria yet (")
    assert f"Berg Balance Scale 39 on {date_format(days_ago(1), 'j M Y')} (needs ≥ 45)" in message
    assert "10-Metre Walk Test: not yet measured in this stage" in message
    assert message.endswith("say why the plan moves on now.")
    ruled_plan.refresh_from_db()
    assert ruled_plan.current_stage.order == 1
    assert ruled_plan.transitions.count() == 1  # the start only

    stage = plan_services.advance_stage(
        plan=ruled_plan, by=physician, reason="Walking with a stick at home; family ready"
    )
    assert stage.order == 2
    assert ruled_plan.transitions.first().reason == "Walking with a stick at home; family ready"


@pytest.mark.django_db
def test_moving_on_before_the_minimum_time_needs_a_reason_even_with_scores_met(
    ruled_protocol, physician, physiotherapist, occupational_therapist
):
    plan = start(ruled_protocol, physician, physiotherapist, occupational_therapist, days=3)
    record(plan, "berg", 47, physiotherapist)
    record(plan, "ten_metre_walk", "0.5", physiotherapist)
    with pytest.raises(ValidationError) as refused:
        plan_services.advance_stage(plan=plan, by=physician)
    code, message = refusal(refused.value)
    assert code == "reason_required_against_criteria"
    assert "(at least 1 week in the stage (0 so far))" in message
    assert "Berg" not in message  # met criteria are not listed


@pytest.mark.django_db
def test_a_ready_stage_or_one_that_measures_nothing_moves_on_without_a_reason(
    ruled_plan, plan, physician, physiotherapist
):
    record(ruled_plan, "berg", 47, physiotherapist, days=1)
    record(ruled_plan, "ten_metre_walk", "0.45", physiotherapist, days=1)
    assert plan_services.advance_stage(plan=ruled_plan, by=physician).order == 2
    assert ruled_plan.transitions.first().reason == ""
    # Stage 2 measures Barthel; going back to stage 1 asks the reason going back always asks.
    with pytest.raises(ValidationError) as refused:
        plan_services.advance_stage(plan=ruled_plan, by=physician, to_order=1)
    assert refused.value.error_dict["reason"][0].code == "reason_required"
    # Another plan on the protocol, nothing measured yet: refused until the
    # criteria are taken away, leaving the written ones to the team's judgement.
    with pytest.raises(ValidationError):
        plan_services.advance_stage(plan=plan, by=physician)
    StageExitCriterion.objects.filter(protocol_stage__protocol=plan.protocol).delete()
    assert plan_services.advance_stage(plan=plan, by=physician).order == 2


@pytest.mark.django_db
def test_lower_is_better_criteria_compare_at_most(
    physician, physiotherapist, occupational_therapist
):
    protocol = factories.published_protocol(mix=[(2, 1), (1, 1)], author=physician)
    add_rules(protocol.stages.get(order=1), 0, ("tug", AT_MOST, "11.0"), ("nprs", AT_MOST, "4"))
    plan = start(protocol, physician, physiotherapist, occupational_therapist, days=7)
    record(plan, "tug", "11.2", physiotherapist, days=1)
    record(plan, "nprs", 4, physiotherapist, days=1)
    assert [s.state for s in progress_of(plan).criteria] == ["not met", "met"]
    record(plan, "tug", "10.6", physiotherapist)
    assert progress_of(plan).ready


@pytest.mark.django_db
def test_goal_attainment_criterion_reads_the_goals_scored_in_the_stage(
    physician, physiotherapist, occupational_therapist
):
    protocol = factories.published_protocol(mix=[(2, 2), (1, 1)], author=physician)
    add_rules(protocol.stages.get(order=1), 0, ("gas", AT_LEAST, "50"))
    plan = start(protocol, physician, physiotherapist, occupational_therapist, days=7)
    goals = [
        services.save_goal(
            plan=plan,
            by=physician,
            discipline=discipline,
            family=Goal.Family.MOVE_BETTER,
            description=f"Goal {n}",
            target_date=TODAY(),
            gas_score=score,
        )
        for n, (discipline, score) in enumerate([("PT", -1), ("OT", 0)])
    ]
    status = progress_of(plan).criteria[0]
    assert status.state == "not met" and status.reading.value == Decimal("43.8")
    services.save_goal(plan=plan, by=physician, goal=goals[0], gas_score=1)
    assert progress_of(plan).ready


# --- Ready and overdue on hand-built plans ---------------------------------------------


@pytest.mark.django_db
def test_minimum_weeks_hold_back_a_plan_whose_criteria_are_met(
    ruled_protocol, physician, physiotherapist, occupational_therapist
):
    plan = start(ruled_protocol, physician, physiotherapist, occupational_therapist, days=4)
    record(plan, "berg", 50, physiotherapist)
    record(plan, "ten_metre_walk", "0.60", physiotherapist)
    progress = progress_of(plan)
    assert progress.criteria_met and not progress.minimum_time_passed
    assert not progress.ready and progress.weeks_to_wait == 1


@pytest.mark.django_db
def test_a_plan_past_its_typical_duration_without_meeting_criteria_is_overdue(
    ruled_protocol, physician, physiotherapist, occupational_therapist
):
    plan = start(ruled_protocol, physician, physiotherapist, occupational_therapist, days=20)
    record(plan, "berg", 40, physiotherapist, days=1)
    progress = progress_of(plan)
    assert progress.overdue and not progress.ready
    record(plan, "berg", 46, physiotherapist)
    record(plan, "ten_metre_walk", "0.41", physiotherapist)
    progress = progress_of(plan)
    assert progress.ready and not progress.overdue


@pytest.mark.django_db
def test_a_stage_without_measured_criteria_is_never_ready_but_can_be_overdue(
    physician, physiotherapist, occupational_therapist
):
    protocol = factories.published_protocol(author=physician)
    plan = start(protocol, physician, physiotherapist, occupational_therapist, days=20)
    progress = progress_of(plan)
    assert not progress.has_criteria and not progress.ready and progress.overdue


@pytest.mark.django_db
def test_the_board_lists_ready_and_overdue_plans_mine_first(
    ruled_protocol, physician, other_physician, physiotherapist, occupational_therapist
):
    ready_theirs = start(ruled_protocol, other_physician, physiotherapist, occupational_therapist)
    ready_mine = start(ruled_protocol, physician, physiotherapist, occupational_therapist)
    overdue = start(ruled_protocol, physician, physiotherapist, occupational_therapist, days=21)
    waiting = start(ruled_protocol, physician, physiotherapist, occupational_therapist, days=3)
    for plan in (ready_theirs, ready_mine):
        record(plan, "berg", 46, physiotherapist)
        record(plan, "ten_metre_walk", "0.50", physiotherapist)
    board = selectors.progression_board(physician, TODAY())
    assert [p.plan.pk for p in board.ready] == [ready_mine.pk, ready_theirs.pk]
    assert [p.plan.pk for p in board.overdue] == [overdue.pk]
    assert waiting.pk not in {p.plan.pk for p in board.ready + board.overdue}


def board_queries(user) -> int:
    with CaptureQueriesContext(connection) as captured:
        selectors.progression_board(user, TODAY())
    return len(captured)


@pytest.mark.django_db
def test_the_board_costs_the_same_queries_for_two_plans_or_eight(
    ruled_protocol, physician, physiotherapist, occupational_therapist
):
    def add_plans(count):
        for _ in range(count):
            plan = start(ruled_protocol, physician, physiotherapist, occupational_therapist)
            record(plan, "berg", 46, physiotherapist)
            record(plan, "ten_metre_walk", "0.50", physiotherapist)

    add_plans(2)
    few = board_queries(physician)
    add_plans(6)
    many = board_queries(physician)
    assert few == many <= 6
    assert len(selectors.progression_board(physician, TODAY()).ready) == 8


# --- Goals ------------------------------------------------------------------------------


def goal(plan, by, **fields):
    values = {
        "discipline": "OT",
        "family": Goal.Family.LIVE_INDEPENDENTLY,
        "description": "Dress the upper body without help",
        "target_date": TODAY() + datetime.timedelta(weeks=4),
    }
    values.update(fields)
    return services.save_goal(plan=plan, by=by, **values)


@pytest.mark.django_db
def test_a_goal_linked_to_a_measure_shows_achieved_from_the_data(
    ruled_plan, occupational_therapist, physiotherapist
):
    dressing = goal(ruled_plan, occupational_therapist, measure="barthel", target_value=75)
    steps = goal(
        ruled_plan,
        physiotherapist,
        discipline="PT",
        family=Goal.Family.MOVE_BETTER,
        description="Up and go in 11 seconds",
        measure="tug",
        target_value=Decimal("11.0"),
    )
    unmeasured = goal(ruled_plan, occupational_therapist, measure="barthel", target_value=90)
    record(ruled_plan, "barthel", 70, occupational_therapist, days=5)
    record(ruled_plan, "barthel", 80, occupational_therapist, days=1)
    record(ruled_plan, "tug", "12.0", physiotherapist, days=1)
    rows = {row.goal.pk: row for row in selectors.goal_rows(ruled_plan)}
    assert rows[dressing.pk].met_by_data and rows[dressing.pk].shows_achieved
    assert rows[dressing.pk].evidence == f"latest 80 on {date_format(days_ago(1), 'j M Y')}"
    assert not rows[steps.pk].met_by_data  # lower is better: 12.0 s is over 11.0 s
    assert not rows[unmeasured.pk].met_by_data
    dressing.refresh_from_db()
    assert dressing.status == Goal.Status.NOT_STARTED  # the data shows it; the team records it


@pytest.mark.django_db
def test_a_goal_without_measurement_yet_says_so(ruled_plan, occupational_therapist):
    saved = goal(ruled_plan, occupational_therapist, measure="barthel", target_value=75)
    row = selectors.goal_rows(ruled_plan)[0]
    assert row.goal == saved and row.evidence == "not yet measured" and not row.met_by_data


@pytest.mark.django_db
def test_a_goal_needs_its_target_with_its_measure(ruled_plan, occupational_therapist):
    with pytest.raises(ValidationError) as caught:
        goal(ruled_plan, occupational_therapist, measure="barthel")
    assert caught.value.message_dict == {
        "target_value": ["Give the value that shows this goal is met."]
    }
    with pytest.raises(ValidationError) as caught:
        goal(ruled_plan, occupational_therapist, measure="barthel", target_value=120)
    assert caught.value.message_dict == {"target_value": ["Barthel Index runs from 0 to 100."]}
    assert not Goal.objects.exists()


@pytest.mark.django_db
def test_a_therapist_sets_goals_of_their_own_discipline_only(ruled_plan, physiotherapist):
    with pytest.raises(ValidationError) as caught:
        goal(ruled_plan, physiotherapist, discipline="OT")
    assert caught.value.message_dict == {
        "discipline": ["Physiotherapists set PT goals; ask the team for OT goals."]
    }
    assert not Goal.objects.exists()


@pytest.mark.django_db
def test_a_goal_scored_at_review_records_the_review_day(ruled_plan, occupational_therapist):
    saved = goal(ruled_plan, occupational_therapist)
    services.save_goal(plan=ruled_plan, by=occupational_therapist, goal=saved, gas_score=-1)
    saved.refresh_from_db()
    assert saved.gas_score == -1 and saved.reviewed_on == TODAY()
    assert selectors.plan_gas([saved]) == (Decimal("40.0"), 1)


@pytest.mark.django_db
def test_goals_of_a_closed_plan_do_not_change(ruled_plan, physician):
    plan_services.change_plan_status(
        plan=ruled_plan, status="discontinued", by=physician, reason="Moved away."
    )
    with pytest.raises(ValidationError) as caught:
        goal(ruled_plan, physician)
    assert caught.value.messages == ["This plan is discontinued; its goals no longer change."]


# --- Exit rules follow a protocol into its next version ----------------------------------


@pytest.mark.django_db
def test_a_new_protocol_version_starts_with_the_previous_exit_rules(ruled_protocol, physician):
    draft = plan_services.new_protocol_version(protocol=ruled_protocol, author=physician)
    stage = draft.stages.get(order=1)
    assert stage.progression_rule.minimum_weeks == 1
    assert sorted(c.describe() for c in stage.measured_exit_criteria.all()) == [
        "10-Metre Walk Test ≥ 0.40 m/s",
        "Berg Balance Scale ≥ 45",
    ]


@pytest.mark.django_db
def test_a_criterion_outside_the_measure_range_is_refused(protocol):
    criterion = StageExitCriterion(
        protocol_stage=protocol.stages.first(), measure="berg", comparison=">=", value=60
    )
    with pytest.raises(ValidationError) as caught:
        criterion.full_clean()
    assert caught.value.message_dict["value"] == ["Berg Balance Scale runs from 0 to 56."]
