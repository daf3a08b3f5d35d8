from django.urls import path

from . import views

app_name = "definitions"

urlpatterns = [
    path("", views.service_list_view, name="services"),
    path("<slug:code>/", views.service_detail_view, name="service"),
    path("<slug:code>/compare/", views.versions_compare_view, name="compare"),
    path("<slug:code>/v<str:number>/files.zip", views.version_files_view, name="files"),
]
