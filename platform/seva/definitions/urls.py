from django.urls import path

from . import views

app_name = "definitions"

urlpatterns = [
    path("", views.service_list_view, name="services"),
    path("new/", views.service_new_view, name="new"),
    path("import/", views.service_import_view, name="import"),
    path("drafts/<int:draft_id>/", views.draft_view, name="draft"),
    path("drafts/<int:draft_id>/details/", views.draft_details_view, name="draft-details"),
    path("drafts/<int:draft_id>/form/", views.draft_form_view, name="draft-form"),
    path("drafts/<int:draft_id>/workflow/", views.draft_workflow_view, name="draft-workflow"),
    path("drafts/<int:draft_id>/sms/", views.draft_sms_view, name="draft-sms"),
    path("drafts/<int:draft_id>/preview/", views.draft_preview_view, name="draft-preview"),
    path("drafts/<int:draft_id>/dry-run/", views.draft_dry_run_view, name="draft-dry-run"),
    path("drafts/<int:draft_id>/files.zip", views.draft_files_view, name="draft-files"),
    path("drafts/<int:draft_id>/<slug:action>/", views.draft_action_view, name="draft-action"),
    path("<slug:code>/", views.service_detail_view, name="service"),
    path("<slug:code>/edit/", views.service_edit_view, name="edit"),
    path("<slug:code>/compare/", views.versions_compare_view, name="compare"),
    path("<slug:code>/v<str:number>/files.zip", views.version_files_view, name="files"),
    path("<slug:code>/v<str:number>/publish/", views.version_publish_view, name="republish"),
]
