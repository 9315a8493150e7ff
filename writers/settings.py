"""Writers settings: every value comes from the environment, and no value is required.

With no environment at all Writers runs in development mode on SQLite and the embedded Redis
that `make run` starts. README.md lists every variable.
"""

from __future__ import annotations

import os
import secrets
import socket
import tempfile
from datetime import timedelta
from pathlib import Path
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def envbool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in ("1", "true", "yes", "on")


def envint(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value not in (None, "") else default


def envfloat(name: str, default: float) -> float:
    value = os.environ.get(name)
    return float(value) if value not in (None, "") else default


def envlist(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = envbool("DEBUG", True)

STORAGE_ROOT = Path(os.environ.get("STORAGE_ROOT") or BASE_DIR / "var" / "storage").resolve()
# Code derives uploads/, results/ and models/ from STORAGE_ROOT when it needs them, so tests
# can point STORAGE_ROOT elsewhere with override_settings.
STORAGE_ROOT.mkdir(parents=True, exist_ok=True)
# Uploads, results, the database and the generated secrets are nobody else's business on this
# machine: the processes create files private (manage.py, wsgi.py and asgi.py set umask 077) and
# the directory that holds them is closed to other users, also when an older install made it open.
if STORAGE_ROOT.stat().st_uid == os.geteuid() and STORAGE_ROOT.stat().st_mode & 0o077:
    STORAGE_ROOT.chmod(0o700)

# Where stored bytes live (uploads, results, thumbnails, normalised audio, attachments):
# `local` files under STORAGE_ROOT, or `s3`, an S3-compatible object store, so that web and
# workers on different hosts share them (tasks_app.blobs). STORAGE_ROOT keeps what is each
# machine's own either way: models, scratch copies, the embedded Redis and SQLite.
STORAGE_BACKEND = os.environ.get("STORAGE_BACKEND", "local").strip().lower() or "local"
if STORAGE_BACKEND not in ("local", "s3"):
    raise ImproperlyConfigured(f"STORAGE_BACKEND must be local or s3, not {STORAGE_BACKEND!r}.")
S3_ENDPOINT_URL = os.environ.get("S3_ENDPOINT_URL") or None
S3_BUCKET = os.environ.get("S3_BUCKET", "")
S3_ACCESS_KEY_ID = os.environ.get("S3_ACCESS_KEY_ID") or None
S3_SECRET_ACCESS_KEY = os.environ.get("S3_SECRET_ACCESS_KEY") or None
S3_REGION = os.environ.get("S3_REGION") or None
# A key prefix inside the bucket, so that several installs (or tests) can share one.
S3_PREFIX = os.environ.get("S3_PREFIX", "").strip("/")
# Downloads answered with a redirect to a short-lived signed URL of the store (the bytes then
# bypass the web), instead of streamed through the web.
S3_PRESIGNED_DOWNLOADS = envbool("S3_PRESIGNED_DOWNLOADS", False)
S3_PRESIGNED_SECONDS = envint("S3_PRESIGNED_SECONDS", 300)
# How long a request to the store may wait for a connection: an unreachable store must turn into
# a clear error within a request's time, not botocore's default minute.
S3_CONNECT_TIMEOUT_SECONDS = envfloat("S3_CONNECT_TIMEOUT_SECONDS", 3.0)
if STORAGE_BACKEND == "s3" and not S3_BUCKET:
    raise ImproperlyConfigured("STORAGE_BACKEND=s3 needs S3_BUCKET (and S3_ENDPOINT_URL, keys).")


def generated_secret(name: str) -> str:
    """A random secret kept in STORAGE_ROOT/`name` (mode 0600), made by the first process that
    needs it: it survives restarts. Written aside and linked into place, so processes starting
    together all read the one complete secret."""
    path = STORAGE_ROOT / name
    if not path.exists():
        descriptor, draft = tempfile.mkstemp(dir=STORAGE_ROOT, prefix=f".{name}.")
        with os.fdopen(descriptor, "w") as file:
            file.write(secrets.token_urlsafe(50))
        try:
            os.link(draft, path)
        except FileExistsError:
            pass
        finally:
            os.unlink(draft)
    return path.read_text().strip()


# Unset, a random key is generated once and kept beside the data (0600), with DEBUG on or off: it
# survives restarts, so sessions and tokens do too, and nobody can guess it as they could a
# placeholder left in a config file.
SECRET_KEY = os.environ.get("SECRET_KEY") or generated_secret("secret_key")
# The machine's own name too: `make run` answers at http://<hostname>:PORT where that reaches it.
ALLOWED_HOSTS = envlist(
    "ALLOWED_HOSTS",
    f"localhost,127.0.0.1,[::1],{socket.gethostname()}" + (",*" if DEBUG else ""),
)
CSRF_TRUSTED_ORIGINS = envlist("CSRF_TRUSTED_ORIGINS")
CORS_ALLOWED_ORIGINS = envlist("CORS_ORIGINS")
CORS_ALLOW_CREDENTIALS = True
PORT = envint("PORT", 8000)

INSTALLED_APPS = [
    # Admin modules load with the URLs (writers/urls.py), not in every process: the worker, its
    # supervisor and the clock would otherwise import every app's admin and services (18 MiB each).
    "django.contrib.admin.apps.SimpleAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "rest_framework",
    "rest_framework_simplejwt.token_blacklist",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_rq",
    "django_htmx",
    "django_prometheus",
    "corsheaders",
    "accounts",
    "tasks_app",
    "transcription",
]

# Every middleware here must be able to run async: the web serves under ASGI, where one sync-only
# middleware would make a thread wait out each OpenAI request (writers/asgi_middleware.py).
MIDDLEWARE = [
    "writers.asgi_middleware.StreamInThreadMiddleware",
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    "writers.logging.RequestIdMiddleware",
    # Before anything reads a body: too large is 413 everywhere (writers.limits).
    "writers.limits.RequestSizeLimitMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "writers.asgi_middleware.StaticFilesMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "accounts.middleware.JWTCookieMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # The object store down while a view reads stored bytes: 503 storage_unavailable, not 500.
    "writers.unavailable.StoreUnavailableMiddleware",
    "django_prometheus.middleware.PrometheusAfterMiddleware",
]

ROOT_URLCONF = "writers.urls"
WSGI_APPLICATION = "writers.wsgi.application"
ASGI_APPLICATION = "writers.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "tasks_app.integrations.context_processors.notifications",
            ],
        },
    },
]
# Django's form renderer with <select> written in Python (writers/renderers.py: same markup).
FORM_RENDERER = "writers.renderers.Renderer"

