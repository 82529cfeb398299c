"""The demo clinic loaded by `manage.py seed_demo`."""

import json
from importlib import import_module

import pytest
from django.apps import apps
from django.conf import settings
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from plans.models import Protocol, RehabPlan, TherapySession
from rehab.models import Role, User

DEMO_PASSWORD = "rehab-demo-2026"


def row_counts() -> dict[str, int]:
    return {
        model._meta.label: model.objects.count()
        for app in ("rehab", "patients", "plans")
        for model in apps.get_app_config(app).get_models()
    }


@pytest.fixture
def demo(db):
    call_command("seed_demo", quiet=True)


def test_seed_demo_twice_gives_the_same_counts(demo):
    first = row_counts()
    call_command("seed_demo", quiet=True)
    assert row_counts() == first
    assert first["patients.Patient"] >= 18
    assert first["plans.RehabPlan"] >= 10
    assert first["plans.TherapySession"] >= 200


def test_demo_stroke_protocol_moves_from_pt_led_to_ot_central(demo):
    stroke = Protocol.objects.get(condition__icd10_code="I63.9", status="published")
    mixes = [stage.mix for stage in stroke.stages.all()]
    assert len(mixes) >= 3
    assert mixes[0].pt_share > mixes[-1].pt_share
    assert mixes[-1].ot_share >= 0.5
    # Early inpatient rehabilitation: at least 45 minutes of each therapy, 5 days a week.
    early = stroke.stages.get(order=2)
    assert early.pt_sessions_per_week >= 5 and early.ot_sessions_per_week >= 5
    assert min(early.pt_minutes_per_session, early.ot_minutes_per_session) >= 45


def test_demo_joint_protocol_stays_pt_led(demo):
    joint = Protocol.objects.get(condition__icd10_code="M17.9", status="published")
    assert all(stage.mix.pt_share >= 0.5 for stage in joint.stages.all())
    assert "joint protection" in joint.stages.first().ot_focus_areas.lower()


def test_demo_fixtures_say_they_are_illustrative(demo):
    for protocol in Protocol.objects.all():
        assert "illustrative" in protocol.summary.lower()


def test_demo_plans_are_at_different_stages_with_missed_sessions(demo):
    current_orders = set(
        RehabPlan.objects.filter(status="active", stages__status="current").values_list(
            "stages__order", flat=True
        )
    )
    assert len(current_orders) >= 3
    assert TherapySession.objects.exclude(attendance="attended").exists()
    assert not TherapySession.objects.filter(date__gt=timezone.localdate()).exists()


def test_every_demo_role_can_sign_in(demo):
    for role in Role:
        user = User.objects.filter(groups__name=role).first()
        assert user is not None, role
        assert Client().login(username=user.username, password=DEMO_PASSWORD), user.username
    assert Client().login(username="admin", password=DEMO_PASSWORD)


def test_demo_sessions_were_written_up_on_their_own_day(demo):
    for session in TherapySession.objects.all()[:50]:
        assert timezone.localtime(session.created_at).date() == session.date


def test_demo_patients_were_registered_before_their_plans_began(demo):
    plans = RehabPlan.objects.select_related("patient")
    assert plans.exists()
    for plan in plans:
        assert timezone.localtime(plan.patient.created_at).date() < plan.start_date


def test_demo_holds_and_closures_are_logged_on_the_day_they_happened(demo):
    held = RehabPlan.objects.exclude(status=RehabPlan.Status.ACTIVE)
    assert held.exists()
    for plan in held:
        change = plan.status_changes.get()
        assert change.to_status == plan.status and change.reason == plan.status_reason
        assert change.effective_date < timezone.localdate()


def test_the_conditions_with_a_side_agree_in_the_fixture_and_the_migration():
    """A database migrated from before `has_side` marks the same conditions as the demo."""
    migration = import_module("patients.migrations.0004_condition_has_side")
    rows = json.loads((settings.BASE_DIR / "fixtures" / "conditions.json").read_text())
    sided = sorted(row["fields"]["icd10_code"] for row in rows if row["fields"]["has_side"])
    assert sided == sorted(migration.SIDED)


def test_the_conditions_with_a_spinal_level_agree_in_the_fixture_and_the_migration():
    """A database migrated from before `has_spinal_level` marks the same conditions."""
    migration = import_module("patients.migrations.0005_condition_has_spinal_level")
    rows = json.loads((settings.BASE_DIR / "fixtures" / "conditions.json").read_text())
    spinal = sorted(
        row["fields"]["icd10_code"] for row in rows if row["fields"]["has_spinal_level"]
    )
    assert spinal == sorted(migration.SPINAL) == ["T09.3"]
