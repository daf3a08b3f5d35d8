"""The builder's addresses, under services/ in the Wagtail admin (`definitions.wagtail_hooks`)."""

from django.urls import path

from .views import documents, drafts, editors, services

app_name = "definitions"

urlpatterns = [
    path("", services.service_list_view, name="services"),
    path("new/", services.service_new_view, name="new"),
    path("import/", services.service_import_view, name="import"),
    path("drafts/<int:draft_id>/", drafts.draft_view, name="draft"),
    path("drafts/<int:draft_id>/details/", editors.draft_details_view, name="draft-details"),
    path("drafts/<int:draft_id>/form/", editors.draft_form_view, name="draft-form"),
    path("drafts/<int:draft_id>/workflow/", editors.draft_workflow_view, name="draft-workflow"),
    path("drafts/<int:draft_id>/sms/", editors.draft_sms_view, name="draft-sms"),
    path("drafts/<int:draft_id>/documents/", editors.draft_documents_view, name="draft-documents"),
    path("drafts/<int:draft_id>/fees/", editors.draft_fees_view, name="draft-fees"),
    path(
        "drafts/<int:draft_id>/documents/<slug:code>/<slug:language>.pdf",
        documents.draft_document_pdf_view,
        name="draft-document-pdf",
    ),
    path("drafts/<int:draft_id>/preview/", drafts.draft_preview_view, name="draft-preview"),
    path("drafts/<int:draft_id>/dry-run/", drafts.draft_dry_run_view, name="draft-dry-run"),
    path("drafts/<int:draft_id>/files.zip", drafts.draft_files_view, name="draft-files"),
    path("drafts/<int:draft_id>/<slug:action>/", drafts.draft_action_view, name="draft-action"),
    path("<slug:code>/", services.service_detail_view, name="service"),
    path("<slug:code>/edit/", services.service_edit_view, name="edit"),
    path("<slug:code>/compare/", services.versions_compare_view, name="compare"),
    path("<slug:code>/v<str:number>/files.zip", services.version_files_view, name="files"),
    path("<slug:code>/v<str:number>/publish/", services.version_publish_view, name="republish"),
]
