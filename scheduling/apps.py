from django.apps import AppConfig


class SchedulingConfig(AppConfig):
    name = "scheduling"
    verbose_name = "Timetable"

    def ready(self) -> None:
        # The timetable follows the plan: it listens, plans never import it.
        from scheduling import receivers  # noqa: F401
