from django.apps import AppConfig


class DashboardsConfig(AppConfig):
    name = "seva.dashboards"
    label = "dashboards"
    verbose_name = "RTS dashboards"

    def ready(self) -> None:
        # Registers the rollups' listeners on applications' events, and the fee rollups'
        # on the payments ledger's.
        from . import fees, services  # noqa: F401, PLC0415
