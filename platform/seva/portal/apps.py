from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "seva.portal"
    label = "portal"
    verbose_name = "Citizen portal"
