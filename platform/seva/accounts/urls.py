"""Two sets of pages. Signing in (namespace `accounts`), mounted by seva.config.urls at
/admin/login/ ahead of the Wagtail admin, whose own sign-in it replaces; and an officer's
devices (namespace `second_factor`, under /admin/second-factor/), mounted by wagtail_hooks
inside the admin, so only signed-in staff reach them."""

from django.urls import path

from . import views

sign_in_urlpatterns = [
    path("", views.sign_in_view, name="sign-in"),
    path("code/", views.code_view, name="code"),
    path("code/sms/", views.code_sms_view, name="code-sms"),
    path("enrol/", views.enrol_view, name="enrol"),
    path("enrol/app/", views.enrol_app_view, name="enrol-app"),
    path("enrol/sms/", views.enrol_sms_view, name="enrol-sms"),
]

devices_urlpatterns = [
    path("", views.devices_view, name="devices"),
    path("app/", views.device_add_app_view, name="add-app"),
    path("sms/", views.device_add_sms_view, name="add-sms"),
    path("remove/", views.device_remove_view, name="remove"),
    path("officers/<int:user_id>/", views.officer_devices_view, name="officer"),
    path("officers/<int:user_id>/reset/", views.officer_reset_view, name="officer-reset"),
]
