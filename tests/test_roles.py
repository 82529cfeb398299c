import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command

from rehab.backends import StaffBackend
from rehab.models import Role, User
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
def test_the_signed_in_user_comes_with_their_roles_in_one_query(
    physiotherapist, physician, front_desk, django_assert_num_queries
):
    backend = StaffBackend()
    for person, role in (
        (physiotherapist, Role.PHYSIOTHERAPIST),
        (physician, Role.PHYSICIAN),
        (front_desk, Role.FRONT_DESK),
    ):
        with django_assert_num_queries(1):
            user = backend.get_user(person.pk)
            assert user.role_names == {role}
            assert user.is_therapist == (role == Role.PHYSIOTHERAPIST)
            assert user.is_physician == (role == Role.PHYSICIAN)
    # Read any other way, a user still has their roles, from their groups.
    assert User.objects.get(pk=physician.pk).role_names == {Role.PHYSICIAN}


@pytest.mark.django_db
def test_a_user_made_inactive_is_signed_out_on_their_next_request(client, physician):
    client.force_login(physician)
    assert client.get("/").status_code == 200
    User.objects.filter(pk=physician.pk).update(is_active=False)
    assert StaffBackend().get_user(physician.pk) is None
    response = client.get("/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


@pytest.mark.django_db
def test_every_model_change_has_a_migration():
    call_command("makemigrations", "--check", "--dry-run", verbosity=0)
