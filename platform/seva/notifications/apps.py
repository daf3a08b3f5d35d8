from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "seva.notifications"
    label = "notifications"
    verbose_name = "Notifications"

    def ready(self) -> None:
        # Registers the SMS values, the DLT check of SMS templates (both named in the
        # definitions' registries), the system checks of the SMS settings, and the outbox's
        # listeners on applications' events and citizens' sign-in codes.
        from . import checks, dlt, services, sms  # noqa: F401, PLC0415
