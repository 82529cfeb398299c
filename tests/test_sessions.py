import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from plans import services
from plans.models import TherapySession

TODAY = timezone.localdate


def log(plan, therapist, **overrides):
    fields = {"date": TODAY(), "duration_minutes": 45, "focus_areas": ["walking"]}
    fields.update(overrides)
    return services.log_session(plan=plan, therapist=therapist, logged_by=therapist, **fields)


@pytest.mark.django_db
def test_therapist_logs_a_session_in_their_discipline_with_the_current_stage(plan, physiotherapist):
    session = log(plan, physiotherapist, pain_before=6, pain_after=4, subjective="Knee sore")
    session.refresh_from_db()
    assert session.discipline == "PT"
    assert session.plan_stage == plan.stages.get(order=1)
    assert (session.pain_before, session.pain_after) == (6, 4)
    assert session.focus_areas == ["walking"]


@pytest.mark.django_db
def test_session_records_the_stage_in_force_on_its_date(plan, physician, occupational_therapist):
    services.advance_stage(
        plan=plan, by=physician, effective_date=TODAY() - datetime.timedelta(days=3)
    )
    earlier = log(plan, occupational_therapist, date=TODAY() - datetime.timedelta(days=5))
    later = log(plan, occupational_therapist, date=TODAY() - datetime.timedelta(days=1))
    assert earlier.plan_stage.order == 1
    assert later.plan_stage.order == 2
    assert later.discipline == "OT"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("overrides", "field", "code"),
    [
        ({"date": datetime.date.today() + datetime.timedelta(days=2)}, "date", "date_in_future"),
        ({"duration_minutes": 4}, "duration_minutes", "min_value"),
        ({"duration_minutes": 241}, "duration_minutes", "max_value"),
        ({"pain_before": 11}, "pain_before", "max_value"),
        ({"pain_after": 11}, "pain_after", "max_value"),
        ({"date": datetime.date(2000, 1, 1)}, "date", "date_before_plan"),
    ],
)
def test_bad_session_values_are_refused_on_their_field(
    plan, physiotherapist, overrides, field, code
):
    with pytest.raises(ValidationError) as excinfo:
        log(plan, physiotherapist, **overrides)
    assert excinfo.value.error_dict[field][0].code == code
    assert not TherapySession.objects.exists()


@pytest.mark.django_db
def test_therapist_not_allocated_cannot_log(plan, therapist_not_on_plan):
    with pytest.raises(ValidationError) as excinfo:
        log(plan, therapist_not_on_plan)
    assert excinfo.value.error_dict["plan"][0].code == "not_allocated"
    assert "is not allocated to this plan for physiotherapy" in excinfo.value.messages[0]


@pytest.fixture
def new_physiotherapist_in_stage_2(plan, physician, therapist_not_on_plan):
    """Stage 2 began three days ago and went to another physiotherapist."""
    services.advance_stage(
        plan=plan, by=physician, effective_date=TODAY() - datetime.timedelta(days=3)
    )
    services.allocate_therapist(
        plan=plan, discipline="PT", therapist=therapist_not_on_plan, by=physician
    )
    return therapist_not_on_plan


@pytest.mark.django_db
def test_a_session_belongs_to_whoever_was_allocated_to_the_stage_of_its_date(
    plan, physiotherapist, new_physiotherapist_in_stage_2
):
    therapist_not_on_plan = new_physiotherapist_in_stage_2
    before = TODAY() - datetime.timedelta(days=5)
    late_entry = log(plan, physiotherapist, date=before)  # stage 1 was theirs
    assert late_entry.plan_stage.order == 1
    with pytest.raises(ValidationError) as excinfo:
        log(plan, physiotherapist)
    error = excinfo.value.error_dict["date"][0]
    assert error.code == "not_allocated_in_stage"
    assert "was not allocated to it for physiotherapy" in error.messages[0]
    assert log(plan, therapist_not_on_plan).plan_stage.order == 2
    with pytest.raises(ValidationError) as excinfo:
        log(plan, therapist_not_on_plan, date=before)
    assert excinfo.value.error_dict["date"][0].code == "not_allocated_in_stage"
    assert TherapySession.objects.filter(plan=plan).count() == 2


