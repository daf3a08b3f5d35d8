"""Refusals particular to applications, beside those of seva.core.errors."""

from __future__ import annotations

from django.utils.translation import gettext as _

from seva.core.errors import ActionNotAllowed, Conflict


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


class FeeAlreadyPaid(Conflict):
    """The fee was paid already (by another payment, a moment ago): it is never paid twice."""

    def __init__(self, *, reference: str, fee: str, receipt: str) -> None:
        self.reference = reference
        self.receipt = receipt
        super().__init__(
            _("%(fee)s on %(ref)s is paid already (receipt %(receipt)s).")
            % {"fee": fee, "ref": reference, "receipt": receipt or "-"}
        )


class FeeNotDue(ActionNotAllowed):
    """The fee is not due any more: it lapsed unpaid, the file moved on without it or was
    closed (withdrawn, say). A payment for it must be given back."""

    def __init__(self, *, reference: str, fee: str, why: str) -> None:
        self.reference = reference
        super().__init__(
            _("%(fee)s on %(ref)s is not due any more: %(why)s")
            % {"fee": fee, "ref": reference, "why": why}
        )
