from django.apps import AppConfig


class DocumentsConfig(AppConfig):
    name = "documents"
    verbose_name = "Documents"

    def ready(self) -> None:
        from accounts.signals import user_deleting
        from bots.signals import bot_changed, bot_deleting
        from documents import receivers

        user_deleting.connect(receivers.delete_files_of_user, dispatch_uid="documents-delete-files-of-user")
        bot_deleting.connect(receivers.delete_files_of_bot, dispatch_uid="documents-delete-files-of-bot")
        bot_changed.connect(receivers.follow_bot, dispatch_uid="documents-follow-bot")
