from django.apps import AppConfig


class ApplicationsConfig(AppConfig):
    name = "seva.applications"
    label = "applications"
    verbose_name = "Applications"

    def ready(self) -> None:
        # Registers the listener that recomputes deadlines when the holidays change.
        from . import tasks  # noqa: F401, PLC0415
