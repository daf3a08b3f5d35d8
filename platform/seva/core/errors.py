"""Domain errors. Views and the API turn these into answers; services raise them."""

from collections.abc import Mapping, Sequence

from django.utils.translation import gettext_lazy as _


class SevaError(Exception):
    """Base of every error the domain raises on purpose."""

    default_message = _("The request could not be completed.")

    def __init__(self, message: str | None = None) -> None:
        self.message = message or self.default_message
        super().__init__(self.message)


class ValidationFailed(SevaError):
    """Input was refused. `errors` maps a field path (dotted, e.g. `family.0.age`) to messages."""

    default_message = _("Some of the information given is not valid.")

    def __init__(self, errors: Mapping[str, Sequence[str]], message: str | None = None) -> None:
        self.errors = {key: list(value) for key, value in errors.items()}
        super().__init__(message)


class NotFound(SevaError):
    """Missing, or not visible to the caller: the two answer the same, so nothing leaks."""

    default_message = _("Not found.")


class ActionNotAllowed(SevaError):
    """The caller may see the application but may not take this action now."""

    default_message = _("This action is not allowed.")


class Conflict(SevaError):
    """Someone else changed the record first; the caller should reload and decide again."""

    default_message = _("The application was changed by someone else. Reload it and try again.")
