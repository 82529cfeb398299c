from django.contrib import admin, messages
from django.contrib.auth.admin import GroupAdmin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.models import Group
from django.shortcuts import redirect
from django.urls import reverse
from simple_history.admin import SimpleHistoryAdmin

from rehab.models import Role, User

NEVER_DELETED_MESSAGE = (
    "Clinical records are never deleted, so their history stays complete. Nothing was deleted."
)


class NeverDeletedAdmin(admin.ModelAdmin):
    """No delete: refused for everyone (superusers included) with a message on the
    record's page; `never_deleted_message` says what to do instead. (Django's own
    refusal would tell a superuser they lack a permission.)"""

    never_deleted_message = NEVER_DELETED_MESSAGE

    def has_delete_permission(self, request, obj=None):
        return False

    def delete_view(self, request, object_id, extra_context=None):
        self.message_user(request, self.never_deleted_message, messages.ERROR)
        opts = self.model._meta
        return redirect(
            reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[object_id])
        )


class ClinicalRecordAdmin(NeverDeletedAdmin, SimpleHistoryAdmin):
    """Admin for a clinical record: a History button, and no delete."""


@admin.register(User)
class UserAdmin(NeverDeletedAdmin, DjangoUserAdmin):
    never_deleted_message = (
        "Staff are never deleted: their names stay on the records they made. To stop "
        "someone signing in, untick 'Active' and save."
    )
    list_display = ["username", "display_name", "role_label", "email", "is_active", "is_staff"]
    list_filter = ["groups", "is_active", "is_staff", "is_superuser"]
    search_fields = ["username", "first_name", "last_name", "email"]
    fieldsets = [
        *DjangoUserAdmin.fieldsets,
        ("Clinic", {"fields": ["title", "phone"]}),
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("groups")

    def get_search_results(self, request, queryset, search_term):
        """A staff picker offers only those who fit it: a therapist field the
        therapists of the discipline's roles, a physician field physicians."""
        queryset, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        roles = STAFF_PICKERS.get(request.GET.get("field_name", ""))
        if roles and request.path.endswith("/autocomplete/"):
            queryset = queryset.filter(groups__name__in=roles, is_active=True)
            may_have_duplicates = True
        return queryset, may_have_duplicates

    @admin.display(description="role")
    def role_label(self, obj):
        return obj.role_label


# Staff pickers in admin (the field's name) and the roles they offer.
STAFF_PICKERS = {
    "therapist": [Role.PHYSIOTHERAPIST, Role.OCCUPATIONAL_THERAPIST],
    "lead_physician": [Role.PHYSICIAN],
}


admin.site.unregister(Group)


@admin.register(Group)
class RoleGroupAdmin(GroupAdmin):
    """The clinic's roles are groups: deleting one would silently take their role
    from every member, so those stay; other groups behave as usual."""

    def has_delete_permission(self, request, obj=None):
        if obj is not None and obj.name in Role.values:
            return False
        return super().has_delete_permission(request, obj)
