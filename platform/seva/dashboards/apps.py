from django.apps import AppConfig


class DashboardsConfig(AppConfig):
    name = "seva.dashboards"
    label = "dashboards"
    verbose_name = "RTS dashboards"
