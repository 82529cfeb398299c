import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from plans import services
from plans.models import Protocol, ProtocolStage
from tests import factories


def errors_of(excinfo) -> dict:
    return {field: [e.code for e in errs] for field, errs in excinfo.value.error_dict.items()}


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("field", "value", "code", "message"),
    [
        ("pt_sessions_per_week", 15, "max_value", "At most 14 PT sessions a week."),
        ("ot_sessions_per_week", 15, "max_value", "At most 14 OT sessions a week."),
        ("pt_minutes_per_session", 14, "min_value", "A PT session lasts at least 15 minutes."),
        ("ot_minutes_per_session", 181, "max_value", "An OT session lasts at most 180 minutes."),
        ("typical_weeks", 0, "min_value", "A stage lasts at least one week."),
    ],
)
def test_stage_dose_out_of_range_is_refused_on_its_field(field, value, code, message):
    stage = factories.ProtocolStageFactory.build(
        protocol=factories.ProtocolFactory(), **{field: value}
    )
    with pytest.raises(ValidationError) as excinfo:
        stage.full_clean()
    assert errors_of(excinfo)[field] == [code]
    assert message in excinfo.value.message_dict[field]


@pytest.mark.django_db
def test_stage_without_any_session_is_refused():
    stage = factories.ProtocolStageFactory.build(
        protocol=factories.ProtocolFactory(), pt_sessions_per_week=0, ot_sessions_per_week=0
    )
    with pytest.raises(ValidationError) as excinfo:
        stage.full_clean()
    assert errors_of(excinfo) == {"pt_sessions_per_week": ["no_sessions"]}


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("fields", "constraint"),
    [
        ({"pt_sessions_per_week": 15}, "plans_protocol_stage_sessions_per_week_at_most_14"),
        (
            {"pt_sessions_per_week": 0, "ot_sessions_per_week": 0},
            "plans_protocol_stage_at_least_one_session_a_week",
        ),
        ({"ot_minutes_per_session": 10}, "plans_protocol_stage_minutes_per_session_15_to_180"),
        ({"pt_minutes_per_session": 200}, "plans_protocol_stage_minutes_per_session_15_to_180"),
    ],
)
def test_database_refuses_a_stage_dose_that_skips_validation(fields, constraint):
    protocol = factories.ProtocolFactory()
    with pytest.raises(IntegrityError) as excinfo, transaction.atomic():
        factories.ProtocolStageFactory(protocol=protocol, **fields)
    assert constraint in str(excinfo.value) or "CHECK" in str(excinfo.value).upper()


@pytest.mark.django_db
def test_two_stages_cannot_share_a_number():
    stage = factories.ProtocolStageFactory(order=1)
    duplicate = factories.ProtocolStageFactory.build(protocol=stage.protocol, order=1)
    with pytest.raises(ValidationError) as excinfo:
        duplicate.full_clean()
    assert "Two stages of a protocol cannot share a number." in excinfo.value.messages
    with pytest.raises(IntegrityError), transaction.atomic():
        duplicate.save()


@pytest.mark.django_db
def test_same_protocol_version_twice_is_refused():
    protocol = factories.ProtocolFactory()
    twin = factories.ProtocolFactory.build(
        condition=protocol.condition, name=protocol.name, version=1, author=protocol.author
    )
    with pytest.raises(ValidationError) as excinfo:
        twin.full_clean()
    assert "This protocol already has that version." in excinfo.value.messages


@pytest.mark.django_db
def test_publish_sets_status_and_date(protocol):
    assert protocol.status == Protocol.Status.PUBLISHED
    protocol.refresh_from_db()
    assert protocol.published_at is not None


@pytest.mark.django_db
def test_publishing_a_protocol_without_stages_is_refused(physician):
    draft = factories.ProtocolFactory(author=physician)
    with pytest.raises(ValidationError) as excinfo:
        services.publish_protocol(protocol=draft, by=physician)
    assert excinfo.value.code == "no_stages"
    draft.refresh_from_db()
    assert draft.status == Protocol.Status.DRAFT


@pytest.mark.django_db
def test_publishing_with_a_gap_in_stage_numbers_is_refused(physician):
    draft = factories.ProtocolFactory(author=physician)
    factories.ProtocolStageFactory(protocol=draft, order=1)
    factories.ProtocolStageFactory(protocol=draft, order=3)
    with pytest.raises(ValidationError) as excinfo:
        services.publish_protocol(protocol=draft, by=physician)
    assert excinfo.value.code == "stage_numbers_gap"


@pytest.mark.django_db
def test_published_protocol_cannot_be_changed(protocol):
    protocol.summary = "Changed after publishing"
    with pytest.raises(ValidationError) as excinfo:
        protocol.full_clean()
    assert excinfo.value.error_dict["__all__"][0].code == "protocol_not_editable"
    assert "cannot be changed; make a new version" in excinfo.value.messages[0]


