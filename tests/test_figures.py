"""Allocated against delivered therapy, the mix timeline and the clinic's demand."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from plans import selectors, services
from plans.models import RehabPlan, TherapySession
from tests import factories

MONDAY = selectors.week_start(timezone.localdate()) - datetime.timedelta(weeks=2)


def session(plan, therapist, day, attendance="attended", minutes=45):
    return services.log_session(
        plan=plan,
        therapist=therapist,
        logged_by=therapist,
        date=day,
        duration_minutes=minutes,
        attendance=attendance,
    )


@pytest.fixture
def week_plan(protocol, physician, physiotherapist, occupational_therapist):
    """A plan that started on a Monday two weeks ago: stage 1 is 6 PT and 2 OT a week."""
    return factories.start_plan(
        protocol=protocol,
        lead_physician=physician,
        physiotherapist=physiotherapist,
        occupational_therapist=occupational_therapist,
        start_date=MONDAY,
    )


@pytest.mark.django_db
def test_week_allocated_against_delivered_built_by_hand(
    week_plan, physiotherapist, occupational_therapist
):
    for offset in range(4):  # four PT sessions attended, 45 minutes each
        session(week_plan, physiotherapist, MONDAY + datetime.timedelta(days=offset))
    session(week_plan, physiotherapist, MONDAY + datetime.timedelta(days=4), "patient_absent")
    session(week_plan, occupational_therapist, MONDAY, minutes=60)
    session(
        week_plan,
        occupational_therapist,
        MONDAY + datetime.timedelta(days=2),
        "cancelled_by_clinic",
    )
    # Next week's session does not count in this one.
    session(week_plan, physiotherapist, MONDAY + datetime.timedelta(days=7))

    week = selectors.plan_week(week_plan, MONDAY + datetime.timedelta(days=3))

    assert week.week_start == MONDAY
    pt, ot = week["PT"], week["OT"]
    assert (pt.allocated_sessions, pt.allocated_minutes) == (6, 270)
    assert (pt.delivered_sessions, pt.delivered_minutes, pt.missed_sessions) == (4, 180, 1)
    assert pt.adherence_percent == 67
    assert (ot.allocated_sessions, ot.allocated_minutes) == (2, 90)
    assert (ot.delivered_sessions, ot.delivered_minutes, ot.missed_sessions) == (1, 60, 1)
    assert ot.adherence_percent == 50
    assert week.total.allocated_sessions == 8 and week.total.delivered_sessions == 5


@pytest.mark.django_db
def test_week_follows_an_advanced_stage(week_plan, physician, physiotherapist):
    next_monday = MONDAY + datetime.timedelta(weeks=1)
    services.advance_stage(plan=week_plan, by=physician, effective_date=next_monday)
    plan = RehabPlan.objects.get(pk=week_plan.pk)
    weeks = selectors.plan_weeks(plan, [MONDAY, next_monday])
    assert [w["PT"].allocated_sessions for w in weeks] == [6, 5]
    assert [w["OT"].allocated_sessions for w in weeks] == [2, 5]


@pytest.mark.django_db
def test_week_before_the_plan_has_nothing_allocated(week_plan):
    week = selectors.plan_week(week_plan, MONDAY - datetime.timedelta(weeks=1))
    assert week["PT"].allocated_sessions == 0
    assert week["PT"].adherence_percent is None


@pytest.mark.django_db
def test_mix_timeline_projects_from_today_when_the_current_stage_is_overdue(week_plan):
    plan = selectors.plan_with_stages().get(pk=week_plan.pk)
    later = MONDAY + datetime.timedelta(weeks=5)  # stage 1 is three weeks past its two
    timeline = selectors.mix_timeline(plan, later)
    assert (timeline[0].starts, timeline[0].ends) == (MONDAY, later)
    assert timeline[1].starts == later
    assert timeline[1].ends == later + datetime.timedelta(weeks=timeline[1].stage.typical_weeks)
    # A plan that has ended keeps the dates it had.
    services.change_plan_status(
        plan=week_plan, status="discontinued", by=week_plan.lead_physician, reason="Moved away"
    )
    ended = selectors.plan_with_stages().get(pk=week_plan.pk)
    assert selectors.mix_timeline(ended, later)[0].ends < later


@pytest.mark.django_db
def test_plan_weeks_costs_one_query(week_plan, django_assert_num_queries):
    plan = selectors.plan_with_stages().prefetch_related("status_changes").get(pk=week_plan.pk)
    list(plan.stages.all())
    with django_assert_num_queries(1):
        selectors.plan_weeks(plan, selectors.recent_weeks(timezone.localdate(), 8))


@pytest.mark.django_db
def test_mix_timeline_projects_upcoming_stages(week_plan):
    plan = selectors.plan_with_stages().get(pk=week_plan.pk)
    # On the day stage 1 reaches its typical two weeks.
    timeline = selectors.mix_timeline(plan, MONDAY + datetime.timedelta(weeks=2))
    assert [(e.mix.pt_sessions_per_week, e.mix.ot_sessions_per_week) for e in timeline] == [
        (6, 2),
        (5, 5),
        (3, 5),
    ]
    assert timeline[0].starts == MONDAY
    assert timeline[1].starts == timeline[0].ends == MONDAY + datetime.timedelta(weeks=2)
    assert timeline[2].starts == timeline[1].ends
    assert all(entry.projected for entry in timeline[1:])
    assert timeline[0].mix.lead == "PT-led" and timeline[2].mix.lead == "OT-led"


@pytest.mark.django_db
def test_clinic_demand_sums_running_plans_against_therapists(
    week_plan, physician, physiotherapist, occupational_therapist
):
    # A second plan in stage 2 (5 PT, 5 OT), with no OT allocated yet.
    second = factories.start_plan(
        protocol=week_plan.protocol,
        lead_physician=physician,
        physiotherapist=physiotherapist,
        start_date=MONDAY,
    )
    services.advance_stage(plan=second, by=physician, effective_date=MONDAY)
    # Plans on hold or not yet started are not demand.
    held = factories.start_plan(protocol=week_plan.protocol, lead_physician=physician)
    services.change_plan_status(plan=held, status="on_hold", by=physician, reason="Admitted")
    factories.physiotherapist()

    demand = selectors.clinic_demand(MONDAY + datetime.timedelta(days=2))

    pt, ot = demand["PT"], demand["OT"]
    assert (pt.sessions, pt.minutes, pt.plans, pt.therapists) == (11, 11 * 45, 2, 2)
    assert (ot.sessions, ot.minutes, ot.plans, ot.therapists) == (7, 7 * 45, 2, 1)
    assert ot.unallocated_plans == 1 and pt.unallocated_plans == 0
    assert pt.sessions_per_therapist == 5.5


@pytest.mark.django_db
def test_clinic_demand_is_two_queries(week_plan, django_assert_num_queries):
    with django_assert_num_queries(2):
        selectors.clinic_demand(MONDAY)


def with_attention(plan, today):
    return selectors.with_attention(RehabPlan.objects.filter(pk=plan.pk), today).get()


@pytest.mark.django_db
def test_attention_flags_overdue_and_low_delivery(week_plan, physiotherapist):
    today = timezone.localdate()
    flags = selectors.attention_flags(with_attention(week_plan, today))
    # Stage 1 is typically two weeks; started at least two weeks ago, nothing delivered.
    assert flags.low_adherence
    assert flags.recent_delivered == 0
    assert flags.recent_allocated == 16  # 8 sessions a week for the whole fortnight
    assert flags.overdue == (today > MONDAY + datetime.timedelta(weeks=2))


@pytest.mark.django_db
def test_a_week_on_hold_allocates_nothing_and_says_so(week_plan, physician):
    """On hold from the second week's Monday, back at work this week's Wednesday."""
    hold, back = MONDAY + datetime.timedelta(weeks=1), MONDAY + datetime.timedelta(weeks=2, days=2)
    services.change_plan_status(
        plan=week_plan, status="on_hold", by=physician, reason="In hospital", effective_date=hold
    )
    resumed_on = min(back, timezone.localdate())
    services.change_plan_status(
        plan=week_plan, status="active", by=physician, effective_date=resumed_on
    )
    assert RehabPlan.objects.get(pk=week_plan.pk).hold_periods() == [(hold, resumed_on)]
    plan = selectors.plan_with_stages().get(pk=week_plan.pk)
    weeks = selectors.plan_weeks(plan, [MONDAY + datetime.timedelta(weeks=n) for n in range(3)])
    assert [week.on_hold for week in weeks] == [False, True, False]
    assert [week.total.allocated_sessions for week in weeks] == [8, 0, 8]


@pytest.mark.django_db
def test_a_plan_just_back_from_a_hold_is_not_flagged_for_the_days_it_was_held(week_plan, physician):
    today = timezone.localdate()
    services.change_plan_status(
        plan=week_plan,
        status="on_hold",
        by=physician,
        reason="In hospital",
        effective_date=today - datetime.timedelta(days=12),
    )
    services.change_plan_status(plan=week_plan, status="active", by=physician)
    flags = selectors.attention_flags(with_attention(week_plan, today))
    # Of the fourteen days, twelve on hold: two days' therapy (8 a week) was due.
    assert (flags.recent_allocated, flags.low_adherence) == (2, True)
    # A week later, seven of the hold's days are still in the window: seven ran.
    later = today + datetime.timedelta(days=7)
    flags = selectors.attention_flags(with_attention(week_plan, later))
    assert flags.recent_allocated == 8


@pytest.mark.django_db
def test_a_hold_resumed_the_same_day_changes_no_figure(week_plan, physician):
    today = timezone.localdate()
    before = selectors.attention_flags(with_attention(week_plan, today))
    services.change_plan_status(
        plan=week_plan, status="on_hold", by=physician, reason="Entered by mistake"
    )
    services.change_plan_status(plan=week_plan, status="active", by=physician)
    after = selectors.attention_flags(with_attention(week_plan, today))
    assert (after.recent_allocated, after.low_adherence) == (16, True)
    assert after == before


@pytest.mark.django_db
def test_two_holds_in_the_fortnight_both_count(week_plan, physician):
    today = timezone.localdate()
    for held, back in ((13, 10), (6, 3)):  # two three-day holds
        services.change_plan_status(
            plan=week_plan,
            status="on_hold",
            by=physician,
            reason="Unwell",
            effective_date=today - datetime.timedelta(days=held),
        )
        services.change_plan_status(
            plan=week_plan,
            status="active",
            by=physician,
            effective_date=today - datetime.timedelta(days=back),
        )
    flags = selectors.attention_flags(with_attention(week_plan, today))
    assert flags.recent_allocated == round(8 * (14 - 6) / 7)


@pytest.mark.django_db
def test_a_status_change_is_dated_neither_ahead_nor_before_the_last_one(week_plan, physician):
    today = timezone.localdate()
    with pytest.raises(ValidationError) as ahead:
        services.change_plan_status(
            plan=week_plan,
            status="on_hold",
            by=physician,
            reason="Surgery",
            effective_date=today + datetime.timedelta(days=3),
        )
    assert ahead.value.error_dict["effective_date"][0].code == "date_in_future"
    services.change_plan_status(
        plan=week_plan, status="on_hold", by=physician, reason="Surgery", effective_date=today
    )
    with pytest.raises(ValidationError) as before:
        services.change_plan_status(
            plan=week_plan,
            status="active",
            by=physician,
            effective_date=today - datetime.timedelta(days=1),
        )
    assert before.value.error_dict["effective_date"][0].code == "date_before_last_change"
    assert RehabPlan.objects.get(pk=week_plan.pk).status == "on_hold"
    assert week_plan.status_changes.count() == 1


@pytest.mark.django_db
def test_attention_flags_quiet_when_therapy_is_delivered(
    week_plan, physiotherapist, occupational_therapist
):
    today = timezone.localdate()
    since, yesterday = today - datetime.timedelta(days=14), today - datetime.timedelta(days=1)
    day = since
    while day <= yesterday:
        session(week_plan, physiotherapist, day)
        if day.weekday() in (0, 3):
            session(week_plan, occupational_therapist, day)
        day += datetime.timedelta(days=1)
    flags = selectors.attention_flags(with_attention(week_plan, today))
    assert not flags.low_adherence
    assert flags.recent_delivered == TherapySession.objects.filter(date__gte=since).count()


@pytest.mark.django_db
@pytest.mark.parametrize("days_running", [1, 2, 3, 5, 7, 10, 13, 14, 20])
def test_attention_flags_prorate_a_plan_that_started_within_the_fortnight(
    protocol, physician, physiotherapist, days_running
):
    """The database's figures follow the rule: allocated is the weekly sessions
    (8) over the days the plan ran in the fourteen before today, rounded; under 75%
    of it delivered is low; today, not over yet, counts neither way; the stage is
    overdue only after its typical two weeks."""
    today = timezone.localdate()
    yesterday = today - datetime.timedelta(days=1)
    start = today - datetime.timedelta(days=days_running)
    plan = factories.start_plan(
        protocol=protocol,
        lead_physician=physician,
        physiotherapist=physiotherapist,
        start_date=start,
    )
    in_window = min(days_running, 14)
    allocated = round(8 * in_window / 7)
    enough = -(-75 * allocated // 100)  # the fewest attended sessions that are 75%
    for number in range(enough - 1):
        session(plan, physiotherapist, yesterday - datetime.timedelta(days=number % in_window))

    short = selectors.attention_flags(with_attention(plan, today))
    session(plan, physiotherapist, today)
    still_short = selectors.attention_flags(with_attention(plan, today))
    session(plan, physiotherapist, yesterday)
    met = selectors.attention_flags(with_attention(plan, today))

    assert short.recent_allocated == met.recent_allocated == allocated
    assert (short.recent_delivered, met.recent_delivered) == (enough - 1, enough)
    assert still_short == short  # today's session is not counted yet
    assert short.low_adherence and not met.low_adherence
    assert short.overdue == met.overdue == (days_running > 14)


def test_recent_weeks_start_no_earlier_than_the_plan():
    today = datetime.date(2026, 11, 25)  # a Wednesday
    assert selectors.recent_weeks(today, 3) == [
        datetime.date(2026, 11, 9),
        datetime.date(2026, 11, 16),
        datetime.date(2026, 11, 23),
    ]
    since = datetime.date(2026, 11, 18)
    assert selectors.recent_weeks(today, 8, since=since) == [
        datetime.date(2026, 11, 16),
        datetime.date(2026, 11, 23),
    ]
