"""Fees paid: the ledger of payments (online through a gateway, e-challans settled from the
bank's file, cash and UPI at the counter), refunds by rule and the daily reconciliation.
What a fee is, and when it falls due, is the definitions' (`fees:` in a service file) and the
application's (`applications.FeeDue`); this app records how it was paid."""