@pytest.mark.django_db
def test_published_protocols_stages_cannot_be_changed(protocol):
    stage = protocol.stages.first()
    stage.pt_sessions_per_week = 1
    with pytest.raises(ValidationError) as excinfo:
        stage.full_clean()
    assert excinfo.value.error_dict["__all__"][0].code == "protocol_not_editable"


@pytest.mark.django_db
def test_stage_cannot_be_added_to_a_published_protocol(protocol):
    extra = factories.ProtocolStageFactory.build(protocol=protocol, order=9)
    with pytest.raises(ValidationError):
        extra.full_clean()


@pytest.mark.django_db
def test_save_draft_refuses_a_published_protocol(protocol, physician):
    with pytest.raises(ValidationError) as excinfo:
        services.save_protocol_draft(protocol=protocol, stages=[], author=physician)
    assert excinfo.value.code == "protocol_not_editable"
    assert protocol.stages.count() == 3


@pytest.mark.django_db
def test_new_version_is_an_editable_copy(protocol, other_physician):
    draft = protocol.new_version(author=other_physician)
    assert draft.version == 2
    assert draft.status == Protocol.Status.DRAFT
    assert draft.author == other_physician
    assert [s.mix for s in draft.stages.all()] == [s.mix for s in protocol.stages.all()]
    draft.summary = "Editable"
    draft.full_clean()
    protocol.refresh_from_db()
    assert protocol.status == Protocol.Status.PUBLISHED
    assert ProtocolStage.objects.filter(protocol=protocol).count() == 3


@pytest.mark.django_db
def test_new_version_numbers_after_the_latest(protocol, physician):
    second = protocol.new_version(author=physician)
    services.publish_protocol(protocol=second, by=physician)
    third = protocol.new_version(author=physician)
    assert third.version == 3


@pytest.mark.django_db
def test_new_version_refuses_a_second_draft_and_names_the_open_one(protocol, physician):
    draft = protocol.new_version(author=physician)
    with pytest.raises(ValidationError) as excinfo:
        protocol.new_version(author=physician)
    assert excinfo.value.code == "draft_exists"
    assert excinfo.value.params["draft_pk"] == draft.pk
    assert "Version 2 is already being drafted" in excinfo.value.messages[0]
    assert Protocol.objects.filter(name=protocol.name, status=Protocol.Status.DRAFT).count() == 1


@pytest.mark.django_db
def test_the_database_holds_one_draft_per_protocol(protocol, physician):
    protocol.new_version(author=physician)
    rival = Protocol(
        condition=protocol.condition,
        name=protocol.name,
        version=3,
        status=Protocol.Status.DRAFT,
        author=physician,
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        rival.save()


@pytest.mark.django_db
def test_new_version_is_made_from_a_published_version_only(physician):
    draft = factories.ProtocolFactory(author=physician)
    with pytest.raises(ValidationError) as excinfo:
        draft.new_version(author=physician)
    assert excinfo.value.code == "protocol_not_published"
    assert Protocol.objects.count() == 1


@pytest.mark.django_db
def test_retire_keeps_the_protocol_read_only(protocol, physician):
    services.retire_protocol(protocol=protocol, by=physician)
    protocol.refresh_from_db()
    assert protocol.status == Protocol.Status.RETIRED
    protocol.name = "Renamed"
    with pytest.raises(ValidationError):
        protocol.full_clean()


@pytest.mark.django_db
def test_only_a_published_protocol_can_be_retired(physician):
    draft = factories.ProtocolFactory(author=physician)
    with pytest.raises(ValidationError) as excinfo:
        services.retire_protocol(protocol=draft, by=physician)
    assert excinfo.value.code == "protocol_not_published"


@pytest.mark.django_db
def test_save_draft_numbers_stages_in_the_given_order(physician):
    protocol = factories.ProtocolFactory.build(
        condition=factories.ConditionFactory(), name="Back pain", author=physician
    )
    stage = factories.ProtocolStageFactory.build()
    first = {**stage.dose_fields(), "name": "Education", "pt_sessions_per_week": 2}
    second = {**stage.dose_fields(), "name": "Exercise", "pt_sessions_per_week": 3}
    services.save_protocol_draft(protocol=protocol, stages=[second, first], author=physician)
    assert [(s.order, s.name) for s in protocol.stages.all()] == [(1, "Exercise"), (2, "Education")]


@pytest.mark.django_db
def test_save_draft_with_a_bad_stage_saves_nothing(physician):
    protocol = factories.ProtocolFactory.build(
        condition=factories.ConditionFactory(), name="Back pain", author=physician
    )
    good = factories.ProtocolStageFactory.build().dose_fields()
    bad = {**good, "pt_sessions_per_week": 20}
    with pytest.raises(ValidationError) as excinfo:
        services.save_protocol_draft(protocol=protocol, stages=[good, bad], author=physician)
    assert "pt_sessions_per_week" in excinfo.value.message_dict
    assert not Protocol.objects.filter(name="Back pain").exists()
