"""API clients signed in as a user, for the REST API and FHIR tests, and what
their lists must do."""

from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient


def api_as(user) -> APIClient:
    """Signed in with the web session, as the browsable API and the web pages are."""
    client = APIClient()
    client.force_login(user)
    return client


def with_token(user) -> APIClient:
    """Signed in with the user's token, as another system calls the API."""
    client = APIClient()
    token, _ = Token.objects.get_or_create(user=user)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


def assert_pages_by_cursor_without_counting(client, url: str, newest_first: list) -> None:
    """Five rows, `newest_first`, listed two a page: no count is asked of the
    database, and the `next` and `previous` links walk the pages in order."""
    ids = [row.pk for row in newest_first]
    client.get(url)
    with CaptureQueriesContext(connection) as captured:
        first = client.get(url, {"page_size": 2}).json()
    assert not any("COUNT(" in query["sql"].upper() for query in captured.captured_queries)
    assert "count" not in first and first["previous"] is None
    assert [r["id"] for r in first["results"]] == ids[0:2]
    second = client.get(first["next"]).json()
    assert [r["id"] for r in second["results"]] == ids[2:4]
    third = client.get(second["next"]).json()
    assert [r["id"] for r in third["results"]] == ids[4:5]
    assert third["next"] is None
    back = client.get(third["previous"]).json()
    assert [r["id"] for r in back["results"]] == ids[2:4]