# Database: SQLite under the storage dir unless DATABASE_URL says otherwise.
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{STORAGE_ROOT / 'writers.sqlite3'}",
        conn_max_age=envint("DB_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
# A pool of PostgreSQL connections per process, for the web (writers/asgi.py sets DB_POOL): under
# ASGI each request closes its connection as it finishes and would otherwise connect anew.
if envbool("DB_POOL", False) and DATABASES["default"]["ENGINE"].endswith("postgresql"):
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": 2,
        "max_size": envint("DB_POOL_SIZE", 10),
        "timeout": 30,
    }
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    # WAL lets the web and the worker read while the other writes; IMMEDIATE avoids
    # "database is locked" on upgrade from a read to a write lock.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
IS_POSTGRES = DATABASES["default"]["ENGINE"].startswith("django.db.backends.postgresql")
# django-prometheus' wrappers of the same backends count queries, errors and connections.
DATABASES["default"]["ENGINE"] = DATABASES["default"]["ENGINE"].replace(
    "django.db.backends.", "django_prometheus.db.backends.", 1
)

# Redis: one server, separate databases for the cache (throttling) and queues.
# Without REDIS_URL, `make run` starts an embedded Redis (transcription's embedded_redis command)
# on a unix socket under STORAGE_ROOT: no TCP port to collide with another Redis or another
# Writers. It holds pickled jobs and cache entries: whoever can write to it runs code as Writers,
# so it has a password too, and its directory is the app's alone.
REDIS_SOCKET = STORAGE_ROOT / "redis" / "redis.sock"
EMBEDDED_REDIS = not os.environ.get("REDIS_URL")
REDIS_URL = (
    os.environ.get("REDIS_URL")
    or f"unix://:{generated_secret('redis_password')}@{quote(str(REDIS_SOCKET))}"
)
REDIS_QUEUE_DB = envint("REDIS_QUEUE_DB", 2)
REDIS_CACHE_DB = envint("REDIS_CACHE_DB", 1)


