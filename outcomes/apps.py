from django.apps import AppConfig


class OutcomesConfig(AppConfig):
    name = "outcomes"
    verbose_name = "Outcome measures and goals"

    def ready(self) -> None:
        from outcomes import receivers  # noqa: F401  (connects the signal receivers)
