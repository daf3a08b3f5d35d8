"""Guards: named checks a workflow can put on an action, for rules that are not about the
form's data (those go in `when`). A guard returns None to allow, or the reason it refuses."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext as _

from seva.core.registry import Registry

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser

    from seva.applications.models import Application

Guard = Callable[["Application", "AbstractBaseUser", dict[str, Any]], str | None]

GUARDS: Registry[Guard] = Registry("guard")


@GUARDS.register("not_own_application")
def not_own_application(application, actor, inputs) -> str | None:
    """An officer may not decide an application they filed themselves."""
    if application.applicant_id is not None and application.applicant_id == actor.pk:
        return _("You cannot decide an application you filed yourself.")
    return None
