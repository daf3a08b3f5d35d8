from django.urls import path

from . import views

app_name = "notifications"

urlpatterns = [
    path("", views.messages_view, name="messages"),
    path("<int:pk>/", views.message_view, name="message"),
    path("<int:pk>/resend/", views.message_resend, name="resend"),
]
