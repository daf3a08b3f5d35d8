"""The levels of the state's place tree, from the top, named once: the organisation's
jurisdictions (`org.models.JurisdictionLevel`, checked against these by a test), the
definitions' checks, the form layer's place pickers and the service builder read them here."""

from __future__ import annotations

LEVELS = ("state", "division", "district", "subdivision", "tehsil", "village")
# An office that processes applications sits at any level but a village.
PROCESSING_LEVELS = LEVELS[:-1]
