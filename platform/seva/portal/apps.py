from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "seva.portal"
    label = "portal"
    verbose_name = "Citizen portal"

    def ready(self) -> None:
        # Registers the pages' listener: they follow the services the definitions offer.
        # A changed Site or theme reaches every process's cache of them.
        from . import pages, signals  # noqa: F401, PLC0415
