"""Factories for test data. Plans and protocols go through the services, as in the app."""

import datetime

import factory
from django.contrib.auth.models import Group
from django.utils import timezone

from patients.models import Condition, Diagnosis, Patient
from plans import services
from plans.models import Protocol, ProtocolStage
from rehab.models import Role, User
from rehab.roles import sync_roles


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"staff{n}")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    password = factory.django.Password("pw-for-tests")

    @factory.post_generation
    def role(self, create, extracted, **kwargs):
        if create and extracted:
            group = Group.objects.filter(name=extracted).first()
            if group is None:
                # A live-server test's flush empties the groups a data migration made.
                sync_roles()
                group = Group.objects.get(name=extracted)
            self.groups.add(group)


def physician(**kwargs) -> User:
    return UserFactory(role=Role.PHYSICIAN, title="Dr.", **kwargs)


def physiotherapist(**kwargs) -> User:
    return UserFactory(role=Role.PHYSIOTHERAPIST, **kwargs)


def occupational_therapist(**kwargs) -> User:
    return UserFactory(role=Role.OCCUPATIONAL_THERAPIST, **kwargs)


class ConditionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Condition
        django_get_or_create = ["icd10_code"]

    name = "Stroke"
    icd10_code = "I63.9"
    category = Condition.Category.NEUROLOGICAL
    has_side = True  # a stroke affects a side of the body


def spinal_cord_injury() -> Condition:
    """The condition whose diagnosis records a spinal-cord level and ASIA grade."""
    return ConditionFactory(
        name="Spinal cord injury",
        icd10_code="T09.3",
        category=Condition.Category.NEUROLOGICAL,
        has_side=False,
        has_spinal_level=True,
    )


class PatientFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Patient

    full_name = factory.Faker("name")
    date_of_birth = datetime.date(1958, 4, 12)
    sex = Patient.Sex.FEMALE
    phone = "+91 98300 12345"


class DiagnosisFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Diagnosis

    patient = factory.SubFactory(PatientFactory)
    condition = factory.SubFactory(ConditionFactory)
    onset_date = factory.LazyFunction(lambda: timezone.localdate() - datetime.timedelta(days=20))
    affected_side = Diagnosis.Side.LEFT
    is_primary = True


class ProtocolFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Protocol

    condition = factory.SubFactory(ConditionFactory)
    name = factory.Sequence(lambda n: f"Stroke pathway {n}")
    version = 1
    author = factory.LazyFunction(physician)
    summary = "Illustrative protocol for tests."


class ProtocolStageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ProtocolStage

    protocol = factory.SubFactory(ProtocolFactory)
    order = factory.Sequence(lambda n: n + 1)
    name = factory.Sequence(lambda n: f"Stage {n + 1}")
    goal = "Stand and walk safely."
    typical_weeks = 2
    pt_sessions_per_week = 5
    ot_sessions_per_week = 2
    pt_minutes_per_session = 45
    ot_minutes_per_session = 45
    pt_focus_areas = "standing\nwalking\nbalance"
    ot_focus_areas = "dressing\nsafe transfers"


# A neuro pathway: PT-led early, OT-central late.
STROKE_MIX = [(6, 2), (5, 5), (3, 5)]


def published_protocol(mix=STROKE_MIX, condition=None, author=None) -> Protocol:
    """A published protocol with one stage per (PT, OT) pair."""
    protocol = ProtocolFactory(
        condition=condition or ConditionFactory(), author=author or physician()
    )
    for order, (pt, ot) in enumerate(mix, start=1):
        ProtocolStageFactory(
            protocol=protocol,
            order=order,
            name=f"Stage {order}",
            pt_sessions_per_week=pt,
            ot_sessions_per_week=ot,
        )
    return services.publish_protocol(protocol=protocol, by=protocol.author)


def start_plan(
    *,
    protocol=None,
    lead_physician=None,
    physiotherapist=None,
    occupational_therapist=None,
    start_date=None,
    patient=None,
):
    protocol = protocol or published_protocol()
    diagnosis = DiagnosisFactory(
        condition=protocol.condition, **({"patient": patient} if patient else {})
    )
    return services.start_plan(
        patient=diagnosis.patient,
        diagnosis=diagnosis,
        protocol=protocol,
        lead_physician=lead_physician or protocol.author,
        start_date=start_date or timezone.localdate() - datetime.timedelta(days=14),
        primary_concern="both",
        physiotherapist=physiotherapist,
        occupational_therapist=occupational_therapist,
    )
