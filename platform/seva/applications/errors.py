"""Refusals particular to applications, beside those of seva.core.errors."""

from __future__ import annotations

from django.utils.translation import gettext as _

from seva.core.errors import Conflict


class DraftAlreadySent(Conflict):
    """A draft (a citizen's, or a service centre's) was sent by another request a moment ago
    (a second tap on "Send"): `reference` is the application that request made, or
    corrected."""

    def __init__(self, reference: str) -> None:
        self.reference = reference
        super().__init__(
            _("This application was already sent. Its reference number is %(ref)s.")
            % {"ref": reference}
        )
