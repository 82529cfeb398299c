import datetime
from importlib import import_module

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from plans import services
from plans.models import (
    PlanStage,
    PlanStatusChange,
    RehabPlan,
    SessionAllocation,
    StageMixChange,
    StageTransition,
)
from rehab.models import Discipline
from tests import factories

TODAY = timezone.localdate


@pytest.mark.django_db
def test_start_plan_copies_every_stage_and_makes_the_first_current(plan, protocol):
    stages = list(plan.stages.all())
    assert [(s.order, s.mix) for s in stages] == [(s.order, s.mix) for s in protocol.stages.all()]
    assert [s.status for s in stages] == ["current", "upcoming", "upcoming"]
    assert stages[0].started_on == plan.start_date
    assert all(s.protocol_stage.protocol_id == protocol.pk for s in stages)
    transition = StageTransition.objects.get(plan=plan)
    assert transition.from_stage is None and transition.to_stage == stages[0]


@pytest.mark.django_db
def test_start_plan_allocates_each_stage_per_discipline(
    plan, physiotherapist, occupational_therapist
):
    allocations = SessionAllocation.objects.filter(plan_stage__plan=plan)
    assert allocations.count() == 6
    first = plan.stages.get(order=1)
    pt = allocations.get(plan_stage=first, discipline=Discipline.PT)
    ot = allocations.get(plan_stage=first, discipline=Discipline.OT)
    assert (pt.therapist, pt.sessions_per_week, pt.minutes_per_session) == (physiotherapist, 6, 45)
    assert (ot.therapist, ot.sessions_per_week) == (occupational_therapist, 2)


@pytest.mark.django_db
def test_plan_pins_its_protocol_version(plan, protocol, physician):
    draft = protocol.new_version(author=physician)
    draft.stages.filter(order=1).update(pt_sessions_per_week=1)
    services.publish_protocol(protocol=draft, by=physician)
    plan.refresh_from_db()
    assert plan.protocol == protocol
    assert plan.stages.get(order=1).pt_sessions_per_week == 6


@pytest.mark.django_db
def test_plan_needs_a_published_protocol(physician):
    draft = factories.ProtocolStageFactory().protocol
    diagnosis = factories.DiagnosisFactory(condition=draft.condition)
    with pytest.raises(ValidationError) as excinfo:
        services.start_plan(
            patient=diagnosis.patient,
            diagnosis=diagnosis,
            protocol=draft,
            lead_physician=physician,
            start_date=TODAY(),
            primary_concern="both",
        )
    assert excinfo.value.error_dict["protocol"][0].code == "protocol_not_published"
    assert not RehabPlan.objects.exists()


@pytest.mark.django_db
def test_plan_protocol_must_match_the_diagnosed_condition(protocol, physician):
    other = factories.ConditionFactory(name="Knee osteoarthritis", icd10_code="M17.9")
    diagnosis = factories.DiagnosisFactory(condition=other)
    with pytest.raises(ValidationError) as excinfo:
        services.start_plan(
            patient=diagnosis.patient,
            diagnosis=diagnosis,
            protocol=protocol,
            lead_physician=physician,
            start_date=TODAY(),
            primary_concern="both",
        )
    assert excinfo.value.error_dict["protocol"][0].code == "protocol_other_condition"


@pytest.mark.django_db
def test_plan_diagnosis_must_be_the_patients(protocol, physician):
    diagnosis = factories.DiagnosisFactory(condition=protocol.condition)
    someone_else = factories.PatientFactory()
    with pytest.raises(ValidationError) as excinfo:
        services.start_plan(
            patient=someone_else,
            diagnosis=diagnosis,
            protocol=protocol,
            lead_physician=physician,
            start_date=TODAY(),
            primary_concern="both",
        )
    assert excinfo.value.error_dict["diagnosis"][0].code == "diagnosis_other_patient"


@pytest.mark.django_db
def test_lead_must_be_a_physician(protocol, physiotherapist):
    diagnosis = factories.DiagnosisFactory(condition=protocol.condition)
    with pytest.raises(ValidationError) as excinfo:
        services.start_plan(
            patient=diagnosis.patient,
            diagnosis=diagnosis,
            protocol=protocol,
            lead_physician=physiotherapist,
            start_date=TODAY(),
            primary_concern="both",
        )
    assert excinfo.value.error_dict["lead_physician"][0].code == "lead_not_physician"


