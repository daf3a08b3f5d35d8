"""What happens to money, told to the floors above through listeners (seva.core.listeners):
the board's fee rollups are kept from these, in the transaction that made the change."""

from __future__ import annotations

from typing import TYPE_CHECKING

from seva.core.listeners import Listeners

if TYPE_CHECKING:
    from .models import Payment, Refund

# Money received on a payment (paid, held for review, paid twice or for a fee no longer due).
settled: Listeners[Payment] = Listeners("payment settled")
# A refund paid back (by the gateway, or marked paid by the office).
refunded: Listeners[Refund] = Listeners("refund paid")
