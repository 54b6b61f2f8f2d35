from django.urls import path

from analytics.api import public, reports
from analytics.views import TestEmbedView
from analytics.webhooks import VapiWebhookView

urlpatterns = [
    # VAPI's server messages.
    path("api/vapi/webhook", VapiWebhookView.as_view(), name="vapi-webhook"),
    # The owner's reports.
    path("api/analytics/overview", reports.OverviewView.as_view(), name="analytics-overview"),
    path("api/analytics/bots", reports.BotsReportView.as_view(), name="analytics-bots"),
    path("api/analytics/calls", reports.CallsReportView.as_view(), name="analytics-calls"),
    path("api/analytics/calls/export", reports.CallsExportView.as_view(), name="analytics-calls-export"),
    path("api/analytics/logs", reports.LogsView.as_view(), name="analytics-logs"),
    # The widget (public); GET /api/analytics/sessions is the owner's sessions report.
    path("api/widget/<bot_uuid:uuid>/config", public.WidgetConfigView.as_view(), name="widget-config"),
    path("api/analytics/sessions", public.SessionsRoute.as_view(), name="analytics-sessions"),
    path(
        "api/analytics/sessions/<session_id:session_id>/interaction",
        public.SessionInteractionView.as_view(),
        name="session-interaction",
    ),
    path("api/analytics/sessions/<session_id:session_id>/end", public.SessionEndView.as_view(), name="session-end"),
    path("api/vapi/navigation", public.NavigationView.as_view(), name="vapi-navigation"),
    # The widget on a page of its own, as a customer's site would embed it.
    path("test-embed", TestEmbedView.as_view(), name="test-embed"),
]
