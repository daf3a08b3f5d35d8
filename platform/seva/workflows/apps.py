from django.apps import AppConfig


class WorkflowsConfig(AppConfig):
    name = "seva.workflows"
    label = "workflows"
    verbose_name = "Workflows"

    def ready(self) -> None:
        from . import guards  # noqa: F401, PLC0415  (fills the guard registry)
