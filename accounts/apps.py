import re

from django.apps import AppConfig
from django.conf import settings


def allow_public_widget_routes(sender, request, **kwargs) -> bool:
    """django-cors-headers' per-request hook: the widget's public routes answer any origin, as the original did."""
    return bool(re.match(settings.CORS_PUBLIC_URLS_REGEX, request.path_info))


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Accounts"

    def ready(self) -> None:
        from corsheaders.signals import check_request_enabled

        from accounts import schema  # noqa: F401 (registers the OpenAPI extension)
        from accounts.inputs import register_path_converters

        register_path_converters()  # before any URLconf is imported

        check_request_enabled.connect(allow_public_widget_routes, dispatch_uid="public-widget-cors")
