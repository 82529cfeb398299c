"""The four clinic roles as groups, with their model permissions.

Object-level rules (a therapist sees only the plans they are allocated to) live in
each app's access helpers; these are the coarse model permissions Django admin and
`has_perm` read. The data migration and `seed_demo` both call `sync_roles`, so a
database whose groups were emptied (a test flush, an over-eager admin) gets them back.
"""

from django.apps import apps as global_apps
from django.contrib.auth.management import create_permissions

VIEW, ADD, CHANGE = "view", "add", "change"

ROLE_PERMISSIONS = {
    "Rehab physician": {
        "patients": {
            "condition": [VIEW, ADD, CHANGE],
            "patient": [VIEW, ADD, CHANGE],
            "diagnosis": [VIEW, ADD, CHANGE],
        },
        "plans": {
            "protocol": [VIEW, ADD, CHANGE],
            "protocolstage": [VIEW, ADD, CHANGE],
            "rehabplan": [VIEW, ADD, CHANGE],
            "planstage": [VIEW, CHANGE],
            "sessionallocation": [VIEW, CHANGE],
            "stagemixchange": [VIEW],
            "stagetransition": [VIEW],
            "therapysession": [VIEW, CHANGE],
        },
    },
    "Physiotherapist": {
        "patients": {"condition": [VIEW], "patient": [VIEW], "diagnosis": [VIEW]},
        "plans": {
            "protocol": [VIEW],
            "protocolstage": [VIEW],
            "rehabplan": [VIEW],
            "planstage": [VIEW],
            "sessionallocation": [VIEW],
            "therapysession": [VIEW, ADD, CHANGE],
        },
    },
    "Front desk": {
        "patients": {
            "condition": [VIEW],
            "patient": [VIEW, ADD, CHANGE],
            "diagnosis": [VIEW, ADD, CHANGE],
        },
        "plans": {"rehabplan": [VIEW]},
    },
}
# Both therapist roles work the same way; only their discipline differs.
ROLE_PERMISSIONS["Occupational therapist"] = ROLE_PERMISSIONS["Physiotherapist"]


def sync_roles(apps=global_apps) -> None:
    """Create or update the role groups and their permissions."""
    # Permissions are normally made after all migrations; roles need them now.
    for app_label in ("patients", "plans"):
        app_config = apps.get_app_config(app_label)
        if getattr(app_config, "models_module", None):
            create_permissions(app_config, apps=apps, verbosity=0)
        else:  # a migration's historical app: create_permissions wants a models module
            app_config.models_module = True
            create_permissions(app_config, apps=apps, verbosity=0)
            app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for role, by_app in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=role)
        codenames = [
            (app_label, f"{action}_{model}")
            for app_label, models in by_app.items()
            for model, actions in models.items()
            for action in actions
        ]
        permissions = [
            Permission.objects.get(content_type__app_label=app_label, codename=codename)
            for app_label, codename in codenames
        ]
        group.permissions.set(permissions)
