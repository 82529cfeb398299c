from django.apps import AppConfig


class AuditConfig(AppConfig):
    """Audit history pages, backups and the checks that keep clinical records safe."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "audit"
    verbose_name = "Audit and backups"
