"""bench/list.py's URLconf (never mounted in production): the project's routes plus ``GET /bench/bare-bots``, a bare
Django view of the rows the bot lists serve: the baseline they are measured against in the same gunicorn run."""

from __future__ import annotations

from django.conf import settings
from django.db.models import F
from django.http import JsonResponse
from django.urls import include, path

from bots.models import Bot


def bare_bots(request):
    """The rows as Django alone would send them: one query, ``values()``, ``JsonResponse``."""
    rows = list(
        Bot.objects.filter(user_id=settings.BENCH_USER_ID)
        .order_by("-created_at", "-id")
        .values(
            *(key for key, field in settings.BARE_FIELDS.items() if key == field),
            **{key: F(field) for key, field in settings.BARE_FIELDS.items() if key != field},
        )
    )
    return JsonResponse({"success": True, "count": len(rows), "bots": rows})


urlpatterns = [path("bench/bare-bots", bare_bots), path("", include("config.urls"))]