@pytest.mark.django_db
def test_moving_a_session_into_another_therapists_stage_is_refused(
    plan, physician, physiotherapist, new_physiotherapist_in_stage_2
):
    before = TODAY() - datetime.timedelta(days=5)
    session = log(plan, physiotherapist, date=before)
    with pytest.raises(ValidationError) as excinfo:
        services.correct_session(session=session, by=physician, date=TODAY())
    assert excinfo.value.error_dict["date"][0].code == "not_allocated_in_stage"
    session.refresh_from_db()
    assert (session.date, session.plan_stage.order) == (before, 1)
    # Other corrections of the same entry still go through.
    services.correct_session(session=session, by=physician, duration_minutes=30)
    session.refresh_from_db()
    assert session.duration_minutes == 30


@pytest.mark.django_db
def test_session_on_a_plan_that_is_not_active_is_refused(plan, physician, physiotherapist):
    services.change_plan_status(plan=plan, status="on_hold", by=physician, reason="Admitted")
    with pytest.raises(ValidationError) as excinfo:
        log(plan, physiotherapist)
    assert excinfo.value.error_dict["plan"][0].code == "plan_not_active"


@pytest.mark.django_db
def test_only_therapists_log_sessions(plan, physician):
    with pytest.raises(ValidationError) as excinfo:
        log(plan, physician)
    assert excinfo.value.error_dict["therapist"][0].code == "not_a_therapist"


@pytest.mark.django_db
def test_session_discipline_must_match_the_therapist(plan, physiotherapist):
    session = log(plan, physiotherapist)
    session.discipline = "OT"
    with pytest.raises(ValidationError) as excinfo:
        session.full_clean()
    assert excinfo.value.error_dict["therapist"][0].code == "therapist_wrong_discipline"


@pytest.mark.django_db
@pytest.mark.parametrize(
    "fields",
    [{"duration_minutes": 300}, {"duration_minutes": 2}, {"pain_before": 12}, {"pain_after": 50}],
)
def test_database_refuses_out_of_range_sessions(plan, physiotherapist, fields):
    session = log(plan, physiotherapist)
    with pytest.raises(IntegrityError), transaction.atomic():
        TherapySession.objects.filter(pk=session.pk).update(**fields)


@pytest.mark.django_db
def test_missed_session_is_one_call_with_the_planned_length(plan, occupational_therapist):
    session = services.record_missed_session(
        plan=plan, therapist=occupational_therapist, attendance="patient_absent"
    )
    session.refresh_from_db()
    assert session.attendance == "patient_absent"
    assert session.duration_minutes == 45
    assert session.discipline == "OT"


@pytest.mark.django_db
def test_therapist_corrects_their_own_entry_within_a_day(plan, physiotherapist):
    session = log(plan, physiotherapist)
    services.correct_session(session=session, by=physiotherapist, duration_minutes=30)
    session.refresh_from_db()
    assert session.duration_minutes == 30


@pytest.mark.django_db
def test_after_a_day_only_a_physician_corrects(plan, physiotherapist, physician):
    session = log(plan, physiotherapist)
    TherapySession.objects.filter(pk=session.pk).update(
        created_at=timezone.now() - datetime.timedelta(hours=25)
    )
    session.refresh_from_db()
    with pytest.raises(ValidationError) as excinfo:
        services.correct_session(session=session, by=physiotherapist, duration_minutes=30)
    assert excinfo.value.code == "correction_window_passed"
    services.correct_session(session=session, by=physician, duration_minutes=30)
    session.refresh_from_db()
    assert session.duration_minutes == 30


@pytest.mark.django_db
def test_another_therapist_cannot_correct_an_entry(plan, physiotherapist, therapist_not_on_plan):
    session = log(plan, physiotherapist)
    with pytest.raises(ValidationError):
        services.correct_session(session=session, by=therapist_not_on_plan, duration_minutes=30)
    session.refresh_from_db()
    assert session.duration_minutes == 45


@pytest.mark.django_db
def test_missed_session_is_not_recorded_twice_on_a_double_click(plan, occupational_therapist):
    services.record_missed_session(
        plan=plan, therapist=occupational_therapist, attendance="patient_absent"
    )
    with pytest.raises(ValidationError) as excinfo:
        services.record_missed_session(
            plan=plan, therapist=occupational_therapist, attendance="patient_absent"
        )
    assert excinfo.value.code == "missed_session_already_recorded"
    assert TherapySession.objects.filter(plan=plan).count() == 1
