from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "seva.notifications"
    label = "notifications"
    verbose_name = "Notifications"

    def ready(self) -> None:
        # Registers the SMS values, the DLT check of SMS templates (both named in the
        # definitions' registries) and the system checks of the SMS settings.
        from . import checks, dlt, sms  # noqa: F401
