from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    name = "seva.payments"
    label = "payments"
    verbose_name = "Payments"

    def ready(self) -> None:
        from . import checks  # noqa: F401, PLC0415  (registers the check of the payment gateways)
