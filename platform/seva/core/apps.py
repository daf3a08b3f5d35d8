from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "seva.core"
    label = "core"
    verbose_name = "Seva core"

    def ready(self) -> None:
        from . import checks  # noqa: F401  (registers the system checks)
