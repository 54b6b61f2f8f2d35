"""Root URLs. API paths keep the original app's exact spelling (no trailing slash)."""

from django.contrib import admin
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from common.errors import api_not_found
from config.health import HealthView
from config.monitoring.metrics import metrics_view
from config.monitoring.readiness import ReadinessView

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/health", HealthView.as_view(), name="health"),
    path("api/ready", ReadinessView.as_view(), name="ready"),
    # Prometheus' default path; not under /api/ (not the public API, not in its schema). Token or allow-list.
    path("metrics", metrics_view, name="metrics"),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    # Swagger UI with its init script as a file (the split view) and no inline style: the page needs no
    # 'unsafe-inline' in the Content-Security-Policy.
    path(
        "api/docs/",
        SpectacularSwaggerSplitView.as_view(url_name="schema", template_name="config/api_docs.html"),
        name="api-docs",
    ),
    path("", include("accounts.urls")),
    path("", include("bots.api.urls")),
    path("", include("documents.api.urls")),
    path("", include("analytics.api.urls")),
    # Pages (templates/), each app its own.
    path("", include("bots.page_urls")),
    path("", include("documents.page_urls")),
    path("", include("analytics.page_urls")),
    # Last: any other path under /api/ is a JSON 404, whatever DEBUG says.
    re_path(r"^api/", api_not_found),
]

handler500 = "common.errors.server_error"
