from django.apps import AppConfig


class QueuesConfig(AppConfig):
    name = "seva.queues"
    label = "queues"
    verbose_name = "Officer workspace"

    def ready(self) -> None:
        from .wagtail_csp import choosers_without_inline_script  # noqa: PLC0415 (needs the app registry)

        choosers_without_inline_script()
