"""Every process caches which theme and name each host's Wagtail Site has (portal.themes):
a saved or deleted Site or SiteTheme moves the shared generation (seva.core.process_cache)."""

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from wagtail.models import Site

from seva.core.process_cache import process_caches_changed

from .models import SiteTheme


@receiver(post_save, sender=Site, dispatch_uid="portal-site-saved")
@receiver(post_delete, sender=Site, dispatch_uid="portal-site-deleted")
@receiver(post_save, sender=SiteTheme, dispatch_uid="portal-theme-saved")
@receiver(post_delete, sender=SiteTheme, dispatch_uid="portal-theme-deleted")
def _site_changed(**_kwargs) -> None:
    process_caches_changed()