@pytest.mark.django_db
def test_therapist_is_allocated_only_to_their_discipline(
    protocol, physician, occupational_therapist
):
    diagnosis = factories.DiagnosisFactory(condition=protocol.condition)
    with pytest.raises(ValidationError) as excinfo:
        services.start_plan(
            patient=diagnosis.patient,
            diagnosis=diagnosis,
            protocol=protocol,
            lead_physician=physician,
            start_date=TODAY(),
            primary_concern="both",
            physiotherapist=occupational_therapist,
        )
    assert excinfo.value.error_dict["physiotherapist"][0].code == "therapist_wrong_discipline"
    assert not RehabPlan.objects.exists()
    allocation = SessionAllocation(
        plan_stage=PlanStage(),
        discipline=Discipline.PT,
        therapist=occupational_therapist,
        sessions_per_week=1,
        minutes_per_session=45,
    )
    with pytest.raises(ValidationError) as excinfo:
        allocation.clean()
    assert excinfo.value.error_dict["therapist"][0].code == "therapist_wrong_discipline"


@pytest.mark.django_db
def test_one_active_plan_per_diagnosis(plan, physician):
    with pytest.raises(ValidationError) as excinfo:
        services.start_plan(
            patient=plan.patient,
            diagnosis=plan.diagnosis,
            protocol=plan.protocol,
            lead_physician=physician,
            start_date=TODAY(),
            primary_concern="both",
        )
    assert excinfo.value.error_dict["diagnosis"][0].code == "active_plan_exists"
    duplicate = RehabPlan(
        patient=plan.patient,
        diagnosis=plan.diagnosis,
        protocol=plan.protocol,
        lead_physician=physician,
        start_date=TODAY(),
        primary_concern="both",
    )
    with pytest.raises(IntegrityError) as db_error, transaction.atomic():
        duplicate.save()
    assert (
        "plans_one_active_plan_per_diagnosis" in str(db_error.value)
        or "UNIQUE" in str(db_error.value).upper()
    )


@pytest.mark.django_db
def test_a_completed_plan_allows_a_new_one(plan, physician):
    services.change_plan_status(plan=plan, status="completed", by=physician, reason="Goals met")
    again = services.start_plan(
        patient=plan.patient,
        diagnosis=plan.diagnosis,
        protocol=plan.protocol,
        lead_physician=physician,
        start_date=TODAY(),
        primary_concern="both",
    )
    assert again.status == RehabPlan.Status.ACTIVE


@pytest.mark.django_db
def test_only_one_current_stage_in_the_database(plan):
    with pytest.raises(IntegrityError), transaction.atomic():
        plan.stages.filter(order=2).update(status="current", started_on=TODAY())


@pytest.mark.django_db
def test_advance_moves_to_the_next_stage_and_logs_it(plan, physician):
    stage = services.advance_stage(plan=plan, by=physician, reason="Walks with one helper")
    assert stage.order == 2
    stages = {s.order: s for s in PlanStage.objects.filter(plan=plan)}
    assert stages[1].status == "done" and stages[1].ended_on == TODAY()
    assert stages[2].status == "current" and stages[2].started_on == TODAY()
    transition = StageTransition.objects.filter(plan=plan).first()
    assert (transition.from_stage, transition.to_stage) == (stages[1], stages[2])
    assert transition.changed_by == physician
    assert transition.reason == "Walks with one helper"


@pytest.mark.django_db
def test_advance_past_the_last_stage_is_refused(plan, physician):
    services.advance_stage(plan=plan, by=physician)
    services.advance_stage(plan=plan, by=physician)
    with pytest.raises(ValidationError) as excinfo:
        services.advance_stage(plan=plan, by=physician)
    assert excinfo.value.code == "last_stage"
    assert plan.stages.get(status="current").order == 3


@pytest.mark.django_db
def test_going_back_needs_a_reason(plan, physician):
    services.advance_stage(plan=plan, by=physician)
    with pytest.raises(ValidationError) as excinfo:
        services.advance_stage(plan=plan, by=physician, to_order=1)
    assert excinfo.value.error_dict["reason"][0].code == "reason_required"
    assert plan.stages.get(status="current").order == 2


@pytest.mark.django_db
def test_skipping_a_stage_needs_a_reason(plan, physician):
    with pytest.raises(ValidationError) as excinfo:
        services.advance_stage(plan=plan, by=physician, to_order=3)
    [error] = excinfo.value.error_dict["reason"]
    assert error.code == "reason_required_to_skip"
    skipped = plan.stages.get(order=2)
    assert error.messages == [f"Say why the plan skips stage 2 ({skipped.name})."]
    assert plan.stages.get(status="current").order == 1
    stage = services.advance_stage(plan=plan, by=physician, to_order=3, reason="Walking already")
    assert stage.order == 3
    assert plan.transitions.order_by("-pk").first().reason == "Walking already"


