from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    name = "seva.payments"
    label = "payments"
    verbose_name = "Payments"
