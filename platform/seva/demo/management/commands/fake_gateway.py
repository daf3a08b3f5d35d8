"""The fake payment gateway and bank of the demo (seva.demo.fakegateway), on the address and
with the credentials the settings give Seva's own gateways, so that the two agree. `make run`
starts it in the background.

    python manage.py fake_gateway [--port 8765]
"""

from __future__ import annotations

import logging
import urllib.parse
from argparse import Namespace
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from seva.demo import fakegateway


def _configured(adapter: str) -> dict[str, Any]:
    """The first gateway of the settings that the fake plays: the online one, or the bank."""
    for config in settings.SEVA_PAYMENT_GATEWAYS.values():
        if config.get("ADAPTER") == adapter:
            return config
    return {}


def settings_defaults() -> dict[str, Any]:
    online = _configured("redirect_checksum")
    bank = _configured("bank_challan")
    defaults: dict[str, Any] = {}
    if online.get("URL"):
        address = urllib.parse.urlsplit(online["URL"])
        defaults["host"] = address.hostname or "127.0.0.1"
        defaults["port"] = address.port or fakegateway.DEFAULT_PORT
    for key, value in (
        ("merchant_id", online.get("MERCHANT_ID")),
        ("secret", online.get("SECRET")),
        ("bank_key", bank.get("BANK_KEY")),
    ):
        if value:
            defaults[key] = value
    return defaults


class Command(BaseCommand):
    help = (
        "Start the demo's fake payment gateway and e-challan bank on loopback, with the "
        "merchant id, secret and bank key of SEVA_PAYMENT_GATEWAYS (flags override them)."
    )

    def add_arguments(self, parser) -> None:
        fakegateway.add_arguments(parser, settings_defaults())

    def announce(self, line: str) -> None:
        # make run sends this to a file: written at once, not when the buffer fills.
        self.stdout.write(line)
        self.stdout.flush()

    def handle(self, *args, **options) -> None:
        logging.getLogger(fakegateway.__name__).setLevel(logging.INFO)
        try:
            fakegateway.serve(Namespace(**options), announce=self.announce)
        except OSError as failed:
            raise CommandError(
                f"The fake gateway could not listen on {options['host']}:{options['port']}: "
                f"{failed}. Is it running already? Give another --port (and SEVA_PAYMENT_URL)."
            ) from failed