def redis_url_with_db(url: str, db: int) -> str:
    parts = urlsplit(url)
    if parts.scheme == "unix":
        # A socket's URL path is the socket: the database goes in the query.
        query = urlencode([*[(k, v) for k, v in parse_qsl(parts.query) if k != "db"], ("db", db)])
        return urlunsplit((parts.scheme, parts.netloc, parts.path, query, parts.fragment))
    return urlunsplit((parts.scheme, parts.netloc, f"/{db}", parts.query, parts.fragment))


CACHES = {
    "default": {
        # One client and pool per process (writers.cache): under ASGI each request would
        # otherwise build its own client and open a Redis connection of its own.
        "BACKEND": "writers.cache.RedisCache",
        "LOCATION": redis_url_with_db(REDIS_URL, REDIS_CACHE_DB),
        "KEY_PREFIX": "writers",
        "OPTIONS": {
            "socket_connect_timeout": 2,
            "socket_timeout": 2,
        },
    }
}

JOB_TIMEOUT_SECONDS = envint("JOB_TIMEOUT_SECONDS", 4 * 3600)
RQ_QUEUES = {
    name: {
        "URL": redis_url_with_db(REDIS_URL, REDIS_QUEUE_DB),
        "DEFAULT_TIMEOUT": JOB_TIMEOUT_SECONDS,
        "SOCKET_CONNECT_TIMEOUT": 2,
        "SOCKET_TIMEOUT": 10,
    }
    # schedules: jobs that RQ's scheduler releases when due (manage.py schedules_worker).
    for name in ("media", "default", "schedules")
}
RQ_SHOW_ADMIN_LINK = True
# django-rq would defer every enqueue to the end of the transaction on its own; Writers calls
# enqueue_task from transaction.on_commit itself and needs to see a Redis failure where it happens.
RQ = {"COMMIT_MODE": "auto"}

# Accounts and auth
AUTH_USER_MODEL = "accounts.User"
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.BCryptSHA256PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "/login"
LOGIN_REDIRECT_URL = "/dashboard"
ACCESS_TOKEN_EXPIRE_MINUTES = envint("ACCESS_TOKEN_EXPIRE_MINUTES", 30)
REFRESH_TOKEN_EXPIRE_DAYS = envint("REFRESH_TOKEN_EXPIRE_DAYS", 7)
# A sign-in ends this many days after it began, however often its refresh token was rotated.
SESSION_MAX_DAYS = envint("SESSION_MAX_DAYS", 30)
SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=ACCESS_TOKEN_EXPIRE_MINUTES),
    "REFRESH_TOKEN_LIFETIME": timedelta(days=REFRESH_TOKEN_EXPIRE_DAYS),
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
    "UPDATE_LAST_LOGIN": True,
    "ALGORITHM": "HS256",
    "SIGNING_KEY": SECRET_KEY,
    "USER_ID_FIELD": "id",
    "USER_ID_CLAIM": "user_id",
}
# Browsers reach the site over HTTPS (directly or through a TLS proxy): the default of the Secure
# cookies, the redirect to HTTPS and HSTS below. `make run` serves plain HTTP on loopback and sets
# it off; a production deploy with DEBUG off has it on unless it says otherwise.
HTTPS = envbool("HTTPS", not DEBUG)
# Behind the bundled nginx: file endpoints check ownership and name the file in X-Accel-Redirect,
# and nginx sends the bytes (and answers byte ranges) from its internal /protected/ location.
X_ACCEL_REDIRECT = envbool("X_ACCEL_REDIRECT", False)
AUTH_COOKIE_SECURE = envbool("AUTH_COOKIE_SECURE", HTTPS)
PASSWORD_RESET_TIMEOUT = envint("PASSWORD_RESET_TIMEOUT", 3600)

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["accounts.authentication.JWTCookieOrBearerAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "writers.schema.WritersAutoSchema",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_THROTTLE_RATES": {
        "auth_ip": os.environ.get("THROTTLE_AUTH_IP", "20/min"),
        "auth_account": os.environ.get("THROTTLE_AUTH_ACCOUNT", "10/min"),
        "auth_account_failures": os.environ.get("THROTTLE_AUTH_ACCOUNT_FAILURES", "30/hour"),
        "openai": os.environ.get("THROTTLE_OPENAI", "60/min"),
    },
    # How many reverse proxies append to X-Forwarded-For: the throttles trust that many entries
    # and no more (0: the peer address), so a client cannot pick its own IP for the rate limit.
    "NUM_PROXIES": envint("NUM_PROXIES", 0),
    "EXCEPTION_HANDLER": "writers.api.exception_handler",
    "UNAUTHENTICATED_USER": None,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Writers API",
    "DESCRIPTION": "Audio transcription and task manager.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # Task and webhook delivery both have a `status`; each gets its own enum name.
    "ENUM_NAME_OVERRIDES": {
        "StatusEnum": "tasks_app.models.Status",
        "DeliveryStatusEnum": "tasks_app.integrations.models.DeliveryStatus",
        # analysis_status and speakers_status: one follow-up job's states.
        "FollowUpStatusEnum": "tasks_app.models.AnalysisStatus",
        "ScheduleActionEnum": "tasks_app.schedules.models.Action",
    },
}

