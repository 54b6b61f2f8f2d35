"""Django settings, read once from the environment with django-environ.

Every variable is listed, with its default, in README.md. A ``.env`` file at the project root is read when
present; variables already set in the environment win over it. Production secrets have no default: a missing
one stops the process at start-up with a message that names it.
"""

from __future__ import annotations

import datetime
import os
import re
import secrets
import sys
from pathlib import Path

import environ
from csp.constants import NONCE, NONE, SELF
from django.core.exceptions import ImproperlyConfigured

from config.database import database_config
from config.monitoring.access import validate_metrics_settings
from config.monitoring.logs import LOG_FORMATS, logging_config

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
# ENV_FILE="" turns the file off (the tests' subprocesses do).
ENV_FILE = os.environ.get("ENV_FILE", str(BASE_DIR / ".env"))
if ENV_FILE and Path(ENV_FILE).is_file():
    environ.Env.read_env(ENV_FILE, overwrite=False)

# --- Core -----------------------------------------------------------------------------------------------------

# Without DATABASE_URL the app is the zero-setup local quick start (SQLite), and only there DEBUG defaults on.
# Every deployment sets DATABASE_URL, and there DEBUG is off unless asked for.
DATABASE_URL_CONFIGURED = "DATABASE_URL" in os.environ
DEBUG = env.bool("DEBUG", default=not DATABASE_URL_CONFIGURED)

# Management commands that sign nothing and serve nothing: operations on the database and files. Run as
# ``manage.py <one of these>`` with DEBUG off and no SECRET_KEY, they get a random key of their own, so nothing
# they could sign would be valid anywhere else. Every other process (gunicorn, Celery, runserver, check, shell…)
# still refuses to start without SECRET_KEY.
COMMANDS_WITHOUT_SIGNING = frozenset(
    {
        "migrate",
        "showmigrations",
        "prepare_database",
        "backup_database",
        "restore_database",
        "sync_calls",
        "seed_demo",
        "createsuperuser",
        "changepassword",
        "axes_reset_username",
        "collectstatic",
        "embeddings_fetch",
    }
)


def _running_command_without_signing() -> bool:
    return Path(sys.argv[0]).name == "manage.py" and len(sys.argv) > 1 and sys.argv[1] in COMMANDS_WITHOUT_SIGNING


SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY and not DEBUG and _running_command_without_signing():
    SECRET_KEY = secrets.token_urlsafe(50)
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. It is required when DEBUG is off (DEBUG defaults off whenever DATABASE_URL "
            "is set); generate one with "
            "`python -c 'import secrets; print(secrets.token_urlsafe(50))'`."
        )
    # Development only: never used with DEBUG off (see above).
    SECRET_KEY = "django-insecure-development-key-do-not-use-in-production"  # noqa: S105

ALLOWED_HOSTS: list[str] = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS: list[str] = env.list("CSRF_TRUSTED_ORIGINS", default=[])

# Behind a TLS-terminating proxy (Azure App Service, a load balancer): trust its X-Forwarded-Proto/-Host.
# Never set this when the app is reachable directly: the headers would then be the client's to forge.
BEHIND_PROXY = env.bool("BEHIND_PROXY", default=False)
if BEHIND_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    USE_X_FORWARDED_HOST = True
# How many proxies in front of the app append to X-Forwarded-For (a CDN then a load balancer: 2). The client is
# the entry that many places from the right; entries further left are the client's own writing and never read
# (common.network.client_ip). One proxy with BEHIND_PROXY, none without: the address is then REMOTE_ADDR.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=1 if BEHIND_PROXY else 0)
if TRUSTED_PROXY_COUNT < 0:
    raise ImproperlyConfigured(f"TRUSTED_PROXY_COUNT must be 0 or more, not {TRUSTED_PROXY_COUNT}.")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "axes",
    "corsheaders",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_filters",
    "django_htmx",
    # django-csp: its system checks (the middleware is ours, accounts.csp).
    "csp",
    # Ours, lowest layer first: common (infrastructure, nothing about users) <- accounts <- bots <- documents,
    # analytics. pyproject.toml's import-linter contracts hold the direction (docs/architecture.md).
    "common",
    "accounts",
    "bots",
    "documents",
    "analytics",
    # The project's operations commands (config/management: database preparation, import, backups): the top
    # layer, which may use every app.
    "config",
]

