"""A URLconf with a view that fails, for tests/config/test_sentry.py (never in the product)."""

from django.http import HttpRequest, HttpResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt


@csrf_exempt  # a form without a token, so that the view itself is reached
def fails(request: HttpRequest) -> HttpResponse:
    mobile = request.POST.get("mobile", "")
    raise RuntimeError(f"could not file the application for {mobile}")


urlpatterns = [path("fails/", fails)]