# Uploads and transcription
MAX_UPLOAD_BYTES = envint("MAX_UPLOAD_BYTES", 100 * 1024 * 1024)
MAX_AUDIO_SECONDS = envint("MAX_AUDIO_SECONDS", 4 * 3600)
# Uploads a web process probes at once (tasks_app.uploads.probe_upload), and how long an upload
# waits for a free slot before it is refused with 503.
PROBE_CONCURRENCY = envint("PROBE_CONCURRENCY", 2)
PROBE_QUEUE_SECONDS = envfloat("PROBE_QUEUE_SECONDS", 5)
# Uploads stream to a temporary file beyond this size instead of being held in memory.
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_TEMP_DIR = None
MODEL_NAME = os.environ.get("MODEL_NAME", "base")
MODEL_DEVICE = os.environ.get("MODEL_DEVICE", "auto")
MODEL_DEVICE_INDEX = envint("MODEL_DEVICE_INDEX", 0)
MODEL_COMPUTE_TYPE = os.environ.get("MODEL_COMPUTE_TYPE", "")
MODEL_CPU_THREADS = envint("MODEL_CPU_THREADS", 1)
# Models a worker holds, least recently used evicted; 0: one on a CPU, by free VRAM on a GPU.
MODEL_CACHE_SIZE = envint("MODEL_CACHE_SIZE", 0)
# A recording longer than this (seconds; 0: never) is decoded batched on the devices listed,
# where make bench-batched measured it faster at no cost in WER (bench/RESULTS.md).
BATCHED_LONG_SECONDS = envfloat("BATCHED_LONG_SECONDS", 60)
BATCHED_DEVICES = envlist("BATCHED_DEVICES", "cpu")
# A recording longer than this (seconds; 0: never) is cut at pauses into pieces that idle
# workers transcribe side by side (transcription.pieces); no piece is shorter than half of it.
CHUNK_MIN_SECONDS = envfloat("CHUNK_MIN_SECONDS", 120)
WORKER_QUEUE = os.environ.get("WORKER_QUEUE", "media,default")
# Workers take the next job round robin among users (transcription.fairness); off: FIFO.
FAIR_QUEUES = envbool("FAIR_QUEUES", True)
WORKER_CONCURRENCY = envint("WORKER_CONCURRENCY", 0)
WORKER_MAX_TASKS_PER_CHILD = envint("WORKER_MAX_TASKS_PER_CHILD", 0)
WORKER_LOG_LEVEL = os.environ.get("WORKER_LOG_LEVEL", "INFO")
MAX_ATTEMPTS = envint("MAX_ATTEMPTS", 3)
HEARTBEAT_SECONDS = envfloat("HEARTBEAT_SECONDS", 5)
HEARTBEAT_GRACE_SECONDS = envfloat("HEARTBEAT_GRACE_SECONDS", 60)
# How long a worker keeps trying to store a finished result while the object store is away.
STORE_RETRY_SECONDS = envfloat("STORE_RETRY_SECONDS", 60)
SWEEPER_INTERVAL_SECONDS = envfloat("SWEEPER_INTERVAL_SECONDS", 30)
ENABLE_RESOURCE_MONITORING = envbool("ENABLE_RESOURCE_MONITORING", True)
VRAM_WARNING_THRESHOLD = envfloat("VRAM_WARNING_THRESHOLD", 0.85)
RAM_WARNING_THRESHOLD = envfloat("RAM_WARNING_THRESHOLD", 0.90)
DASHBOARD_POLL_SECONDS = envint("DASHBOARD_POLL_SECONDS", 10)
# Deleted tasks wait in the Trash this long before `manage.py purge_deleted` removes them.
TRASH_RETENTION_HOURS = envfloat("TRASH_RETENTION_HOURS", 24)
# How old a web process's queue schedule (ETAs) may get before a thread of it gets the next one,
# worked out by one web process at a time and shared through Redis; requests answer from the old
# one meanwhile (transcription.services.eta_for_states).
ETA_CACHE_SECONDS = envfloat("ETA_CACHE_SECONDS", 2)

