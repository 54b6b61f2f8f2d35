"""The project with one more route, for bench/list.py only (never mounted in production): a bare Django view of the
bot rows that the list endpoints serve, the baseline they are measured against in the same gunicorn run.

The settings module (``DJANGO_SETTINGS_MODULE=list_site``, with ``bench/`` on the Python path): the project's
settings, with bench/list_urls.py as the URLconf (the project's routes plus ``GET /bench/bare-bots``).
"""

from __future__ import annotations

import os

from config.settings import *  # noqa: F403 - the project's settings, unchanged but for the URLconf

ROOT_URLCONF = "list_urls"

# The bare view reads the rows of this user (bench/list.py sets it): no authentication, no serializer, no paging.
BENCH_USER_ID = os.environ.get("BENCH_USER_ID", "")

# The same keys as the legacy list's items, so that both answers weigh the same.
BARE_FIELDS = {
    "uuid": "uuid",
    "name": "name",
    "status": "status",
    "vapiAssistantId": "vapi_assistant_id",
    "createdAt": "created_at",
    "updatedAt": "updated_at",
    "documentsProcessed": "documents_processed",
    "ragEnabled": "rag_enabled",
    "embedCode": "embed_code",
    "activationScheduledAt": "activation_scheduled_at",
    "welcomeMessage": "welcome_message",
    "systemPrompt": "system_prompt",
    "language": "language",
    "voice": "voice",
    "position": "position",
    "theme": "theme",
    "ragSourceType": "rag_source_type",
    "ragUrl": "rag_url",
    "localFilesStored": "local_files_stored",
    "activatedAt": "activated_at",
}
