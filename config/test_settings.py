"""Settings for the test suite: the real settings, on PostgreSQL, with a few speed-ups.

The suite runs on PostgreSQL, never SQLite: ``DATABASE_URL`` defaults to the local server that
``scripts/test`` makes sure of, and the root ``conftest.py`` refuses to run on anything else.
"""

import os

os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/voicebot")
os.environ.setdefault("SECRET_KEY", "test-only-secret-key-not-used-anywhere-else-0123456789")
# No read replica from the environment (or .env): Django would never fill its test database, and it could not see
# the rows each test writes inside its transaction. config/tests/test_replica_router.py makes its own replica.
os.environ["DATABASE_REPLICA_URL"] = ""

from config.settings import *  # noqa: F403

# Hashing passwords for real costs ~0.3 s per user created; the tests do not test PBKDF2.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# No manifest is built for tests (collectstatic is a deploy step).
STORAGES = {
    **STORAGES,  # noqa: F405
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Static files come from the apps' folders (no collectstatic before tests).
WHITENOISE_AUTOREFRESH = True
WHITENOISE_USE_FINDERS = True
# The test client speaks plain HTTP.
SECURE_SSL_REDIRECT = False
# Tasks run eagerly, except in the test that starts a real worker (bots/tests/test_worker.py): it switches eager
# mode off, and the broker is already the test Redis (database 15, flushed by that test).
CELERY_BROKER_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
CELERY_TASK_ALWAYS_EAGER = True
# Without a broker (the processes that tests start), tasks run in the background of the web process; here they run
# inside the request that queued them, and nothing runs on a schedule: tests see their outcome when the request ends.
TASKS_WITHOUT_BROKER = "inline"
# The suite sends thousands of anonymous requests from 127.0.0.1 into one cache (emptied before each test, see
# conftest.py): rates no test reaches by accident. The rate limit tests set their own.
RATE_LIMITS = dict.fromkeys(RATE_LIMITS, "100000/min")  # noqa: F405
# No sentence vectors unless a test asks for them (documents/tests/test_vectors.py, test_hybrid_search.py): every
# document processed would load the embedding model and compute its vectors inside the request.
EMBEDDINGS_ENABLED = False
