from django.urls import path

from accounts import pages
from accounts.views import MeView
from accounts.webhooks import ClerkWebhookView

urlpatterns = [
    path("api/me", MeView.as_view(), name="me"),
    path("api/webhooks/clerk", ClerkWebhookView.as_view(), name="clerk-webhook"),
    path("sign-in", pages.SignInView.as_view(), name="sign-in"),
    path("sign-up", pages.sign_up, name="sign-up"),
    path("sign-out", pages.sign_out, name="sign-out"),
]
