from django.apps import AppConfig


class ChannelsConfig(AppConfig):
    name = "seva.channels"
    label = "channels"
    verbose_name = "Channels (service centres)"
