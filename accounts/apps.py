from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Accounts"

    def ready(self) -> None:
        from corsheaders.signals import check_request_enabled
        from django.contrib.auth.signals import user_logged_in
        from django.core.signals import request_started

        from accounts import schema  # noqa: F401 (registers the OpenAPI extension)
        from accounts.inputs import register_path_converters
        from accounts.lockout import forget_failures_of_sign_in
        from accounts.public_routes import allow_public_widget_routes
        from accounts.tasking import start_with_request

        register_path_converters()  # before any URLconf is imported

        check_request_enabled.connect(allow_public_widget_routes, dispatch_uid="public-widget-cors")
        user_logged_in.connect(forget_failures_of_sign_in, dispatch_uid="forget-failures-of-sign-in")
        # Without a broker, a web process's first request starts its background tasks and beat.
        request_started.connect(start_with_request, dispatch_uid="tasks-without-broker")
