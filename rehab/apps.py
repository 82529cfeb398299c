from django.apps import AppConfig


class RehabConfig(AppConfig):
    name = "rehab"
    verbose_name = "Clinic staff"

    def ready(self):
        from django.contrib.auth.signals import user_logged_in

        from rehab import security

        user_logged_in.connect(security.start_idle_clock, dispatch_uid="rehab_start_idle_clock")
