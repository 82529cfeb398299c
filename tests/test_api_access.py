"""The API's list filters (interop.visibility) agree with plans.access row by row."""

import pytest

from interop import visibility
from patients.models import Patient
from plans import access
from plans.models import Protocol, RehabPlan
from tests import factories


@pytest.fixture
def clinic(plan, protocol, physician, therapist_not_on_plan, occupational_therapist):
    """The persona plan, a plan of another therapist, a plan with nobody allocated,
    a patient without a plan and a draft protocol."""
    factories.start_plan(protocol=protocol, physiotherapist=therapist_not_on_plan)
    factories.start_plan(protocol=protocol)
    factories.DiagnosisFactory()
    factories.ProtocolStageFactory(protocol__author=physician)
    # An OT allocated only through the OT row of a plan.
    factories.start_plan(protocol=protocol, occupational_therapist=occupational_therapist)


@pytest.mark.django_db
def test_list_filters_match_the_object_rules(
    clinic,
    physician,
    physiotherapist,
    occupational_therapist,
    therapist_not_on_plan,
    front_desk,
    superuser,
):
    for user in (
        physician,
        physiotherapist,
        occupational_therapist,
        therapist_not_on_plan,
        front_desk,
        superuser,
    ):
        plans = set(visibility.visible_plans(user))
        assert plans == {p for p in RehabPlan.objects.all() if access.can_view_plan(user, p)}
        patients = set(visibility.visible_patients(user))
        assert patients == {p for p in Patient.objects.all() if access.can_view_patient(user, p)}
        protocols = set(visibility.visible_protocols(user))
        assert protocols == {
            p for p in Protocol.objects.all() if visibility.can_read_protocol(user, p)
        }
    assert len(set(visibility.visible_plans(occupational_therapist))) == 2
