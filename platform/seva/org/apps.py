from django.apps import AppConfig


class OrgConfig(AppConfig):
    name = "seva.org"
    label = "org"
    verbose_name = "Organisation"
