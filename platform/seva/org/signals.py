"""The place tree and the holidays are cached by every process (seva.core.process_cache,
org.selectors): a saved or deleted row moves the shared generation so that none keeps a
stale copy."""

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from seva.core.process_cache import process_caches_changed

from .models import Holiday, Jurisdiction


@receiver(post_save, sender=Jurisdiction, dispatch_uid="org-jurisdiction-saved")
@receiver(post_delete, sender=Jurisdiction, dispatch_uid="org-jurisdiction-deleted")
@receiver(post_save, sender=Holiday, dispatch_uid="org-holiday-saved")
@receiver(post_delete, sender=Holiday, dispatch_uid="org-holiday-deleted")
def _org_changed(**_kwargs) -> None:
    process_caches_changed()
