from csp.decorators import csp_update
from django.apps import apps
from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from wagtail import urls as wagtail_urls
from wagtail.admin import urls as wagtailadmin_urls

from seva.accounts import urls as accounts_urls
from seva.accounts import views as accounts_views
from seva.api import views as api_views

from . import health, metrics

urlpatterns = [
    # For load balancers: the process answers; it can serve (seva.config.health).
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    # For Prometheus, with its bearer token; a 404 to anyone else (seva.config.metrics).
    path("metrics", metrics.metrics, name="metrics"),
    # Staff sign-in is Seva's own (password, then the second factor), ahead of the Wagtail
    # admin's and the Django admin's, which would sign in on the password alone.
    path(
        "admin/login/",
        include((accounts_urls.sign_in_urlpatterns, "accounts"), namespace="accounts"),
    ),
    path(
        "django-admin/login/",
        accounts_views.django_admin_sign_in_view,
        name="django-admin-sign-in",
    ),
    path("django-admin/", admin.site.urls),
    path("admin/", include(wagtailadmin_urls)),
    path("api/v1/", include("seva.api.urls")),
    # The API's OpenAPI description, and Swagger UI on it (assets from drf-spectacular-sidecar).
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # Swagger UI draws its icons as data: images; only this page's policy allows them.
    path(
        "api/docs/",
        csp_update({"img-src": ["data:"]})(
            SpectacularSwaggerView.as_view(
                url_name="api-schema", template_name="api/swagger_ui.html"
            )
        ),
        name="api-docs",
    ),
    path("", include("seva.portal.urls")),
]

# The demo SMS box, where the demo app is installed (not in production).
if apps.is_installed("seva.demo"):
    urlpatterns.insert(-1, path("", include("seva.demo.urls")))

if settings.DEBUG:
    from django.conf.urls.static import static
    from django.contrib.staticfiles.urls import staticfiles_urlpatterns

    urlpatterns += staticfiles_urlpatterns()
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)

# Wagtail serves every page that no rule above claims; keep it last.
urlpatterns += [path("", include(wagtail_urls))]

# A path under /api/ that nothing answers gets the API's JSON 404, any other the site's page.
handler404 = api_views.page_not_found
# Input no view can use, or a body too large: the API's JSON under /api/, else the portal's page.
handler400 = api_views.bad_request
