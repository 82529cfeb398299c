"""The API's own addresses: its index, an id that is not a number, an address it
does not have, and a final slash left off."""

import pytest
from django.urls import reverse
from rest_framework.authtoken.models import Token

from plans.models import TherapySession
from tests.api_clients import api_as, with_token

LISTS = ["patients", "conditions", "protocols", "plans", "sessions", "assessments", "goals"]


@pytest.mark.django_db
def test_the_api_index_names_every_list_and_the_documentation(physician):
    response = with_token(physician).get("/api/v1/")
    assert response.status_code == 200
    body = response.json()
    assert body["documentation"] == "http://testserver/api/v1/docs/"
    assert body["fhir"] == "http://testserver/fhir/metadata"
    assert {name: body[name] for name in LISTS} == {
        name: f"http://testserver/api/v1/{name}/" for name in LISTS
    }


@pytest.mark.django_db
def test_the_api_index_needs_a_signed_in_user(client):
    response = client.get("/api/v1/")
    assert response.status_code in (401, 403)
    assert response.json()["errors"][0]["code"] == "not_authenticated"


@pytest.mark.django_db
@pytest.mark.parametrize("name", [*LISTS, "patients/abc/diagnoses"])
def test_an_id_that_is_not_a_number_is_not_found(physician, name):
    path = f"/api/v1/{name}/abc/" if "/" not in name else f"/api/v1/{name}/"
    response = with_token(physician).get(path)
    assert response.status_code in (404, 405)
    assert response.json()["errors"][0]["code"] in ("not_found", "method_not_allowed")


@pytest.mark.django_db
def test_an_address_the_api_does_not_have_answers_in_its_error_shape(physician):
    response = with_token(physician).get("/api/v1/nothing/here/")
    assert response.status_code == 404
    [error] = response.json()["errors"]
    assert error["code"] == "not_found"
    assert "its documentation at /api/v1/docs/" in error["message"]


@pytest.mark.django_db
def test_a_final_slash_left_off_is_sent_on_keeping_the_method_and_body(plan, physiotherapist):
    client = with_token(physiotherapist)
    response = client.get("/api/v1/plans?page=1")
    assert response.status_code == 308
    assert response["Location"] == "/api/v1/plans/?page=1"
    body = {"plan": plan.pk, "date": plan.start_date.isoformat(), "duration_minutes": 45}
    response = client.post("/api/v1/sessions", body, format="json")
    assert response.status_code == 308
    assert response["Location"] == "/api/v1/sessions/"
    assert not TherapySession.objects.exists()
    response = client.post("/api/v1/sessions", body, format="json", follow=True)
    assert response.status_code == 201
    assert TherapySession.objects.get().duration_minutes == 45


@pytest.mark.django_db
def test_admin_lists_api_tokens_without_showing_them(client, superuser, physician):
    token = Token.objects.create(user=physician)
    client.force_login(superuser)
    listing = client.get(reverse("admin:authtoken_tokenproxy_changelist"))
    assert listing.status_code == 200
    text = listing.content.decode()
    assert "Dr. Anita Rao" in text or physician.username in text
    assert token.key not in text and f"…{token.key[-4:]}" in text
    # A token's own pages would name it in their titles: there are none.
    for view in ("change", "delete", "history"):
        address = reverse(f"admin:authtoken_tokenproxy_{view}", args=[physician.pk])
        response = client.get(address)
        assert response.status_code in (302, 403, 404)
        assert token.key not in response.content.decode()
    assert client.get(reverse("admin:authtoken_tokenproxy_add")).status_code == 403
    assert Token.objects.get(user=physician).key == token.key


@pytest.mark.django_db
def test_a_physician_finds_the_api_documentation_from_any_page(client, physician, front_desk):
    client.force_login(physician)
    assert 'href="/api/v1/docs/"' in client.get(reverse("home")).content.decode()
    client.force_login(front_desk)
    assert 'href="/api/v1/docs/"' not in client.get(reverse("home"), follow=True).content.decode()
    assert api_as(front_desk).get("/api/v1/").status_code == 200