MIDDLEWARE = [
    # First: every log line of the request carries its id, and every response (errors too) returns it.
    "config.monitoring.context.RequestIdMiddleware",
    # Then the metrics: the time, queries and final status of everything below.
    "config.monitoring.metrics.MetricsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Content-Security-Policy on every response this app answers (after whitenoise: static files are not
    # documents), error pages included; pages add the third-party sources they load (accounts/csp.py).
    "accounts.csp.ContentSecurityPolicyMiddleware",
    # Outside everything that can answer with an error page: under /api/ every error is JSON.
    "common.errors.ApiErrorMiddleware",
    # A NUL character in the path or query string is a 400 before anything looks at it (common/inputs.py).
    "common.inputs.RefuseNulInAddressMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Pages (not /api/, which authenticates in DRF): a Clerk `__session` cookie signs the request in, verified
    # and synced exactly as the API does it.
    "accounts.pages.ClerkPageAuthenticationMiddleware",
    # Per client address, every request that is not signed in (pages by their user, known here; API requests with
    # a token after DRF has checked it), the widget's and the probes whoever sends them.
    "accounts.ratelimit.RateLimitMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Last, as django-axes asks: a sign-in refused for a locked account or address becomes the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "accounts.pages.sign_in_context",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------------------------

# Connection handling (persistent or pooled), the same for the primary and the read replica.
DATABASE_CONNECTIONS = {
    "conn_max_age": env.int("DATABASE_CONN_MAX_AGE", default=60),
    "connect_timeout": env.int("DATABASE_CONNECT_TIMEOUT", default=5),
    "pool_min_size": env.int("DATABASE_POOL_MIN_SIZE", default=1),
    "pool_max_size": env.int("DATABASE_POOL_MAX_SIZE", default=0),
    "pool_timeout": env.float("DATABASE_POOL_TIMEOUT", default=10.0),
}
# SQLite only for the zero-setup quick start; PostgreSQL (e.g. Azure Database for PostgreSQL, with
# ?sslmode=require in the URL) everywhere else, tests included.
DATABASES = {
    "default": database_config(
        env.str("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"), **DATABASE_CONNECTIONS
    )
}
# The covering indexes of calls and sessions (``Index(include=…)``, so that the analytics overview is an index-only
# scan) are a PostgreSQL feature; SQLite, the quick start's database, builds the same indexes on their key columns
# alone, which is all it needs. Django says so with models.W040 on every migrate: expected there, and only there.
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    SILENCED_SYSTEM_CHECKS = ["models.W040"]
# Optional read replica (docs/replica.md): the analytics reports, list endpoints and admin changelists may read
# from it (common/replica.py says when); everything else uses the primary. Without it there is no "replica"
# alias, no router and no routing middleware: every query goes to "default".
DATABASE_REPLICA_URL = env.str("DATABASE_REPLICA_URL", default="")
# Off: every read goes to the primary again (incidents, lag), without removing the replica's configuration.
DATABASE_REPLICA_READS = env.bool("DATABASE_REPLICA_READS", default=True)
# After a replica failure (answered from the primary), replica reads pause this many seconds.
DATABASE_REPLICA_COOLDOWN = env.int("DATABASE_REPLICA_COOLDOWN", default=30)
# After a signed-in user's request writes, that user's reads stay on the primary this long (replication lag).
DATABASE_REPLICA_STICKY_SECONDS = env.int("DATABASE_REPLICA_STICKY_SECONDS", default=5)
if DATABASE_REPLICA_URL:
    DATABASES["replica"] = database_config(DATABASE_REPLICA_URL, **DATABASE_CONNECTIONS)  # common.replica.REPLICA
    DATABASE_ROUTERS = ["config.routers.ReplicaRouter"]
    MIDDLEWARE.insert(
        MIDDLEWARE.index("whitenoise.middleware.WhiteNoiseMiddleware") + 1, "common.replica.ReplicaRoutingMiddleware"
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# Seconds a Celery worker waits at start-up for the database to answer before it exits non-zero (for the platform
# to restart it): after a deploy or a failover, workers often start before the database does (config/celery.py).
# `manage.py prepare_database` (the release phase) waits as long by default.
DATABASE_WAIT_TIMEOUT = env.float("DATABASE_WAIT_TIMEOUT", default=60.0)
# The original app's database, for `manage.py prepare_database --from-database` without a URL (docs/import.md):
# a URL with a password given on the command line is visible to every local user in the process list.
LEGACY_DATABASE_URL = env.str("LEGACY_DATABASE_URL", default="")

# --- Users and passwords (staff use the admin; product users sign in with Clerk) ------------------------------

# Pages: anonymous visitors of /dashboard* go to the sign-in page and come back (?next=) once signed in.
LOGIN_URL = "sign-in"
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = "home"

AUTH_USER_MODEL = "accounts.User"
# django-axes first: it refuses a locked-out account or address before any password is checked.
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "django.contrib.auth.backends.ModelBackend"]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# --- Sign-in lockout: django-axes on the password forms (/sign-in without Clerk, the admin's login) ----------------

# After this many failed passwords for one account (from anywhere), or from one client address (for any accounts),
# signing in is refused for LOGIN_LOCKOUT_MINUTES after the last counted failure, even with the right password.
# Unlock sooner: `manage.py axes_reset_username <email>`, `axes_reset_ip <address>`, `axes_reset` (everything), or
# delete the account's rows under "Access attempts" in the admin (docs/abuse.md).
AXES_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = datetime.timedelta(minutes=env.int("LOGIN_LOCKOUT_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]  # either one: by account, and by address
AXES_USERNAME_FORM_FIELD = "username"  # the field of Django's AuthenticationForm, whatever USERNAME_FIELD is
# The one client address rule (TRUSTED_PROXY_COUNT), IPv6 per /64, as for the rate limits.
AXES_CLIENT_IP_CALLABLE = "common.network.client_network"
AXES_LOCKOUT_CALLABLE = "accounts.lockout.lockout_response"
# A sign-in clears that account's failures from that address only (accounts.lockout.forget_failures_of_sign_in):
# axes' own reset on success clears every failure of the account and of the address, so a guesser with an account
# of their own could sign in to it between guesses and never be locked out.
AXES_RESET_ON_SUCCESS = False
# Attempts while locked out are refused without being counted: the lockout ends LOGIN_LOCKOUT_MINUTES after the
# failures that caused it, as the lockout page says, however often the person retries.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
# No table of successful sign-ins (each row an address and a user agent, kept forever); failures only.
AXES_DISABLE_ACCESS_LOG = True
# No banner in the log at every process start (a command's output would carry it); failures and lockouts are logged.
AXES_VERBOSE = False

# --- Internationalisation -------------------------------------------------------------------------------------

LANGUAGE_CODE = "en-us"
# One date format across the product, "6 Dec 2026, 14:05" (config/formats/en/formats.py).
FORMAT_MODULE_PATH = ["config.formats"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- Static and uploaded files --------------------------------------------------------------------------------

STATIC_URL = "static/"
# Our stylesheet and scripts, and the vendored htmx and Chart.js (no CDN, no Node.js at run time).
STATICFILES_DIRS = [BASE_DIR / "static"]
# Files served at the site's root: the widget script, at the path the original's embed codes name
# (/js/external-chatbot-voice.js).
WHITENOISE_ROOT = BASE_DIR / "public"
STATIC_ROOT = env.path("STATIC_ROOT", default=BASE_DIR / "staticfiles")
MEDIA_URL = "media/"
MEDIA_ROOT = env.path("MEDIA_ROOT", default=BASE_DIR / "media")
# Uploaded originals: local disk by default; Azure Blob Storage (django-storages) when AZURE_CONTAINER and an
# account (AZURE_ACCOUNT_NAME + AZURE_ACCOUNT_KEY, or AZURE_CONNECTION_STRING) are set.
AZURE_CONTAINER = env.str("AZURE_CONTAINER", default="")
AZURE_ACCOUNT_NAME = env.str("AZURE_ACCOUNT_NAME", default="")
AZURE_ACCOUNT_KEY = env.str("AZURE_ACCOUNT_KEY", default="")
AZURE_CONNECTION_STRING = env.str("AZURE_CONNECTION_STRING", default="")
if AZURE_CONTAINER and (AZURE_CONNECTION_STRING or AZURE_ACCOUNT_NAME):
    DEFAULT_STORAGE = {
        "BACKEND": "storages.backends.azure_storage.AzureStorage",
        "OPTIONS": {
            "azure_container": AZURE_CONTAINER,
            "account_name": AZURE_ACCOUNT_NAME or None,
            "account_key": AZURE_ACCOUNT_KEY or None,
            "connection_string": AZURE_CONNECTION_STRING or None,
            "overwrite_files": False,  # a second upload of faq.pdf gets a suffix, as on disk
            "expiration_secs": None,  # originals are served through our download route, never by blob URL
        },
    }
else:
    DEFAULT_STORAGE = {"BACKEND": "django.core.files.storage.FileSystemStorage"}
STORAGES = {
    "default": DEFAULT_STORAGE,
    # Hashed, compressed files served by whitenoise with far-future caching; needs `collectstatic` at build.
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

# --- Database backups (manage.py backup_database / restore_database; see docs/backups.md) ------------------------

# pg_dump archives go to this folder, or with --to-storage to the "backups" storage: the Azure account above, in its
# own container (its access and lifecycle rules apart from the uploads'), or without Azure this same folder. They
# hold every user's data: files 0600, folders 0700.
BACKUP_DIR = env.path("BACKUP_DIR", default=BASE_DIR / "var" / "backups")
BACKUP_AZURE_CONTAINER = env.str("BACKUP_AZURE_CONTAINER", default="backups")
# Retention after each backup: the BACKUP_KEEP newest and those younger than BACKUP_KEEP_DAYS are kept (0: no rule;
# both 0: nothing is deleted, deleting backups is never implicit).
BACKUP_KEEP = env.int("BACKUP_KEEP", default=0)
BACKUP_KEEP_DAYS = env.int("BACKUP_KEEP_DAYS", default=0)
if AZURE_CONNECTION_STRING or AZURE_ACCOUNT_NAME:
    STORAGES["backups"] = {
        "BACKEND": "storages.backends.azure_storage.AzureStorage",
        "OPTIONS": {
            "account_name": AZURE_ACCOUNT_NAME or None,
            "account_key": AZURE_ACCOUNT_KEY or None,
            "connection_string": AZURE_CONNECTION_STRING or None,
            "azure_container": BACKUP_AZURE_CONTAINER,
            "overwrite_files": False,  # a backup is never replaced
        },
    }
else:
    STORAGES["backups"] = {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(BACKUP_DIR), "file_permissions_mode": 0o600, "directory_permissions_mode": 0o700},
    }

# --- Knowledge base: uploads, processing, crawling, search -------------------------------------------------------

# One uploaded file may be this large (413 beyond); a whole upload request, this large.
MAX_UPLOAD_MB = env.int("MAX_UPLOAD_MB", default=50)
MAX_UPLOAD_REQUEST_MB = env.int("MAX_UPLOAD_REQUEST_MB", default=200)
# Uploads are streamed to a temporary file past 2.5 MB, never held in memory; the first handler enforces the limits.
FILE_UPLOAD_HANDLERS = [
    "documents.uploads.LimitedUploadHandler",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]
# A DOCX (a zip) larger than this once unpacked is refused before it is inflated.
DOCX_MAX_UNPACKED_MB = env.int("DOCX_MAX_UNPACKED_MB", default=100)
# Chunks: about this many characters, consecutive chunks sharing about this many.
CHUNK_SIZE = env.int("CHUNK_SIZE", default=1000)
CHUNK_OVERLAP = env.int("CHUNK_OVERLAP", default=150)
# Chunks handed to VAPI's model per knowledge-base request.
KNOWLEDGE_BASE_TOP_K = env.int("KNOWLEDGE_BASE_TOP_K", default=5)
# Sentence vectors of the chunks, searched with full-text search (documents/vectors.py, documents/search.py).
# Off: full-text search alone, no vectors computed.
EMBEDDINGS_ENABLED = env.bool("EMBEDDINGS_ENABLED", default=True)
# Memory for the bots' vector matrices kept by each web process (least recently used go first): 20,000 chunks of
# 384 dimensions take 30 MB.
VECTOR_CACHE_MB = env.int("VECTOR_CACHE_MB", default=256)
# Sentence embeddings (documents/embeddings): the model (one of documents.embeddings.MODELS; empty turns them off),
# where its files are (empty: the pinned package of requirements-model.txt), texts per run of the model, and ONNX
# Runtime's threads per process. Defaults chosen by measurement (README "Embeddings").
EMBEDDINGS_MODEL = env.str("EMBEDDINGS_MODEL", default="all-MiniLM-L6-v2")
EMBEDDINGS_MODEL_DIR = env.str("EMBEDDINGS_MODEL_DIR", default="")
EMBEDDINGS_BATCH_SIZE = env.int("EMBEDDINGS_BATCH_SIZE", default=1)
EMBEDDINGS_THREADS = env.int("EMBEDDINGS_THREADS", default=1)
if EMBEDDINGS_BATCH_SIZE < 1 or EMBEDDINGS_THREADS < 1:
    raise ImproperlyConfigured("EMBEDDINGS_BATCH_SIZE and EMBEDDINGS_THREADS must be at least 1.")
# Website crawls (ragSourceType URL).
CRAWL_MAX_PAGES = env.int("CRAWL_MAX_PAGES", default=50)
CRAWL_MAX_DEPTH = env.int("CRAWL_MAX_DEPTH", default=2)
CRAWL_MAX_PAGE_BYTES = env.int("CRAWL_MAX_PAGE_BYTES", default=2_000_000)
CRAWL_TIMEOUT = env.float("CRAWL_TIMEOUT", default=10.0)
# Tests only: lets the crawler reach a local test site. Never in production (it would open SSRF to localhost).
CRAWL_ALLOW_LOOPBACK = env.bool("CRAWL_ALLOW_LOOPBACK", default=False)

# --- Analytics ---------------------------------------------------------------------------------------------------

# A widget session without an end is counted as active for this long after it started (then it was abandoned).
SESSION_ACTIVE_MINUTES = env.int("SESSION_ACTIVE_MINUTES", default=30)
# Optional request header a CDN or proxy sets to the visitor's country (e.g. CF-IPCountry); read behind a proxy only.
GEO_COUNTRY_HEADER = env.str("GEO_COUNTRY_HEADER", default="")
# Beat syncs calls from VAPI's GET /call this often (seconds); 0 turns it off.
CALL_SYNC_INTERVAL = env.int("CALL_SYNC_INTERVAL", default=900)

# --- Security (on by default whenever DEBUG is off; see `manage.py check --deploy`) -----------------------------

SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
# Load balancers and orchestrators probe, and Prometheus may scrape inside the network, over plain HTTP.
SECURE_REDIRECT_EXEMPT = [r"^api/health$", r"^api/ready$", r"^metrics$"]
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 60 * 60 * 24 * 365)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=not DEBUG)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=not DEBUG)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=not DEBUG)
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"

