import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command

from rehab.models import Role
from tests import factories


@pytest.mark.django_db
def test_the_four_roles_exist_with_their_permissions():
    groups = {g.name: g for g in Group.objects.prefetch_related("permissions__content_type")}
    assert set(groups) >= {role.value for role in Role}

    def codes(role):
        return {p.codename for p in groups[role].permissions.all()}

    assert {"add_protocol", "change_rehabplan", "view_therapysession"} <= codes(Role.PHYSICIAN)
    assert {"add_therapysession", "view_rehabplan"} <= codes(Role.PHYSIOTHERAPIST)
    assert "add_protocol" not in codes(Role.PHYSIOTHERAPIST)
    assert codes(Role.PHYSIOTHERAPIST) == codes(Role.OCCUPATIONAL_THERAPIST)
    assert {"add_patient", "change_diagnosis"} <= codes(Role.FRONT_DESK)
    assert "view_therapysession" not in codes(Role.FRONT_DESK)


@pytest.mark.django_db
def test_discipline_follows_the_group(
    physiotherapist, occupational_therapist, physician, front_desk
):
    assert physiotherapist.discipline == "PT" and physiotherapist.is_therapist
    assert occupational_therapist.discipline == "OT"
    assert physician.discipline is None and physician.is_physician
    assert front_desk.discipline is None and front_desk.is_front_desk


@pytest.mark.django_db
def test_inactive_staff_have_no_role():
    therapist = factories.physiotherapist(is_active=False)
    assert therapist.discipline is None


@pytest.mark.django_db
def test_every_model_change_has_a_migration():
    call_command("makemigrations", "--check", "--dry-run", verbosity=0)
