from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "seva.notifications"
    label = "notifications"
    verbose_name = "Notifications"
