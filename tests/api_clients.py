"""API clients signed in as a user, for the REST API and FHIR tests."""

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
