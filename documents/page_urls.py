"""The knowledge base's dashboard URLs (documents/pages.py): partials of the bot page, and the overview's storage
figure."""

from django.urls import path

from documents import pages

urlpatterns = [
    path("dashboard/bots/<bot_uuid:uuid>/knowledge", pages.knowledge, name="dashboard-bot-knowledge"),
    path("dashboard/bots/<bot_uuid:uuid>/documents", pages.documents, name="dashboard-bot-documents"),
    path("dashboard/bots/<bot_uuid:uuid>/documents/upload", pages.upload, name="dashboard-bot-upload"),
    path("dashboard/bots/<bot_uuid:uuid>/resync", pages.resync, name="dashboard-bot-resync"),
    path("dashboard/bots/<bot_uuid:uuid>/search", pages.search, name="dashboard-bot-search"),
    path("dashboard/documents/<record_id:document_id>/download", pages.download, name="dashboard-document-download"),
    path("dashboard/documents/<record_id:document_id>/delete", pages.delete, name="dashboard-document-delete"),
    path("dashboard/storage", pages.storage, name="dashboard-storage"),
]
