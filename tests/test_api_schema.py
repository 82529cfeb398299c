"""The OpenAPI schema, its documentation page and API tokens."""

import io
import json

import pytest
import yaml
from django.core.management import CommandError, call_command
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from plans.models import TherapySession

SCHEMA = "/api/v1/schema/"
DOCS = "/api/v1/docs/"
TOKEN = "/api/v1/auth/token/"
WRITE_METHODS = {"post", "put", "patch"}
# Actions whose whole request is the URL.
NO_BODY = {"/publish/", "/retire/", "/new-version/"}


def generated_schema(tmp_path) -> dict:
    target = tmp_path / "schema.json"
    call_command(
        "spectacular", "--validate", "--fail-on-warn", "--format", "openapi-json",
        "--file", str(target),
    )  # fmt: skip
    return json.loads(target.read_text())


@pytest.mark.django_db
def test_schema_generates_and_validates_without_warnings(tmp_path):
    schema = generated_schema(tmp_path)
    assert schema["openapi"].startswith("3.")
    paths = schema["paths"]
    for expected in (
        "/api/v1/patients/",
        "/api/v1/conditions/",
        "/api/v1/protocols/",
        "/api/v1/plans/{id}/",
        "/api/v1/sessions/",
        "/api/v1/auth/token/",
    ):
        assert expected in paths
    assert not any(path.startswith("/fhir/") for path in paths)


@pytest.mark.django_db
def test_every_endpoint_has_request_and_response_types(tmp_path):
    schema = generated_schema(tmp_path)
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            success = [code for code in operation["responses"] if code.startswith("2")]
            assert success, f"{method} {path} has no success response"
            assert all("content" in operation["responses"][code] for code in success), (
                f"{method} {path} has an untyped success response"
            )
            if method in WRITE_METHODS and not any(part in path for part in NO_BODY):
                assert "requestBody" in operation, f"{method} {path} has no request type"
            if path != "/api/v1/auth/token/":
                assert {"401", "403"} <= set(operation["responses"]), f"{method} {path}"


@pytest.mark.django_db
def test_schema_is_served_to_a_signed_in_client_only(physician):
    assert APIClient().get(SCHEMA).status_code == 401
    client = APIClient()
    client.force_login(physician)
    response = client.get(SCHEMA)
    assert response.status_code == 200
    schema = yaml.safe_load(response.content)
    assert schema["info"]["title"] == "Rehab plans API"


@pytest.mark.django_db
def test_docs_page_is_served_locally_and_needs_sign_in(client, physician):
    response = client.get(DOCS)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    client.force_login(physician)
    response = client.get(DOCS)
    assert response.status_code == 200
    page = response.content.decode()
    assert "swagger-ui" in page
    assert "cdn" not in page.lower()
    assert "/static/drf_spectacular_sidecar/" in page


@pytest.mark.django_db
def test_api_token_command_prints_and_resets_a_token(physiotherapist):
    out = io.StringIO()
    call_command("api_token", "pt.sharma", stdout=out)
    first = out.getvalue().strip()
    assert Token.objects.get(user=physiotherapist).key == first
    out = io.StringIO()
    call_command("api_token", "pt.sharma", stdout=out)
    assert out.getvalue().strip() == first
    out = io.StringIO()
    call_command("api_token", "pt.sharma", "--reset", stdout=out)
    assert out.getvalue().strip() != first
    assert Token.objects.filter(user=physiotherapist).count() == 1
    with pytest.raises(CommandError, match="No staff member"):
        call_command("api_token", "nobody")


@pytest.mark.django_db
def test_token_endpoint_exchanges_a_password_for_the_token(physiotherapist):
    response = APIClient().post(
        TOKEN, {"username": "pt.sharma", "password": "pw-for-tests"}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["token"] == Token.objects.get(user=physiotherapist).key
    wrong = APIClient().post(TOKEN, {"username": "pt.sharma", "password": "nope"}, format="json")
    assert wrong.status_code == 400
    assert wrong.json()["errors"][0]["code"] == "authorization"
    assert Token.objects.filter(user=physiotherapist).count() == 1


@pytest.mark.django_db
def test_a_client_that_knows_only_the_schema_lists_plans_and_logs_a_session(
    tmp_path, physician, physiotherapist, plan
):
    """The issue's "done when": operations found by their id in the schema."""
    schema = generated_schema(tmp_path)
    by_operation = {
        operation["operationId"]: (path, method)
        for path, operations in schema["paths"].items()
        for method, operation in operations.items()
    }
    token_path, _ = by_operation["auth_token_create"]
    plans_path, _ = by_operation["plans_list"]
    sessions_path, method = by_operation["sessions_create"]
    required = schema["components"]["schemas"]["TherapySessionRequest"]["required"]
    assert set(required) == {"plan", "date", "duration_minutes"}

    def token_for(username):
        response = APIClient().post(
            token_path, {"username": username, "password": "pw-for-tests"}, format="json"
        )
        return {"HTTP_AUTHORIZATION": f"Token {response.json()['token']}"}

    plans = APIClient().get(plans_path, **token_for("dr.rao")).json()
    assert [row["id"] for row in plans["results"]] == [plan.pk]
    body = {"plan": plan.pk, "date": timezone.localdate().isoformat(), "duration_minutes": 40}
    response = getattr(APIClient(), method)(
        sessions_path, body, format="json", **token_for("pt.sharma")
    )
    assert response.status_code == 201
    assert TherapySession.objects.get().duration_minutes == 40
