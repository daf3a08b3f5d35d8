"""System check of the payment gateways in settings: each names a registered adapter and
gives what that adapter needs, under a key a payment can record."""

from __future__ import annotations

from django.conf import settings
from django.core.checks import Error, register

from .gateways import adapters

# Payment.gateway is a CharField(20); "counter" is the service centre's, never a gateway's.
GATEWAY_KEY_MAX_LENGTH = 20
RESERVED_KEYS = {"counter"}


@register("seva")
def payment_gateways_are_known(app_configs=None, **kwargs) -> list[Error]:
    errors: list[Error] = []
    gateways = getattr(settings, "SEVA_PAYMENT_GATEWAYS", {})
    if not isinstance(gateways, dict):
        return [Error("SEVA_PAYMENT_GATEWAYS must be a dict of gateways.", id="seva.E201")]
    for key, config in gateways.items():
        where = f"SEVA_PAYMENT_GATEWAYS[{key!r}]"
        if key in RESERVED_KEYS or not key or len(key) > GATEWAY_KEY_MAX_LENGTH:
            errors.append(
                Error(
                    f"{where}: a gateway's key is 1 to {GATEWAY_KEY_MAX_LENGTH} characters and "
                    f"not {', '.join(sorted(RESERVED_KEYS))} (the counter's).",
                    id="seva.E201",
                )
            )
        name = config.get("ADAPTER") if isinstance(config, dict) else None
        if not isinstance(name, str) or name not in adapters:
            errors.append(
                Error(
                    f"{where}: unknown adapter {name!r}.",
                    hint=f"Known adapters: {', '.join(adapters.names())}.",
                    id="seva.E201",
                )
            )
            continue
        missing = [k for k in adapters.get(name).required_settings if not config.get(k)]
        if missing:
            errors.append(
                Error(
                    f"{where}: the {name} adapter needs {', '.join(missing)}.",
                    hint="Set the gateway's variables in the environment (docs/payments.md).",
                    id="seva.E202",
                )
            )
    return errors
