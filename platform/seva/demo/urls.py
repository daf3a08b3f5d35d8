from django.urls import path

from . import views

app_name = "demo"
urlpatterns = [
    path("demo/sms/", views.demo_sms_box, name="sms"),
]
