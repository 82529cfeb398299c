"""REST API: protocols with their stages, written as drafts by physicians."""

import pytest

from plans.models import Protocol
from tests import factories
from tests.api_clients import api_as

PROTOCOLS = "/api/v1/protocols/"


def stage(name="Early mobilisation", pt=6, ot=2, **changes) -> dict:
    return {
        "name": name,
        "goal": "Sit, stand and walk safely.",
        "typical_weeks": 2,
        "pt_sessions_per_week": pt,
        "ot_sessions_per_week": ot,
        "pt_minutes_per_session": 45,
        "ot_minutes_per_session": 45,
        "pt_focus_areas": ["standing", "walking"],
        "ot_focus_areas": ["safe transfers"],
        "exit_criteria": "Sits unsupported.",
        **changes,
    }


def draft_data(condition, **changes) -> dict:
    return {
        "condition": condition.pk,
        "name": "Stroke pathway",
        "summary": "Neuro rehab after stroke.",
        "stages": [stage(), stage("Daily living", pt=3, ot=5)],
        **changes,
    }


def error_fields(response) -> dict:
    return {item["field"]: item["code"] for item in response.json()["errors"]}


@pytest.mark.django_db
def test_physician_writes_a_draft_with_stages(physician):
    condition = factories.ConditionFactory()
    response = api_as(physician).post(PROTOCOLS, draft_data(condition), format="json")
    assert response.status_code == 201, response.json()
    protocol = Protocol.objects.get(pk=response.json()["id"])
    assert (protocol.status, protocol.version, protocol.author) == ("draft", 1, physician)
    stages = list(protocol.stages.order_by("order"))
    assert [(s.order, s.pt_sessions_per_week, s.ot_sessions_per_week) for s in stages] == [
        (1, 6, 2),
        (2, 3, 5),
    ]
    assert stages[0].pt_focus_areas == "standing\nwalking"
    assert response.json()["stages"][0]["pt_focus_areas"] == ["standing", "walking"]


@pytest.mark.django_db
def test_a_stage_refusal_names_the_stage_and_field(physician):
    condition = factories.ConditionFactory()
    data = draft_data(condition, stages=[stage(), stage("Empty", pt=0, ot=0)])
    response = api_as(physician).post(PROTOCOLS, data, format="json")
    assert response.status_code == 400
    assert response.json()["errors"] == [
        {
            "field": "stages.1.pt_sessions_per_week",
            "code": "no_sessions",
            "message": "A stage needs at least one PT or OT session a week.",
        }
    ]
    assert not Protocol.objects.exists()


@pytest.mark.django_db
def test_too_many_sessions_and_no_stages_are_refused(physician):
    condition = factories.ConditionFactory()
    data = draft_data(condition, stages=[stage(pt=15)])
    response = api_as(physician).post(PROTOCOLS, data, format="json")
    assert error_fields(response) == {"stages.0.pt_sessions_per_week": "max_value"}
    response = api_as(physician).post(PROTOCOLS, draft_data(condition, stages=[]), format="json")
    assert error_fields(response) == {"stages": "no_stages"}
    assert not Protocol.objects.exists()


@pytest.mark.django_db
def test_a_clashing_version_is_refused_on_the_name(physician, protocol):
    data = draft_data(protocol.condition, name=protocol.name)
    response = api_as(physician).post(PROTOCOLS, data, format="json")
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "name"
    assert Protocol.objects.count() == 1


@pytest.mark.django_db
def test_therapist_reads_published_but_not_drafts_and_cannot_write(physiotherapist, protocol):
    draft = factories.ProtocolStageFactory().protocol
    client = api_as(physiotherapist)
    body = client.get(PROTOCOLS).json()
    assert [row["id"] for row in body["results"]] == [protocol.pk]
    assert len(body["results"][0]["stages"]) == 3
    assert client.get(f"{PROTOCOLS}{draft.pk}/").status_code == 403
    response = client.post(PROTOCOLS, draft_data(protocol.condition), format="json")
    assert response.status_code == 403
    assert Protocol.objects.count() == 2


