"""The place tree, the holidays, the roles and who is posted where are cached by every
process (seva.core.process_cache, org.selectors, org.routing): a saved or deleted row moves
the shared generation so that none keeps a stale copy."""

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from seva.core.process_cache import process_caches_changed

from .models import Holiday, Jurisdiction, Leave, Posting, Role


@receiver(post_save, sender=Jurisdiction, dispatch_uid="org-jurisdiction-saved")
@receiver(post_delete, sender=Jurisdiction, dispatch_uid="org-jurisdiction-deleted")
@receiver(post_save, sender=Holiday, dispatch_uid="org-holiday-saved")
@receiver(post_delete, sender=Holiday, dispatch_uid="org-holiday-deleted")
@receiver(post_save, sender=Role, dispatch_uid="org-role-saved")
@receiver(post_delete, sender=Role, dispatch_uid="org-role-deleted")
@receiver(post_save, sender=Posting, dispatch_uid="org-posting-saved")
@receiver(post_delete, sender=Posting, dispatch_uid="org-posting-deleted")
@receiver(post_save, sender=Leave, dispatch_uid="org-leave-saved")
@receiver(post_delete, sender=Leave, dispatch_uid="org-leave-deleted")
def _org_changed(**_kwargs) -> None:
    process_caches_changed()
