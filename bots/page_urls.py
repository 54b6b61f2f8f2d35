from django.urls import path

from bots import pages

urlpatterns = [
    path("", pages.home, name="home"),
    path("dashboard", pages.dashboard, name="dashboard"),
    path("dashboard/bots/new", pages.bot_new, name="dashboard-bot-new"),
    path("dashboard/bots/<bot_uuid:uuid>", pages.bot_page, name="dashboard-bot"),
    path("dashboard/bots/<bot_uuid:uuid>/status", pages.bot_status, name="dashboard-bot-status"),
    path("dashboard/bots/<bot_uuid:uuid>/reactivate", pages.bot_reactivate, name="dashboard-bot-reactivate"),
    path("dashboard/bots/<bot_uuid:uuid>/delete", pages.bot_delete, name="dashboard-bot-delete"),
]
