from django.apps import AppConfig


class QueuesConfig(AppConfig):
    name = "seva.queues"
    label = "queues"
    verbose_name = "Officer workspace"