# Content-Security-Policy (django-csp). Site-wide: this origin only, no inline script (a <script> of ours that
# must be inline takes nonce="{{ request.csp_nonce }}"), no eval, no plugins, no <base>, forms posted here only,
# never framed. data: images are for icons in stylesheets (Swagger UI's) and the favicon. A page that loads
# code from elsewhere (Clerk, the voice widget) adds those sources itself: accounts/csp.py says which and why.
# The same policy goes on JSON responses: it does nothing to fetch() callers, and an API URL opened in a browser
# tab is a document as locked down as the pages.
csp_directives = {
    "default-src": [SELF],
    "script-src": [SELF, NONCE],
    "style-src": [SELF, NONCE],
    "img-src": [SELF, "data:"],
    "object-src": [NONE],
    "base-uri": [NONE],
    "form-action": [SELF],
    "frame-ancestors": [NONE],
}
# Where browsers post violation reports (a collector of yours); without it they only log them in the console.
if csp_report_uri := env.str("CSP_REPORT_URI", default=""):
    csp_directives["report-uri"] = [csp_report_uri]
# Report-only: browsers block nothing and report what the policy would have blocked (to roll it out, or as the
# switch back while a page's new source is being added).
if env.bool("CSP_REPORT_ONLY", default=False):
    CONTENT_SECURITY_POLICY = None
    CONTENT_SECURITY_POLICY_REPORT_ONLY = {"DIRECTIVES": csp_directives}
