from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Accounts"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        from accounts import schema  # noqa: F401 (registers the OpenAPI extension)
        from accounts.lockout import forget_failures_of_sign_in

        user_logged_in.connect(forget_failures_of_sign_in, dispatch_uid="forget-failures-of-sign-in")
