"""Every admin changelist, add and change page answers for a superuser."""

import datetime

import pytest
from django.contrib import admin
from django.urls import reverse
from django.utils import timezone

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
    # The timetable's admin has its own test (tests/test_scheduling_pages.py), and so
    # has the list of API tokens (tests/test_api_addresses.py).
    return [
        model
        for model in admin.site._registry
        if model._meta.app_label not in ("auth", "scheduling", "authtoken")
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


def first_day_session(plan, therapist):
    return services.log_session(
        plan=plan,
        therapist=therapist,
        logged_by=therapist,
        date=plan.start_date,
        duration_minutes=45,
    )


def session_change_data(session, **changes) -> dict:
    """The admin change form of a session as a browser posts it, with changes."""
    data = {
        "date": session.date.isoformat(),
        "start_time": session.start_time.strftime("%H:%M") if session.start_time else "",
        "duration_minutes": session.duration_minutes,
        "attendance": session.attendance,
        "focus_areas": "\n".join(session.focus_areas),
        "subjective": session.subjective,
        "objective": session.objective,
        "assessment": session.assessment,
        "plan_notes": session.plan_notes,
        "pain_before": "" if session.pain_before is None else session.pain_before,
        "pain_after": "" if session.pain_after is None else session.pain_after,
    }
    return {**data, **changes}


@pytest.mark.django_db
def test_admin_refuses_a_session_correction_on_the_form_not_with_an_error_page(
    client, superuser, plan, physician, physiotherapist, therapist_not_on_plan
):
    five_days_ago = timezone.localdate() - datetime.timedelta(days=5)
    session = services.log_session(
        plan=plan,
        therapist=physiotherapist,
        logged_by=physiotherapist,
        date=five_days_ago,
        duration_minutes=45,
    )
    # Stage 2 began three days ago with another physiotherapist.
    services.advance_stage(
        plan=plan, by=physician, effective_date=timezone.localdate() - datetime.timedelta(days=3)
    )
    services.allocate_therapist(
        plan=plan, discipline="PT", therapist=therapist_not_on_plan, by=physician
    )
    client.force_login(superuser)
    url = reverse("admin:plans_therapysession_change", args=[session.pk])
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    response = client.post(url, session_change_data(session, date=yesterday.isoformat()))
    assert response.status_code == 200
    assert "was not allocated to it for physiotherapy" in response.content.decode()
    session.refresh_from_db()
    assert session.date == five_days_ago
    # A correction the rules allow is saved through the service; focus areas are
    # typed one a line.
    response = client.post(
        url, session_change_data(session, duration_minutes=40, focus_areas="Balance\n Stairs \n")
    )
    assert response.status_code == 302
    session.refresh_from_db()
    assert (session.duration_minutes, session.date) == (40, five_days_ago)
    assert session.focus_areas == ["Balance", "Stairs"]
    assert "Balance\nStairs</textarea>" in client.get(url).content.decode()


@pytest.mark.django_db
def test_admin_shows_whose_session_and_the_plans_start_as_they_are_not_changed_there(
    client, superuser, plan, physiotherapist, occupational_therapist
):
    session = first_day_session(plan, physiotherapist)
    client.force_login(superuser)
    url = reverse("admin:plans_therapysession_change", args=[session.pk])
    form = client.get(url).context["adminform"].form
    assert not {"plan", "therapist", "discipline"} & set(form.fields)
    # A therapist posted anyway is not taken.
    data = session_change_data(session, therapist=occupational_therapist.pk)
    assert client.post(url, data).status_code == 302
    session.refresh_from_db()
    assert session.therapist == physiotherapist
    plan_form = client.get(reverse("admin:plans_rehabplan_change", args=[plan.pk]))
    assert "start_date" not in plan_form.context["adminform"].form.fields


@pytest.mark.django_db
def test_admin_finds_allocations_and_sessions_by_the_therapists_name(
    client, superuser, plan, physiotherapist
):
    first_day_session(plan, physiotherapist)
    client.force_login(superuser)
    surname = physiotherapist.last_name
    allocations = client.get(reverse("admin:plans_sessionallocation_changelist"), {"q": surname})
    assert allocations.context["cl"].result_count == plan.stages.count()
    assert plan.patient.full_name in allocations.content.decode()  # the patient column
    sessions = client.get(reverse("admin:plans_therapysession_changelist"), {"q": surname})
    assert sessions.context["cl"].result_count == 1
    plans = client.get(
        reverse("admin:plans_rehabplan_changelist"), {"q": plan.lead_physician.last_name}
    )
    assert plans.context["cl"].result_count == 1


@pytest.mark.django_db
def test_admin_therapist_picker_offers_only_active_therapists(
    client, superuser, physiotherapist, occupational_therapist, front_desk, physician
):
    client.force_login(superuser)
    answer = client.get(
        "/admin/autocomplete/",
        {"app_label": "plans", "model_name": "sessionallocation", "field_name": "therapist"},
    )
    assert answer.status_code == 200
    offered = {int(row["id"]) for row in answer.json()["results"]}
    assert offered == {physiotherapist.pk, occupational_therapist.pk}
    answer = client.get(
        "/admin/autocomplete/",
        {"app_label": "plans", "model_name": "rehabplan", "field_name": "lead_physician"},
    )
    assert {int(row["id"]) for row in answer.json()["results"]} == {physician.pk}


@pytest.mark.django_db
def test_admin_keeps_staff_conditions_and_role_groups(client, superuser, physiotherapist, plan):
    from django.contrib.auth.models import Group

    client.force_login(superuser)
    staff = client.get(reverse("admin:rehab_user_changelist")).content.decode()
    assert "<span>Role</span>" in staff and "Physiotherapist" in staff
    response = client.post(
        reverse("admin:rehab_user_delete", args=[physiotherapist.pk]), {"post": "yes"}, follow=True
    )
    assert "untick &#x27;Active&#x27; and save" in response.content.decode()
    assert type(physiotherapist).objects.filter(pk=physiotherapist.pk).exists()
    condition = plan.diagnosis.condition
    response = client.post(
        reverse("admin:patients_condition_delete", args=[condition.pk]),
        {"post": "yes"},
        follow=True,
    )
    assert "diagnoses and protocols refer to them" in response.content.decode()
    condition.refresh_from_db()
    role = Group.objects.get(name="Physiotherapist")
    assert client.get(reverse("admin:auth_group_delete", args=[role.pk])).status_code == 403
    assert Group.objects.filter(name="Physiotherapist").exists()
    other = Group.objects.create(name="Book club")
    response = client.post(reverse("admin:auth_group_delete", args=[other.pk]), {"post": "yes"})
    assert response.status_code == 302 and not Group.objects.filter(name="Book club").exists()


@pytest.mark.django_db
def test_admin_shows_a_finished_stage_and_its_allocations_read_only(client, superuser, plan):
    services.advance_stage(plan=plan, by=plan.lead_physician)
    done = plan.stages.get(order=1)
    client.force_login(superuser)
    response = client.get(reverse("admin:plans_planstage_change", args=[done.pk]))
    assert response.status_code == 200
    assert not set(response.context["adminform"].form.fields)
    inline = response.context["inline_admin_formsets"][0]
    assert not inline.has_change_permission
    allocation = done.allocations.first()
    response = client.get(reverse("admin:plans_sessionallocation_change", args=[allocation.pk]))
    assert "therapist" not in response.context["adminform"].form.fields
    current = plan.stages.get(order=2)
    response = client.get(reverse("admin:plans_planstage_change", args=[current.pk]))
    assert "name" in response.context["adminform"].form.fields
