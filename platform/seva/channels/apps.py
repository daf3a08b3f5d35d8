from django.apps import AppConfig


class ChannelsConfig(AppConfig):
    name = "seva.channels"
    label = "channels"
    verbose_name = "Channels (service centres)"

    def ready(self) -> None:
        from . import documents  # noqa: F401, PLC0415  (registers the counter's drafts as holding uploads)
