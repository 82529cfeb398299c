"""Exchange a username and password for the user's API token."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.authtoken.views import ObtainAuthToken

from interop.errors import ErrorResponseSerializer


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField(read_only=True)


class ObtainToken(ObtainAuthToken):
    """POST username and password; the answer is the token to send as
    `Authorization: Token <token>`. The same token every time until it is reset
    (`manage.py api_token <username> --reset`)."""

    @extend_schema(responses={200: TokenSerializer, 400: ErrorResponseSerializer})
    def post(self, request, *args, **kwargs):
        return super().post(request, *args, **kwargs)
