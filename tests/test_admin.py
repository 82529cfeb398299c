"""Every admin changelist, add and change page answers for a superuser."""

import pytest
from django.contrib import admin
from django.urls import reverse

from outcomes.models import StageExitCriterion
from plans import services


@pytest.fixture
def clinic(plan, physiotherapist, physician, superuser):
    from rest_framework.authtoken.models import Token

    from outcomes import services as outcome_services
    from outcomes.models import MeasureSetting

    Token.objects.create(user=superuser)
    MeasureSetting.objects.create(measure="modified_rankin", enabled=True)
    outcome_services.record_assessment(
        plan=plan,
        measure_key="nprs",
        assessor=physiotherapist,
        date=plan.start_date,
        item_scores={"pain": 4},
    )
    outcome_services.save_goal(
        plan=plan,
        by=physician,
        discipline="PT",
        family="move_better",
        description="Walk to the bathroom",
        target_date=plan.start_date,
    )
    services.log_session(
        plan=plan,
        therapist=physiotherapist,
        logged_by=physiotherapist,
        date=plan.start_date,
        duration_minutes=45,
    )
    services.individualise_stage_mix(
        stage=plan.stages.get(order=1),
        pt_sessions_per_week=5,
        ot_sessions_per_week=3,
        reason="Tires quickly",
        by=physician,
    )
    services.change_plan_status(plan=plan, status="on_hold", by=physician, reason="In hospital")
    services.change_plan_status(plan=plan, status="active", by=physician)
    return plan


def registered_models():
    # The timetable's admin has its own test (tests/test_scheduling_pages.py).
    return [
        model
        for model in admin.site._registry
        if model._meta.app_label not in ("auth", "scheduling")
    ]


@pytest.mark.django_db
@pytest.mark.parametrize("model", registered_models(), ids=lambda m: m._meta.label)
def test_admin_pages_answer_for_a_superuser(
    client, superuser, clinic, model, django_assert_max_num_queries
):
    client.force_login(superuser)
    opts = model._meta
    changelist = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
    with django_assert_max_num_queries(20):
        assert client.get(changelist).status_code == 200
    assert client.get(changelist, {"q": "a"}).status_code == 200
    add = client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_add"))
    assert add.status_code in (200, 403)  # 403 where rows are only made by a service
    obj = model.objects.first()
    assert obj is not None, f"no {opts.label} row to open"
    change = client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk]))
    assert change.status_code == 200


@pytest.mark.django_db
def test_admin_add_refused_only_where_a_service_makes_the_rows(client, superuser):
    client.force_login(superuser)
    service_made = {
        "plans.rehabplan",
        "outcomes.assessment",
        "outcomes.stageexitrules",
        "plans.planstage",
        "plans.sessionallocation",
        "plans.therapysession",
        "plans.stagemixchange",
        "plans.stagetransition",
        "plans.planstatuschange",
    }
    for model in registered_models():
        opts = model._meta
        status = client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_add")).status_code
        assert status == (403 if opts.label_lower in service_made else 200), opts.label


@pytest.mark.django_db
def test_admin_changelist_query_count_does_not_grow_with_rows(
    client,
    superuser,
    protocol,
    physician,
    physiotherapist,
    occupational_therapist,
    django_assert_max_num_queries,
):
    from tests import factories

    for _ in range(8):
        factories.start_plan(
            protocol=protocol,
            lead_physician=physician,
            physiotherapist=physiotherapist,
            occupational_therapist=occupational_therapist,
        )
    client.force_login(superuser)
    for name in ["rehabplan", "planstage", "sessionallocation", "protocol"]:
        with django_assert_max_num_queries(12):
            assert client.get(reverse(f"admin:plans_{name}_changelist")).status_code == 200


@pytest.mark.django_db
def test_admin_advance_action_uses_the_service(client, superuser, plan):
    client.force_login(superuser)
    response = client.post(
        reverse("admin:plans_rehabplan_changelist"),
        {"action": "advance", "_selected_action": [plan.pk]},
        follow=True,
    )
    assert response.status_code == 200
    assert plan.stages.get(status="current").order == 2
    assert plan.transitions.first().changed_by == superuser


@pytest.mark.django_db
def test_admin_advance_action_leaves_a_plan_short_of_its_criteria_to_its_page(
    client, superuser, plan
):
    StageExitCriterion.objects.create(
        protocol_stage=plan.protocol.stages.get(order=1),
        measure="berg",
        comparison=StageExitCriterion.Comparison.AT_LEAST,
        value=45,
    )
    client.force_login(superuser)
    response = client.post(
        reverse("admin:plans_rehabplan_changelist"),
        {"action": "advance", "_selected_action": [plan.pk]},
        follow=True,
    )
    assert response.status_code == 200
    assert "has not met its exit criteria yet" in response.content.decode()
    assert plan.stages.get(status="current").order == 1
    assert plan.transitions.count() == 1


@pytest.mark.django_db
def test_admin_shows_a_published_protocol_read_only(client, superuser, protocol):
    client.force_login(superuser)
    response = client.post(
        reverse("admin:plans_protocol_change", args=[protocol.pk]),
        {"name": "Changed"},
    )
    protocol.refresh_from_db()
    assert protocol.name != "Changed"
    assert response.status_code in (200, 302)


@pytest.mark.django_db
def test_admin_new_version_action(client, superuser, protocol):
    client.force_login(superuser)
    client.post(
        reverse("admin:plans_protocol_changelist"),
        {"action": "make_new_version", "_selected_action": [protocol.pk]},
    )
    assert protocol.__class__.objects.filter(name=protocol.name, version=2, status="draft").exists()
