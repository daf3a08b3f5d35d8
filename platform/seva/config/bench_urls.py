"""The submission benchmark's server: Seva's own URLs and the bare endpoint it is compared
with (settings.bench)."""

from django.urls import path

from seva.demo.benchmarks.submissions import bare_insert

from .urls import urlpatterns as seva_urlpatterns

urlpatterns = [path("bench/bare/", bare_insert, name="bench-bare"), *seva_urlpatterns]
