from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "seva.core"
    label = "core"
    verbose_name = "Seva core"