# Integrations (tasks_app.integrations): webhooks, notifications, retention, the OpenAI endpoint.
# By default the address of `make run`'s web (WEB_PORT: the Makefile's PORT).
SITE_URL = os.environ.get("SITE_URL") or f"http://127.0.0.1:{envint('WEB_PORT', PORT)}"
INTEGRATIONS_TICK_SECONDS = envfloat("INTEGRATIONS_TICK_SECONDS", 5)
WEBHOOK_TIMEOUT_SECONDS = envfloat("WEBHOOK_TIMEOUT_SECONDS", 10)
WEBHOOK_MAX_ATTEMPTS = envint("WEBHOOK_MAX_ATTEMPTS", 8)
WEBHOOK_RETRY_BASE_SECONDS = envfloat("WEBHOOK_RETRY_BASE_SECONDS", 30)
# Webhooks never go to loopback or private addresses, except to these networks (CIDR).
WEBHOOK_ALLOWED_NETWORKS = envlist("WEBHOOK_ALLOWED_NETWORKS")
# Ports webhooks may be sent to: single ports and ranges, comma-separated.
WEBHOOK_ALLOWED_PORTS = os.environ.get("WEBHOOK_ALLOWED_PORTS", "80,443,1024-65535")
# Deliveries posted at the same time, in all and per user (one user's dead receivers hold at most
# their own share).
WEBHOOK_CONCURRENCY = envint("WEBHOOK_CONCURRENCY", 8)
WEBHOOK_PER_USER_CONCURRENCY = envint("WEBHOOK_PER_USER_CONCURRENCY", 2)
# How long POST /v1/audio/transcriptions waits for its task before answering 202.
OPENAI_WAIT_SECONDS = envfloat("OPENAI_WAIT_SECONDS", 120)

# Mail: files under the storage dir unless an SMTP host is configured.
EMAIL_HOST = os.environ.get("EMAIL_HOST", "")
if EMAIL_HOST:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_PORT = envint("EMAIL_PORT", 587)
    EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
    EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
    EMAIL_USE_TLS = envbool("EMAIL_USE_TLS", True)
else:
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = STORAGE_ROOT / "mail"
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "Writers <writers@localhost>")

# Internationalization: English and Persian (right to left).
LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("fa", "فارسی")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = os.environ.get("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "var" / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # whitenoise warns on every start without it
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

# Security: strict over HTTPS (above); a TLS-terminating proxy sets X-Forwarded-Proto.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = envbool("SECURE_SSL_REDIRECT", HTTPS)
SECURE_REDIRECT_EXEMPT = [r"^health", r"^metrics"]
SECURE_HSTS_SECONDS = envint("SECURE_HSTS_SECONDS", 31536000 if HTTPS else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_HSTS_PRELOAD = envbool("SECURE_HSTS_PRELOAD", False)
# Preloading is a lasting promise for the whole domain that the operator makes on purpose, so it
# stays off by default and the deploy check's reminder about it (W021) is silenced until then.
SILENCED_SYSTEM_CHECKS = [] if SECURE_HSTS_PRELOAD else ["security.W021"]
SESSION_COOKIE_SECURE = AUTH_COOKIE_SECURE
CSRF_COOKIE_SECURE = AUTH_COOKIE_SECURE
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

LOG_FORMAT = os.environ.get("LOG_FORMAT", "plain")  # plain | json
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"context": {"()": "writers.logging.ContextFilter"}},
    "formatters": {
        "plain": {
            "format": "%(asctime)s %(levelname)s %(name)s [req=%(request_id)s task=%(task_id)s] "
            "%(message)s"
        },
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(request_id)s %(task_id)s %(message)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        },
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "json" if LOG_FORMAT == "json" else "plain",
            "filters": ["context"],
        }
    },
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}

# /metrics: open on a private network by default; set a token and/or networks to restrict it.
METRICS_TOKEN = os.environ.get("METRICS_TOKEN", "")
METRICS_ALLOWED_NETWORKS = envlist("METRICS_ALLOWED_NETWORKS")
