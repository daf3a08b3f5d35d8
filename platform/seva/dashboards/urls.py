from django.urls import path

from . import views

app_name = "dashboards"

urlpatterns = [
    path("", views.board_view, name="board"),
    path("export.<slug:fmt>", views.export_view, name="export"),
    path("at-risk/", views.at_risk_view, name="at-risk"),
]