@pytest.mark.django_db
def test_going_back_with_a_reason_reopens_the_earlier_stage(plan, physician):
    services.advance_stage(plan=plan, by=physician)
    stage = services.advance_stage(plan=plan, by=physician, to_order=1, reason="Fall at home")
    assert stage.order == 1
    statuses = dict(plan.stages.values_list("order", "status"))
    assert statuses == {1: "current", 2: "upcoming", 3: "upcoming"}
    assert StageTransition.objects.filter(plan=plan).first().is_step_back


@pytest.mark.django_db
def test_advance_is_refused_on_a_plan_on_hold(plan, physician):
    services.change_plan_status(plan=plan, status="on_hold", by=physician, reason="In hospital")
    with pytest.raises(ValidationError) as excinfo:
        services.advance_stage(plan=plan, by=physician)
    assert excinfo.value.code == "plan_not_active"


@pytest.mark.django_db
def test_individualise_records_who_why_and_keeps_protocol_numbers(plan, physician):
    stage = plan.stages.get(order=1)
    services.individualise_stage_mix(
        stage=stage,
        pt_sessions_per_week=4,
        ot_sessions_per_week=4,
        reason="Hand function is the main barrier",
        by=physician,
    )
    stage.refresh_from_db()
    assert (stage.pt_sessions_per_week, stage.ot_sessions_per_week) == (4, 4)
    assert (stage.protocol_mix.pt_sessions_per_week, stage.protocol_mix.ot_sessions_per_week) == (
        6,
        2,
    )
    assert stage.is_individualised
    change = StageMixChange.objects.get(plan_stage=stage)
    assert (change.pt_before, change.ot_before, change.pt_after, change.ot_after) == (6, 2, 4, 4)
    assert change.changed_by == physician and change.reason == "Hand function is the main barrier"
    assert dict(stage.allocations.values_list("discipline", "sessions_per_week")) == {
        "PT": 4,
        "OT": 4,
    }


@pytest.mark.django_db
def test_individualise_needs_a_reason(plan, physician):
    stage = plan.stages.get(order=1)
    with pytest.raises(ValidationError) as excinfo:
        services.individualise_stage_mix(
            stage=stage, pt_sessions_per_week=4, ot_sessions_per_week=4, reason=" ", by=physician
        )
    assert excinfo.value.error_dict["reason"][0].code == "reason_required"
    assert not StageMixChange.objects.exists()


@pytest.mark.django_db
def test_individualise_out_of_range_saves_nothing(plan, physician):
    stage = plan.stages.get(order=1)
    with pytest.raises(ValidationError) as excinfo:
        services.individualise_stage_mix(
            stage=stage, pt_sessions_per_week=20, ot_sessions_per_week=2, reason="x", by=physician
        )
    assert "At most 14 PT sessions a week." in excinfo.value.message_dict["pt_sessions_per_week"]
    stage.refresh_from_db()
    assert stage.pt_sessions_per_week == 6
    assert not StageMixChange.objects.exists()


@pytest.mark.django_db
def test_individualise_to_no_sessions_is_refused(plan, physician):
    stage = plan.stages.get(order=1)
    with pytest.raises(ValidationError) as excinfo:
        services.individualise_stage_mix(
            stage=stage, pt_sessions_per_week=0, ot_sessions_per_week=0, reason="x", by=physician
        )
    assert excinfo.value.error_dict["pt_sessions_per_week"][0].code == "no_sessions"


@pytest.mark.django_db
def test_finished_stage_mix_cannot_change(plan, physician):
    services.advance_stage(plan=plan, by=physician)
    with pytest.raises(ValidationError) as excinfo:
        services.individualise_stage_mix(
            stage=plan.stages.get(order=1),
            pt_sessions_per_week=1,
            ot_sessions_per_week=1,
            reason="x",
            by=physician,
        )
    assert excinfo.value.code == "stage_done"


@pytest.mark.django_db
def test_allocate_therapist_changes_current_and_upcoming_stages(
    plan, physician, therapist_not_on_plan
):
    services.advance_stage(plan=plan, by=physician)
    changed = services.allocate_therapist(
        plan=plan, discipline=Discipline.PT, therapist=therapist_not_on_plan, by=physician
    )
    assert changed == 2
    by_order = dict(
        SessionAllocation.objects.filter(plan_stage__plan=plan, discipline="PT").values_list(
            "plan_stage__order", "therapist__username"
        )
    )
    assert by_order == {1: "pt.sharma", 2: "pt.das", 3: "pt.das"}


