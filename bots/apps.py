from django.apps import AppConfig


class BotsConfig(AppConfig):
    name = "bots"
    verbose_name = "Bots"

    def ready(self) -> None:
        from accounts.signals import user_deleting
        from bots import receivers

        user_deleting.connect(receivers.delete_assistants_of_user, dispatch_uid="bots-delete-assistants-of-user")