else:
    CONTENT_SECURITY_POLICY = {"DIRECTIVES": csp_directives}
    CONTENT_SECURITY_POLICY_REPORT_ONLY = None

# --- Cache (rate limits, the read replica's marks) ---------------------------------------------------------------

# Shared by every process when CACHE_URL names a Redis (redis://host:6379/1); per process otherwise (quick start).
CACHE_URL = env.str("CACHE_URL", default="")
CACHES = {
    "default": (
        {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": CACHE_URL,
            # Every anonymous request reads it: a Redis that stops answering costs a second, not the request (the
            # rate limits and the replica's marks then let the request through).
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
        if CACHE_URL
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    )
}

# --- Rate limits (accounts/ratelimit.py) --------------------------------------------------------------------------

# Requests per client address (common.network.client_network) in a fixed window, per scope, "<count>/<period>"
# with a period in s, m, h or d (120/min, 10/5m), counted in the cache above: one count for all processes with
# CACHE_URL (atomic increments in Redis), one per process without.
RATE_LIMITS = {
    # The widget's public requests (PUBLIC_WIDGET_ROUTES), whoever makes them.
    "widget": env.str("WIDGET_RATE_LIMIT", default="120/min"),
    # /api/health, /api/ready and /metrics: load balancers and orchestrators probe them from few addresses.
    "probe": env.str("PROBE_RATE_LIMIT", default="600/min"),
    # Every other request that is not signed in: pages, sign-in forms, the API docs, unknown paths.
    "anonymous": env.str("ANONYMOUS_RATE_LIMIT", default="120/min"),
    # Requests that the secret-authenticated machine routes (WEBHOOK_ROUTES) refuse; valid deliveries never count.
    "webhook": env.str("WEBHOOK_REFUSED_RATE_LIMIT", default="60/min"),
}
for _scope, _rate in RATE_LIMITS.items():
    if not re.fullmatch(r"[1-9]\d*/\d*[smhd][a-z]*", _rate):
        raise ImproperlyConfigured(
            f"The {_scope} rate limit {_rate!r} is not <count>/<period> with a period in s, m, h or d (120/min, 10/5m)."
        )
PROBE_ROUTES = ["health", "ready", "metrics"]
WEBHOOK_ROUTES = ["vapi-webhook", "vapi-knowledge-base", "clerk-webhook"]
# django-ratelimit: a cache that answers nothing lets the request through (one that raises does too, see
# accounts/ratelimit.py): an outage of the cache must not refuse every anonymous request.
RATELIMIT_FAIL_OPEN = True

# --- Django REST framework and OpenAPI ------------------------------------------------------------------------

REST_FRAMEWORK = {
    # Clerk session tokens for the frontend and the API; Django's session for the admin, the browsable API and
    # the dashboard pages.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.authentication.ClerkAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    # JSON bodies bounded in size and depth, with finite numbers and no NUL characters (common/inputs.py).
    "DEFAULT_PARSER_CLASSES": [
        "common.inputs.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    # DRF's JSON written by orjson, byte for byte (common/renderers.py).
    "DEFAULT_RENDERER_CLASSES": ["common.renderers.JSONRenderer"]
    + (["rest_framework.renderers.BrowsableAPIRenderer"] if DEBUG else []),
    "EXCEPTION_HANDLER": "common.errors.api_exception_handler",
    "DEFAULT_SCHEMA_CLASS": "common.openapi.AutoSchema",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    # Rate limits are accounts/ratelimit.py's, not DRF throttles; one added would name clients as client_ip does.
    "NUM_PROXIES": TRUSTED_PROXY_COUNT,
}
# Seconds a client is told to wait (Retry-After) when the database does not answer.
API_RETRY_AFTER_SECONDS = env.int("API_RETRY_AFTER_SECONDS", default=5)

SPECTACULAR_SETTINGS = {
    "TITLE": "Voice Bot API",
    "DESCRIPTION": (
        "Voice bots on VAPI for any website. Errors are always "
        '`{"success": false, "error": "<message>"}` with the HTTP status that fits.'
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": r"/api",
    "COMPONENT_SPLIT_REQUEST": True,
    # A path served by a view per method (accounts.scoping.route_by_method) is documented from each method's view.
    "PREPROCESSING_HOOKS": ["accounts.scoping.split_method_routes"],
    # Swagger UI's files come from the drf-spectacular-sidecar package, served by whitenoise: no CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "ENUM_NAME_OVERRIDES": {
        "BotStatusEnum": ["pending", "activating", "active", "failed"],
        "HealthStatusEnum": ["healthy", "unhealthy"],
        "EnvironmentEnum": ["development", "production"],
        "DocumentStatusEnum": ["pending", "processing", "ready", "failed"],
        "ReadinessCheckEnum": "config.monitoring.readiness.CHECK_OUTCOMES",
    },
}

# --- CORS -----------------------------------------------------------------------------------------------------

# The API answers cross-origin requests only from these origins (the frontend's)...
CORS_ALLOWED_ORIGINS: list[str] = env.list("CORS_ALLOWED_ORIGINS", default=[])
CORS_URLS_REGEX = r"^/api/.*$"
CORS_ALLOW_CREDENTIALS = False  # cross-origin callers send a bearer token, never our cookies
# The frontend may read the request id of a failed call, for a user to quote it (it names that request's log lines).
CORS_EXPOSE_HEADERS = ["X-Request-ID"]
# ...except the requests that the widget makes from any customer's site: these routes (URL names) with these methods
# answer any origin (common/public_routes.py). The same path with another method is the owner's, and is not public.
PUBLIC_WIDGET_ROUTES: dict[str, list[str]] = {
    "widget-config": ["GET"],
    "analytics-sessions": ["POST"],  # GET: the owner's sessions report
    "session-interaction": ["POST"],
    "session-end": ["POST"],
    "vapi-navigation": ["GET", "POST"],
    # The legacy contract's public routes.
    "legacy-bot-status": ["GET"],  # PATCH: the owner links an assistant
    "legacy-config": ["GET"],
}

# --- Clerk (sign-in) ------------------------------------------------------------------------------------------

# Verification key for session tokens: the PEM public key (networkless; literal "\n" accepted), or the JWKS URL
# of the Clerk Frontend API (https://<frontend-api>/.well-known/jwks.json). The PEM wins when both are set.
# Pages sign in with Clerk's hosted components when this is set (pk_test_… / pk_live_…); without it, a Django login
# form (staff, and users given a password by `manage.py dev_token --password`).
CLERK_PUBLISHABLE_KEY = env.str("CLERK_PUBLISHABLE_KEY", default="")
CLERK_JWT_KEY = env.str("CLERK_JWT_KEY", default="")
CLERK_JWKS_URL = env.str("CLERK_JWKS_URL", default="")
CLERK_JWKS_CACHE_SECONDS = env.int("CLERK_JWKS_CACHE_SECONDS", default=3600)
# An unknown key id refetches the JWKS, at most this often (a rotated key is picked up; random ids are not a DoS).
CLERK_JWKS_MIN_REFETCH_SECONDS = env.float("CLERK_JWKS_MIN_REFETCH_SECONDS", default=5.0)
# Checked when set: the token's azp (the frontend origin that got it) and iss (the Clerk Frontend API URL).
CLERK_AUTHORIZED_PARTIES: list[str] = env.list("CLERK_AUTHORIZED_PARTIES", default=[])
CLERK_ISSUER = env.str("CLERK_ISSUER", default="")
# Backend API, for the profile (email, names, image) of a user's first request.
CLERK_SECRET_KEY = env.str("CLERK_SECRET_KEY", default="")
CLERK_API_URL = env.str("CLERK_API_URL", default="https://api.clerk.com/v1")
CLERK_API_TIMEOUT = env.float("CLERK_API_TIMEOUT", default=2.0)
# Svix signing secret (whsec_…) of the Clerk webhook endpoint.
CLERK_WEBHOOK_SECRET = env.str("CLERK_WEBHOOK_SECRET", default="")
# `manage.py dev_token` keeps its key pair here; it is used only while DEBUG is on and no key is configured.
CLERK_DEV_KEY_DIR = env.path("CLERK_DEV_KEY_DIR", default=BASE_DIR / "var" / "dev-clerk")

# --- Celery: tasks run eagerly, in-process, when no broker is configured (the quick start needs no Redis) -------

CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="")
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
# Without a broker, where tasks run (common/tasking.py): "background", in a worker thread of the web process that
# queued them, which also runs the beat schedule below; "inline", inside the request that queued them, with no
# schedule (the test suite's choice: synchronous and deterministic).
TASKS_WITHOUT_BROKER = env.str("TASKS_WITHOUT_BROKER", default="background").lower()
if TASKS_WITHOUT_BROKER not in ("background", "inline"):
    raise ImproperlyConfigured(f"TASKS_WITHOUT_BROKER must be background or inline, not {TASKS_WITHOUT_BROKER!r}.")
# Off: Celery cannot retry an eager task whose errors propagate, and a task's failure must not fail the web request
# that queued it (the task records its own outcome; Celery logs the error).
CELERY_TASK_EAGER_PROPAGATES = False
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# A safety net, not what keeps workers small (processing streams documents: bench/memory.py): a pool process whose
# resident memory exceeds this after a task is replaced by a fresh one. In kilobytes, as Celery counts; 0: never.
CELERY_WORKER_MAX_MEMORY_PER_CHILD = env.int("WORKER_MAX_MEMORY_MB", default=512) * 1024 or None
CELERY_TASK_IGNORE_RESULT = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULE = {
    # First activations whose scheduled time has come (also those whose queued task was lost).
    "activate-due-bots": {"task": "bots.tasks.activate_due_bots", "schedule": 60.0},
    # Bots left in ACTIVATING by a worker that died.
    "recover-stuck-activations": {"task": "bots.tasks.recover_stuck_activations", "schedule": 300.0},
    # Documents left in PROCESSING by a worker that died, or PENDING by a task that was lost.
    "recover-stuck-documents": {"task": "documents.tasks.recover_stuck_documents", "schedule": 300.0},
    # Stored files without a document (a process killed between storing a file and committing its row).
    "remove-orphaned-files": {"task": "documents.tasks.remove_orphaned_files", "schedule": 3600.0},
}
if CALL_SYNC_INTERVAL:
    # Calls whose webhook was missed are repaired from VAPI's own list.
    CELERY_BEAT_SCHEDULE["sync-calls"] = {"task": "analytics.tasks.sync_calls", "schedule": float(CALL_SYNC_INTERVAL)}

# --- VAPI and the public address VAPI and the widget use ---------------------------------------------------------

# The origin this app is reached at from the internet, e.g. https://bots.example.com. Embed codes and every URL
# given to VAPI (webhook, knowledge base) are built from it; without it, embed codes use the request's host and
# bots cannot be activated (VAPI would have nowhere to call).
PUBLIC_BASE_URL = env.str("PUBLIC_BASE_URL", default="").rstrip("/")
VAPI_PRIVATE_KEY = env.str("VAPI_PRIVATE_KEY", default="")
VAPI_PUBLIC_KEY = env.str("VAPI_PUBLIC_KEY", default="")
# The legacy /api/config route's default assistant (a demo bot on the landing page).
VAPI_ASSISTANT_ID = env.str("VAPI_ASSISTANT_ID", default="")
# The landing page's live demo: the uuid of an ACTIVE bot whose widget it embeds (no demo when empty or not active).
DEMO_BOT_UUID = env.str("DEMO_BOT_UUID", default="")
VAPI_BASE_URL = env.str("VAPI_BASE_URL", default="https://api.vapi.ai").rstrip("/")
VAPI_TIMEOUT = env.float("VAPI_TIMEOUT", default=10.0)
# The key each bot's own secret is derived from: VAPI sends that secret as the x-vapi-secret header on the bot's
# webhook and knowledge-base requests, and it answers for that bot only (bots/vapi.py). Rotation: the old key moves
# to VAPI_WEBHOOK_PREVIOUS_SECRETS (still accepted, and accepted as the shared secret of assistants made before
# per-bot secrets), `manage.py sync_assistants`, then the old key is removed (docs/vapi.md).
VAPI_WEBHOOK_SECRET = env.str("VAPI_WEBHOOK_SECRET", default="")
VAPI_WEBHOOK_PREVIOUS_SECRETS: list[str] = [key for key in env.list("VAPI_WEBHOOK_PREVIOUS_SECRETS", default=[]) if key]
# The largest server message (an end-of-call report carries the whole transcript and message list) we read; 413
# beyond. Above Django's 2.5 MB for other bodies: a long call's report must not be refused.
VAPI_WEBHOOK_MAX_MB = env.int("VAPI_WEBHOOK_MAX_MB", default=20)
VAPI_MODEL_PROVIDER = env.str("VAPI_MODEL_PROVIDER", default="openai")
VAPI_MODEL = env.str("VAPI_MODEL", default="gpt-4o-mini")
VAPI_TRANSCRIBER_PROVIDER = env.str("VAPI_TRANSCRIBER_PROVIDER", default="deepgram")
VAPI_TRANSCRIBER_MODEL = env.str("VAPI_TRANSCRIBER_MODEL", default="nova-2")
# The ElevenLabs model of every bot that does not speak English (English ones keep VAPI's default, eleven_turbo_v2,
# which is English-only): one of ElevenLabs' multilingual models. eleven_turbo_v2_5 is the one VAPI passes the bot's
# language to (bots/vapi.py).
VAPI_MULTILINGUAL_VOICE_MODEL = env.str("VAPI_MULTILINGUAL_VOICE_MODEL", default="eleven_turbo_v2_5")
_MULTILINGUAL_VOICE_MODELS = ("eleven_turbo_v2_5", "eleven_flash_v2_5", "eleven_multilingual_v2", "eleven_v3")
if VAPI_MULTILINGUAL_VOICE_MODEL not in _MULTILINGUAL_VOICE_MODELS:
    raise ImproperlyConfigured(
        f"VAPI_MULTILINGUAL_VOICE_MODEL must be one of {', '.join(_MULTILINGUAL_VOICE_MODELS)}, "
        f"not {VAPI_MULTILINGUAL_VOICE_MODEL!r}."
    )
# Activation: retries of a VAPI call that timed out or answered 429/5xx (backoff 10 s, 20 s, … up to 5 min), and
# how long a bot may stay ACTIVATING before it is considered abandoned by its worker.
BOT_ACTIVATION_MAX_RETRIES = env.int("BOT_ACTIVATION_MAX_RETRIES", default=5)
BOT_ACTIVATION_STUCK_MINUTES = env.int("BOT_ACTIVATION_STUCK_MINUTES", default=30)
# A document PROCESSING (or PENDING) longer than this lost its worker (or its task): it is queued again, and FAILED
# after 3 attempts. Longer than the processing task's time limit (10 minutes).
DOCUMENT_PROCESSING_STUCK_MINUTES = env.int("DOCUMENT_PROCESSING_STUCK_MINUTES", default=30)

# --- Logging --------------------------------------------------------------------------------------------------

LOG_LEVEL = env.str("LOG_LEVEL", default="INFO").upper()
# json: one JSON object per line, for a log collector (the default with DEBUG off); plain: readable lines. Both carry
# the request id (and Celery task id), and secrets are redacted from every record (config/monitoring/).
LOG_FORMAT = env.str("LOG_FORMAT", default="plain" if DEBUG else "json").lower()
if LOG_FORMAT not in LOG_FORMATS:
    raise ImproperlyConfigured(f"LOG_FORMAT must be one of {', '.join(LOG_FORMATS)}, not {LOG_FORMAT!r}.")
LOGGING = logging_config(level=LOG_LEVEL, log_format=LOG_FORMAT)
LOGGING_CONFIG = "config.monitoring.logs.configure_logging"  # dictConfig, and Python's warnings through it too

# --- Monitoring: readiness and Prometheus metrics (docs/monitoring.md) -------------------------------------------

# GET /api/ready waits this many seconds for the Celery broker (when one is configured) before answering 503.
READINESS_BROKER_TIMEOUT = env.float("READINESS_BROKER_TIMEOUT", default=2.0)
# GET /metrics answers a bearer token equal to METRICS_TOKEN, or a client address within METRICS_ALLOWED_IPS
# (addresses or CIDR networks; the client address of common.network.client_ip). Neither set: the route answers 404.
METRICS_TOKEN = env.str("METRICS_TOKEN", default="")
METRICS_ALLOWED_IPS: list[str] = env.list("METRICS_ALLOWED_IPS", default=[])
validate_metrics_settings(token=METRICS_TOKEN, allowed_ips=METRICS_ALLOWED_IPS)
