from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.shortcuts import redirect
from django.urls import reverse
from simple_history.admin import SimpleHistoryAdmin

from rehab.models import User

NEVER_DELETED_MESSAGE = (
    "Clinical records are never deleted, so their history stays complete. Nothing was deleted."
)


class ClinicalRecordAdmin(SimpleHistoryAdmin):
    """Admin for a clinical record: a History button, and no delete.

    Delete is refused for everyone (superusers included) with a message on the
    record's page; `never_deleted_message` says what to do instead.
    """

    never_deleted_message = NEVER_DELETED_MESSAGE

    def has_delete_permission(self, request, obj=None):
        return False

    def delete_view(self, request, object_id, extra_context=None):
        self.message_user(request, self.never_deleted_message, messages.ERROR)
        opts = self.model._meta
        return redirect(
            reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[object_id])
        )


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    list_display = ["username", "display_name", "role_label", "email", "is_active", "is_staff"]
    list_filter = ["groups", "is_active", "is_staff", "is_superuser"]
    search_fields = ["username", "first_name", "last_name", "email"]
    fieldsets = [
        *DjangoUserAdmin.fieldsets,
        ("Clinic", {"fields": ["title", "phone"]}),
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("groups")

    @admin.display(description="role")
    def role_label(self, obj):
        return obj.role_label
