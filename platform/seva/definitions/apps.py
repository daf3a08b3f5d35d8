from django.apps import AppConfig


class DefinitionsConfig(AppConfig):
    name = "seva.definitions"
    label = "definitions"
    verbose_name = "Service definitions"
