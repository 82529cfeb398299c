"""API tokens in admin: who has one, since when and how it ends, never the token.

A token is a password for the API; an admin who could read it could act as a
physician. Tokens are handed out to their owner by `POST /api/v1/auth/token/` and
by `manage.py api_token`, which also replaces a leaked one (`--reset`); a user
made inactive can no longer use theirs. So admin only lists them: a token's own
page and its delete page would show the token in their titles.
"""

from django.contrib import admin
from rest_framework.authtoken.admin import TokenAdmin
from rest_framework.authtoken.models import TokenProxy

admin.site.unregister(TokenProxy)


@admin.register(TokenProxy)
class ApiTokenAdmin(TokenAdmin):
    list_display = ["user", "created", "key_ending"]
    list_display_links = None
    list_select_related = ["user"]
    search_fields = ["user__username", "user__first_name", "user__last_name"]
    search_help_text = (
        "Username or name. A token is replaced with 'manage.py api_token <username> --reset'."
    )

    @admin.display(description="token ends with")
    def key_ending(self, obj) -> str:
        # Enough to tell two tokens apart when an integrator reads theirs out.
        return f"…{obj.key[-4:]}"

    def has_view_permission(self, request, obj=None):
        return obj is None and super().has_view_permission(request)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
