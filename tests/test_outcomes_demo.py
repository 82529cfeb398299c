"""The demo clinic's outcomes: criteria, assessments and goals that tell a story."""

import pytest
from django.apps import apps
from django.core.management import call_command
from django.utils import timezone

from outcomes import selectors
from outcomes.models import Assessment, StageExitCriterion
from plans.models import Protocol
from rehab.models import User


def outcome_counts() -> dict[str, int]:
    return {
        model._meta.label: model.objects.count()
        for app in ("outcomes", "patients", "plans")
        for model in apps.get_app_config(app).get_models()
    }


@pytest.fixture
def demo(db):
    call_command("seed_demo", quiet=True)


def test_seeding_twice_gives_the_same_outcomes(demo):
    first = outcome_counts()
    call_command("seed_demo", quiet=True)
    assert outcome_counts() == first
    assert first["outcomes.Assessment"] >= 80
    assert first["outcomes.Goal"] >= 30


def test_demo_outcomes_tell_the_story(demo):
    """Stroke stage 2 asks for balance and walking; some plans are ready, some overdue;
    balance and walking improve before independence."""
    stroke = Protocol.objects.get(condition__icd10_code="I63.9", status="published")
    criteria = StageExitCriterion.objects.filter(protocol_stage__protocol=stroke)
    described = {c.protocol_stage.order: [] for c in criteria}
    for criterion in criteria:
        described[criterion.protocol_stage.order].append(criterion.describe())
    assert sorted(described[2]) == ["10-Metre Walk Test ≥ 0.40 m/s", "Berg Balance Scale ≥ 45"]
    assert described[3] == ["Barthel Index ≥ 75"]

    board = selectors.progression_board(User.objects.get(username="dr.rao"), timezone.localdate())
    ready = {p.plan.patient.full_name for p in board.ready}
    overdue = {p.plan.patient.full_name for p in board.overdue}
    assert {"Shyamal Chatterjee", "Abdul Rahman Sheikh", "Anjali Banerjee"} <= ready
    assert {"Suresh Iyengar", "Lata Deshpande"} <= overdue

    plan = Assessment.objects.filter(plan__patient__full_name="Shyamal Chatterjee").first().plan
    berg = list(plan.assessments.filter(measure="berg").order_by("date"))
    barthel = list(plan.assessments.filter(measure="barthel").order_by("date"))
    reached_45 = next(a.date for a in berg if a.total >= 45)
    reached_75 = next(a.date for a in barthel if a.total >= 75)
    assert reached_45 < reached_75
    assert not Assessment.objects.filter(date__gt=timezone.localdate()).exists()