@pytest.mark.django_db
def test_plan_status_changes(plan, physician):
    services.change_plan_status(plan=plan, status="on_hold", by=physician, reason="Admitted")
    plan.refresh_from_db()
    assert plan.status == "on_hold" and plan.status_reason == "Admitted"
    services.change_plan_status(plan=plan, status="active", by=physician)
    services.change_plan_status(plan=plan, status="discontinued", by=physician, reason="Moved")
    plan.refresh_from_db()
    assert plan.status == "discontinued" and plan.end_date == TODAY()
    assert not plan.stages.filter(status="current").exists()
    with pytest.raises(ValidationError) as excinfo:
        services.change_plan_status(plan=plan, status="active", by=physician)
    assert excinfo.value.error_dict["status"][0].code == "status_change_not_allowed"
    # Each change is logged with who, when and why; the refused one is not.
    log = list(
        PlanStatusChange.objects.filter(plan=plan)
        .order_by("changed_at", "pk")
        .values_list("from_status", "to_status", "reason", "changed_by", "effective_date")
    )
    assert log == [
        ("active", "on_hold", "Admitted", physician.pk, TODAY()),
        ("on_hold", "active", "", physician.pk, TODAY()),
        ("active", "discontinued", "Moved", physician.pk, TODAY()),
    ]


@pytest.mark.django_db
def test_status_changes_made_before_the_log_are_read_back_from_the_history(plan, physician):
    status_log = import_module("plans.migrations.0011_status_changes_from_history")
    services.change_plan_status(plan=plan, status="on_hold", by=physician, reason="Admitted")
    services.change_plan_status(plan=plan, status="active", by=physician)
    fields = ("from_status", "to_status", "reason", "changed_by", "effective_date")
    logged = list(PlanStatusChange.objects.order_by("changed_at").values_list(*fields))
    PlanStatusChange.objects.all().delete()
    status_log.from_history(apps, schema_editor=None)
    assert list(PlanStatusChange.objects.order_by("changed_at").values_list(*fields)) == logged


@pytest.mark.django_db
def test_closing_a_plan_needs_a_reason(plan, physician):
    with pytest.raises(ValidationError) as excinfo:
        services.change_plan_status(plan=plan, status="completed", by=physician)
    assert excinfo.value.error_dict["reason"][0].code == "reason_required"
    plan.refresh_from_db()
    assert plan.status == "active"


@pytest.mark.django_db
def test_mix_on_a_date_follows_the_stage_in_force(plan, physician):
    start = plan.start_date
    services.advance_stage(
        plan=plan, by=physician, effective_date=start + datetime.timedelta(days=7)
    )
    plan = RehabPlan.objects.get(pk=plan.pk)
    assert plan.mix_on(start - datetime.timedelta(days=1)) is None
    assert plan.mix_on(start).pt_sessions_per_week == 6
    assert plan.mix_on(start + datetime.timedelta(days=6)).pt_sessions_per_week == 6
    on_day_seven = plan.mix_on(start + datetime.timedelta(days=7))
    assert (on_day_seven.pt_sessions_per_week, on_day_seven.ot_sessions_per_week) == (5, 5)
    assert on_day_seven.pt_share == 0.5


@pytest.mark.django_db
def test_stage_change_cannot_be_dated_ahead(plan, physician):
    with pytest.raises(ValidationError) as excinfo:
        services.advance_stage(
            plan=plan, by=physician, effective_date=TODAY() + datetime.timedelta(days=1)
        )
    assert excinfo.value.error_dict["effective_date"][0].code == "date_in_future"
    assert plan.stages.get(status="current").order == 1


@pytest.mark.django_db
def test_plan_cannot_end_before_its_current_stage_started(plan, physician):
    services.advance_stage(plan=plan, by=physician)
    with pytest.raises(ValidationError) as excinfo:
        services.change_plan_status(
            plan=plan,
            status="completed",
            by=physician,
            reason="Goals met",
            effective_date=TODAY() - datetime.timedelta(days=1),
        )
    assert excinfo.value.error_dict["effective_date"][0].code == "date_before_stage"
    plan.refresh_from_db()
    assert plan.status == "active" and plan.end_date is None


@pytest.mark.django_db
def test_mix_changes_are_announced_after_commit(
    plan, physician, django_capture_on_commit_callbacks
):
    from plans.signals import plan_mix_changed, plan_status_changed

    heard = []

    def listener(sender, **kwargs):
        heard.append((kwargs["plan"].pk, kwargs.get("stage") and kwargs["stage"].order))

    plan_mix_changed.connect(listener)
    plan_status_changed.connect(listener)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            services.advance_stage(plan=plan, by=physician)
        assert heard == [(plan.pk, 2)]
        with django_capture_on_commit_callbacks(execute=True):
            services.individualise_stage_mix(
                stage=plan.stages.get(order=3),
                pt_sessions_per_week=2,
                ot_sessions_per_week=6,
                reason="Hand function",
                by=physician,
            )
            services.change_plan_status(plan=plan, status="on_hold", by=physician, reason="Ill")
        assert heard[1:] == [(plan.pk, 3), (plan.pk, None)]
    finally:
        plan_mix_changed.disconnect(listener)
        plan_status_changed.disconnect(listener)
