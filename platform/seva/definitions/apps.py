from django.apps import AppConfig


class DefinitionsConfig(AppConfig):
    name = "seva.definitions"
    label = "definitions"
    verbose_name = "Service definitions"

    def ready(self) -> None:
        from . import checks  # noqa: F401, PLC0415  (registers the system checks)
