from django.urls import path

from analytics import pages

urlpatterns = [
    path("dashboard/analytics", pages.analytics_page, name="dashboard-analytics"),
    path("dashboard/analytics/calls", pages.call_log_partial, name="dashboard-analytics-calls"),
    path("dashboard/analytics/calls/<external_id:vapi_call_id>", pages.call_detail, name="dashboard-analytics-call"),
    path("dashboard/analytics/sessions", pages.sessions_partial, name="dashboard-analytics-sessions"),
    path("dashboard/analytics/summary", pages.summary_partial, name="dashboard-analytics-summary"),
]