@pytest.mark.django_db
def test_front_desk_has_no_part_in_protocols(front_desk, protocol):
    response = api_as(front_desk).get(PROTOCOLS)
    assert response.status_code == 403
    assert api_as(front_desk).get(f"{PROTOCOLS}{protocol.pk}/").status_code == 403


@pytest.mark.django_db
def test_editing_a_draft_replaces_its_stages(physician):
    draft = factories.ProtocolStageFactory().protocol
    url = f"{PROTOCOLS}{draft.pk}/"
    response = api_as(physician).patch(url, {"summary": "Changed."}, format="json")
    assert response.status_code == 200
    draft.refresh_from_db()
    assert draft.summary == "Changed." and draft.stages.count() == 1
    response = api_as(physician).patch(
        url, {"stages": [stage("A"), stage("B"), stage("C")]}, format="json"
    )
    assert response.status_code == 200
    assert list(draft.stages.order_by("order").values_list("name", flat=True)) == ["A", "B", "C"]


@pytest.mark.django_db
def test_a_published_protocol_is_read_only(physician, protocol):
    url = f"{PROTOCOLS}{protocol.pk}/"
    response = api_as(physician).patch(url, {"summary": "Changed."}, format="json")
    assert response.status_code == 400
    assert error_fields(response) == {None: "protocol_not_editable"}
    protocol.refresh_from_db()
    assert protocol.summary == "Illustrative protocol for tests."


@pytest.mark.django_db
def test_publish_new_version_and_retire(physician, protocol):
    client = api_as(physician)
    response = client.post(f"{PROTOCOLS}{protocol.pk}/new-version/")
    assert response.status_code == 201
    draft = Protocol.objects.get(pk=response.json()["id"])
    assert (draft.version, draft.status, draft.stages.count()) == (2, "draft", 3)
    again = client.post(f"{PROTOCOLS}{protocol.pk}/new-version/")
    assert again.status_code == 400
    assert error_fields(again) == {None: "draft_exists"}
    response = client.post(f"{PROTOCOLS}{draft.pk}/publish/")
    assert response.status_code == 200
    assert response.json()["status"] == "published"
    response = client.post(f"{PROTOCOLS}{protocol.pk}/retire/")
    assert response.status_code == 200
    protocol.refresh_from_db()
    assert protocol.status == "retired"
    response = client.post(f"{PROTOCOLS}{protocol.pk}/publish/")
    assert response.status_code == 400
    assert error_fields(response) == {None: "protocol_not_draft"}


@pytest.mark.django_db
def test_therapist_cannot_publish(physiotherapist, physician):
    draft = factories.ProtocolStageFactory().protocol
    response = api_as(physiotherapist).post(f"{PROTOCOLS}{draft.pk}/publish/")
    assert response.status_code == 403
    draft.refresh_from_db()
    assert draft.status == "draft"


@pytest.mark.django_db
def test_protocols_are_never_deleted_and_publish_is_post_only(physician, protocol):
    client = api_as(physician)
    assert client.delete(f"{PROTOCOLS}{protocol.pk}/").status_code == 405
    assert client.get(f"{PROTOCOLS}{protocol.pk}/publish/").status_code == 405
    assert Protocol.objects.filter(pk=protocol.pk).exists()


@pytest.mark.django_db
def test_protocol_filters(physician, protocol):
    factories.ProtocolStageFactory()
    client = api_as(physician)
    body = client.get(PROTOCOLS, {"status": "draft"}).json()
    assert body["count"] == 1 and body["results"][0]["status"] == "draft"
    body = client.get(PROTOCOLS, {"status": "published"}).json()
    assert [row["id"] for row in body["results"]] == [protocol.pk]
