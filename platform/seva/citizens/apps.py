from django.apps import AppConfig


class CitizensConfig(AppConfig):
    name = "seva.citizens"
    label = "citizens"
    verbose_name = "Citizens"
