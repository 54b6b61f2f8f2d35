from django.urls import path
from rest_framework.routers import SimpleRouter

from bots.api import legacy
from bots.api.viewsets import BotViewSet

router = SimpleRouter(trailing_slash=False)
router.register("api/bots", BotViewSet, basename="bot")

urlpatterns = [
    # The legacy routes first: "create" and "list" are not bot uuids.
    path("api/bots/create", legacy.CreateView.as_view(), name="legacy-bot-create"),
    path("api/bots/list", legacy.ListView.as_view(), name="legacy-bot-list"),
    path("api/bots/status/<bot_uuid:uuid>", legacy.StatusRoute.as_view(), name="legacy-bot-status"),
    path("api/admin/activate-bot", legacy.AdminActivateView.as_view(), name="legacy-activate-bot"),
    path("api/config", legacy.ConfigView.as_view(), name="legacy-config"),
    *router.urls,
]
