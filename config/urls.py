"""Root URLs. API paths keep the original app's exact spelling (no trailing slash)."""

from django.contrib import admin
from django.urls import path

from config.health import HealthView

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/health", HealthView.as_view(), name="health"),
]
