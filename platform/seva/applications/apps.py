from django.apps import AppConfig


class ApplicationsConfig(AppConfig):
    name = "seva.applications"
    label = "applications"
    verbose_name = "Applications"
