from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "seva.accounts"
    label = "accounts"
    verbose_name = "Staff sign-in (second factor)"

    def ready(self) -> None:
        from . import checks  # noqa: F401, PLC0415  (registers the system check of the SMS templates)
