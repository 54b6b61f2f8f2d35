from django.apps import AppConfig


class CommonConfig(AppConfig):
    """The project-wide infrastructure under every app: the error contract, input bounds and path converters, ids,
    upload handling, client addresses, replica reads, migration operations, background tasks. Nothing about users;
    it imports no app of ours."""

    name = "common"
    verbose_name = "Common"

    def ready(self) -> None:
        from corsheaders.signals import check_request_enabled
        from django.core.signals import request_started

        from common.inputs import register_path_converters
        from common.public_routes import allow_public_widget_routes
        from common.tasking import start_with_request

        register_path_converters()  # before any URLconf is imported

        check_request_enabled.connect(allow_public_widget_routes, dispatch_uid="public-widget-cors")
        # Without a broker, a web process's first request starts its background tasks and beat.
        request_started.connect(start_with_request, dispatch_uid="tasks-without-broker")
