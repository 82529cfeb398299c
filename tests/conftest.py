"""Named personas of the clinic, shared by every test file."""

import os

import pytest
from django.db import connection

from rehab.models import Role
from tests import factories


@pytest.fixture(autouse=True, scope="session")
def expected_database():
    """CI's PostgreSQL run must really run on PostgreSQL, never fall back."""
    expected = os.environ.get("EXPECT_DB_VENDOR")
    if expected:
        assert connection.vendor == expected, (
            f"Expected the suite on {expected}, but it runs on {connection.vendor}."
        )


@pytest.fixture
def physician(db):
    return factories.physician(username="dr.rao", first_name="Anita", last_name="Rao")


@pytest.fixture
def other_physician(db):
    return factories.physician(username="dr.iyer", first_name="Vikram", last_name="Iyer")


@pytest.fixture
def physiotherapist(db):
    return factories.physiotherapist(username="pt.sharma", first_name="Rahul", last_name="Sharma")


@pytest.fixture
def occupational_therapist(db):
    return factories.occupational_therapist(
        username="ot.menon", first_name="Lakshmi", last_name="Menon"
    )


@pytest.fixture
def therapist_not_on_plan(db):
    return factories.physiotherapist(username="pt.das", first_name="Arjun", last_name="Das")


@pytest.fixture
def front_desk(db):
    return factories.UserFactory(
        username="desk.roy", first_name="Priya", last_name="Roy", role=Role.FRONT_DESK
    )


@pytest.fixture
def superuser(db):
    return factories.UserFactory(username="admin", is_staff=True, is_superuser=True)


@pytest.fixture
def protocol(physician):
    """A published stroke protocol: 6/2, then 5/5, then 3/5 PT/OT sessions a week."""
    return factories.published_protocol(author=physician)


@pytest.fixture
def plan(protocol, physician, physiotherapist, occupational_therapist):
    """An active plan, started two weeks ago, with both therapists allocated."""
    return factories.start_plan(
        protocol=protocol,
        lead_physician=physician,
        physiotherapist=physiotherapist,
        occupational_therapist=occupational_therapist,
    )
