from django.urls import path, re_path

from documents.api import views

urlpatterns = [
    path("api/bots/<bot_uuid:uuid>/files", views.FilesView.as_view(), name="legacy-bot-files"),
    # <path:> so that a name with slashes (a traversal attempt) reaches the view and is refused with 403.
    path("api/bots/<bot_uuid:uuid>/files/<path:filename>", views.FileDownloadView.as_view(), name="legacy-bot-file"),
    path("api/bots/<bot_uuid:uuid>/documents", views.DocumentListView.as_view(), name="bot-documents"),
    path(
        "api/bots/<bot_uuid:uuid>/documents/<record_id:document_id>",
        views.DocumentDetailView.as_view(),
        name="bot-document",
    ),
    path(
        "api/bots/<bot_uuid:uuid>/documents/<record_id:document_id>/reprocess",
        views.DocumentReprocessView.as_view(),
        name="bot-document-reprocess",
    ),
    path("api/bots/<bot_uuid:uuid>/search", views.SearchView.as_view(), name="bot-search"),
    path("api/bots/<bot_uuid:uuid>/resync", views.ResyncView.as_view(), name="bot-resync"),
    path("api/vapi/knowledge-base", views.KnowledgeBaseView.as_view(), name="vapi-knowledge-base"),
    path("api/blocked", views.uploads_blocked, name="uploads-blocked"),
    re_path(r"^uploads/", views.uploads_blocked),
]
