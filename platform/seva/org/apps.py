from django.apps import AppConfig


class OrgConfig(AppConfig):
    name = "seva.org"
    label = "org"
    verbose_name = "Organisation"

    def ready(self) -> None:
        # Registers the jurisdiction tree as the form layer's source of places.
        # Changes to places and holidays reach every process's caches of them.
        from . import places, signals  # noqa: F401, PLC0415
