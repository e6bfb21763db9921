"""Django settings for Facturier. Everything that differs between machines comes from the environment.

The variables are listed, with their defaults, in README.md ("Configuration").
"""

from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
import django_stubs_ext
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from facturier.env import env_bool, env_float, env_int, env_list, env_networks, env_str, secret_key
from facturier.ops import tasks
from facturier.ops.logs import logging_config
from facturier.ops.storage import s3_storage

# Strict typing names the model of a ModelAdmin or ModelForm (`admin.ModelAdmin[Account]`); Django's own
# classes cannot be subscripted at run time until this gives them a __class_getitem__.
django_stubs_ext.monkeypatch()

BASE_DIR = Path(__file__).resolve().parent.parent
# The templates, static files and translations ship inside the package (so does a wheel): found from here,
# wherever the package is installed.
PACKAGE_DIR = Path(__file__).resolve().parent
VAR_DIR = Path(env_str("FACTURIER_VAR_DIR") or BASE_DIR / "var")

DEBUG = env_bool("DEBUG", False)
SECRET_KEY = secret_key(VAR_DIR, DEBUG)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
FACTURIER_BASE_URL = env_str("FACTURIER_BASE_URL", "http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.forms",
    # PostgreSQL's index types and operator classes (the search's trigram indexes); inert on SQLite.
    "django.contrib.postgres",
    "django_htmx",
    "django_tasks",
    "django_tasks_db",
    "facturier.accounts",
    "facturier.tenancy",
    # Two-factor authentication: django-otp's TOTP devices and static tokens (the recovery codes), and
    # passkeys through django-otp-webauthn; facturier.mfa (after them: it replaces their admin) holds the
    # pages, the policy and its enforcement.
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "django_otp_webauthn",
    "facturier.mfa",
    "facturier.web",
    "facturier.ops",
    "facturier.billing",
    "facturier.purchases",
    "facturier.firm",
    "facturier.reports",
    "facturier.exports",
    "facturier.einvoice",
    "facturier.webhooks",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "facturier.api",
]
# Demo accounts (`seed_demo`) and the benchmark dataset (`generate_dataset`): on in development and tests,
# off in production unless asked for. No domain app imports it, so leaving it out removes only commands.
FACTURIER_DEVDATA = env_bool("FACTURIER_DEVDATA", DEBUG)
if FACTURIER_DEVDATA:
    INSTALLED_APPS.append("facturier.devdata")

MIDDLEWARE = [
    # /healthz, /readyz and /metrics, answered before host validation and sessions (facturier/ops/health.py);
    # then every other request gets its id (ops/logs.py) and is counted (ops/metrics.py).
    "facturier.ops.health.HealthMiddleware",
    "facturier.ops.middleware.RequestIdMiddleware",
    "facturier.ops.metrics.MetricsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "facturier.accounts.middleware.UserLanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "facturier.mfa.middleware.SecondFactorMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "facturier.ops.middleware.ContentSecurityPolicyMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "facturier.web.middleware.ServiceErrorMiddleware",
]

ROOT_URLCONF = "facturier.urls"
# Forms render through the templates below ("django.forms" above provides Django's widget templates),
# so facturier/templates/django/forms/ can replace one of them.
FORM_RENDERER = "django.forms.renderers.TemplatesSetting"
WSGI_APPLICATION = "facturier.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [PACKAGE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "facturier.web.context_processors.shell",
            ],
            # money and quantity filters in every template: one writing of numbers (web/templatetags).
            "builtins": ["facturier.web.templatetags.formats"],
        },
    },
]

# --- Database: SQLite under var/ by default, PostgreSQL (or any URL dj-database-url reads) otherwise.
DATABASE_URL = env_str("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'facturier.sqlite3'}"
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=env_int("DB_CONN_MAX_AGE", 0))}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web process read while the worker writes; IMMEDIATE transactions take the write
    # lock up front, so two writers queue instead of failing with "database is locked" mid-way. A page
    # cache of 64 MB and a memory map of 256 MB per connection (SQLite's defaults: 2 MB, none) keep a
    # large account's list and reports from re-reading the same pages from one query to the next.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON; "
            "PRAGMA cache_size=-65536; PRAGMA mmap_size=268435456;"
        ),
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
# A streaming replica of the PostgreSQL primary for the report pages (facturier/ops/replica.py): reads
# marked for it, outside any transaction of the primary; the primary for everything else. In tests it
# mirrors the default database.
DATABASE_REPLICA_URL = env_str("DATABASE_REPLICA_URL")
if DATABASE_REPLICA_URL:
    DATABASES["replica"] = {
        **dj_database_url.parse(DATABASE_REPLICA_URL, conn_max_age=env_int("DB_CONN_MAX_AGE", 0)),
        "TEST": {"MIRROR": "default"},
    }
    DATABASE_ROUTERS = ["facturier.ops.replica.ReplicaRouter"]
    # After a write, the user's reports read from the primary for this many seconds (the replica's lag).
    MIDDLEWARE.insert(
        MIDDLEWARE.index("facturier.ops.middleware.RequestIdMiddleware") + 1,
        "facturier.ops.replica.RecentWriteMiddleware",
    )
DATABASE_REPLICA_READ_YOUR_WRITES = env_int("DATABASE_REPLICA_READ_YOUR_WRITES", 10)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
# Django's ModelBackend behind the login throttle: every password check goes through it.
AUTHENTICATION_BACKENDS = ["facturier.accounts.throttle.ThrottledModelBackend"]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "accounts:home"
LOGOUT_REDIRECT_URL = "accounts:login"
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
PASSWORD_RESET_TIMEOUT = 3 * 24 * 3600

# Login throttling (facturier/accounts/throttle.py): this many failures within the window lock one email
# from one IP, or one email from anywhere; each new lock within a day lasts twice as long, up to the maximum.
LOGIN_MAX_FAILURES = env_int("LOGIN_MAX_FAILURES", 5)
LOGIN_MAX_FAILURES_PER_EMAIL = env_int("LOGIN_MAX_FAILURES_PER_EMAIL", 20)
LOGIN_FAILURE_WINDOW_MINUTES = env_int("LOGIN_FAILURE_WINDOW_MINUTES", 15)
LOGIN_LOCK_MAX_MINUTES = env_int("LOGIN_LOCK_MAX_MINUTES", 24 * 60)
# Emails that anyone can have sent to an address (sign-up and password reset links): at most this many
# to one address within the window, whether or not it has a user (facturier/accounts/services.py).
ACCOUNT_EMAILS_PER_ADDRESS = env_int("ACCOUNT_EMAILS_PER_ADDRESS", 5)
ACCOUNT_EMAILS_WINDOW_MINUTES = env_int("ACCOUNT_EMAILS_WINDOW_MINUTES", 60)

# Two-factor authentication (facturier/mfa, docs/security.md). The issuer is the name authenticator apps
# show next to the code. Passkeys (WebAuthn) are bound to the host of FACTURIER_BASE_URL, and browsers
# offer them on https sites and on http://localhost only: elsewhere (an IP address, plain http) they are
# left out of the pages, and django-otp-webauthn's checks of its origin settings are silenced.
OTP_TOTP_ISSUER = "Facturier"
_BASE = urlsplit(FACTURIER_BASE_URL)
FACTURIER_PASSKEYS = _BASE.scheme == "https" or _BASE.hostname == "localhost"
OTP_WEBAUTHN_RP_NAME = "Facturier"
OTP_WEBAUTHN_RP_ID = _BASE.hostname or ""
OTP_WEBAUTHN_ALLOWED_ORIGINS = [f"{_BASE.scheme}://{_BASE.netloc}"] if FACTURIER_PASSKEYS else []
# A passkey is a second factor here, after the password, never a way in on its own.
OTP_WEBAUTHN_ALLOW_PASSWORDLESS_LOGIN = False
SILENCED_SYSTEM_CHECKS = [] if FACTURIER_PASSKEYS else ["otp_webauthn.E030", "otp_webauthn.E031"]

LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", _("Français")), ("en", _("English"))]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
TIME_ZONE = "Europe/Paris"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [PACKAGE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = VAR_DIR / "media"
# Uploaded and generated files (receipts, logos, issued PDFs, imports, exports): the local folder MEDIA_ROOT
# for one machine, or an S3-compatible object store shared by every web and worker process when
# FACTURIER_S3_BUCKET is set (django-storages; credentials from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY
# or the machine's role, as boto3 finds them). Files are private: links to them are signed for an hour.
S3_BUCKET = env_str("FACTURIER_S3_BUCKET")


STORAGES = {
    "default": s3_storage(
        S3_BUCKET,
        env_str("FACTURIER_S3_ENDPOINT_URL"),
        env_str("FACTURIER_S3_REGION"),
        env_str("FACTURIER_S3_PREFIX"),
    )
    if S3_BUCKET
    else {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # WhiteNoise's hashed and compressed copies once `collectstatic` made them; until then the package's
    # own files, found by WhiteNoise through the finders (facturier/ops/staticfiles.py; check ops.W001).
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "facturier.ops.staticfiles.StaticFilesStorage"
    },
}
# In production WhiteNoise also serves the files the finders see (the package's, the apps'); in development
# Django's runserver does, from the same finders.
WHITENOISE_USE_FINDERS = not DEBUG

# --- Uploads: every upload path applies these (facturier/lib/uploads.py; docs/security.md, "Uploads").
_MB = 1024 * 1024
UPLOAD_LIMITS = {
    "file_bytes": env_int("UPLOAD_MAX_FILE_MB", 10) * _MB,  # one file (receipt, e-invoice)
    "request_bytes": env_int("UPLOAD_MAX_REQUEST_MB", 40) * _MB,  # the files of one form together
    "files": env_int("UPLOAD_MAX_FILES", 50),  # files in one form field
    "image_pixels": env_int("UPLOAD_MAX_IMAGE_MEGAPIXELS", 50) * 1_000_000,  # a scanned receipt
    "logo_bytes": 2 * _MB,
    "logo_pixels": 10_000_000,  # printed on every PDF: decoded at each rendering
    "xml_bytes": 10 * _MB,  # an e-invoice's XML, on its own or once extracted from its PDF
    "pdf_pages": 1000,  # a received Factur-X
    "pdf_embedded_files": 100,  # attachments of a Factur-X looked at to find its XML
    "pdf_stream_bytes": 8 * _MB,  # any other compressed stream of a received PDF, once inflated
}
# Checks the limits above while the request is read: an oversized file never reaches a temporary file.
FILE_UPLOAD_HANDLERS = [
    "facturier.lib.uploads.UploadLimitHandler",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]

# --- Email: SMTP when EMAIL_HOST is set, else one file per message under var/mail/ (the dev outbox).
EMAIL_HOST = env_str("EMAIL_HOST")
EMAIL_FILE_PATH = VAR_DIR / "mail"
EMAIL_BACKEND = env_str(
    "EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend"
    if EMAIL_HOST
    else "django.core.mail.backends.filebased.EmailBackend",
)
EMAIL_PORT = env_int("EMAIL_PORT", 587)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", True)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
EMAIL_TIMEOUT = 30
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Facturier <no-reply@facturier.localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Background jobs: django-tasks with the database backend (worker: manage.py run_worker, as many as
# needed). Another backend is refused here, with the reason (facturier/ops/tasks.py).
TASKS = {"default": {"BACKEND": tasks.task_backend(env_str("TASKS_BACKEND", tasks.DATABASE), DEBUG)}}

# --- Cache, shared by every web process (sessions are read through it): a table of the database by
# default (created by migrate), Redis with FACTURIER_CACHE_URL=redis://host:6379/0, or locmem:// for a
# single process. The login and API rate counters are not kept here but in
# a table of their own (facturier/accounts/counters.py), counted atomically whatever the cache.
CACHE_URL = env_str("FACTURIER_CACHE_URL")
CACHE_TIMEOUT = 300
if CACHE_URL.startswith(("redis://", "rediss://", "unix://")):
    CACHES = {
        "default": {
            # Redis down = an empty cache, not a 500 (facturier/lib/cache.py); half a second at most to
            # connect or answer, so a dead server cannot hold requests.
            "BACKEND": "facturier.lib.cache.ResilientRedisCache",
            "LOCATION": CACHE_URL,
            "TIMEOUT": CACHE_TIMEOUT,
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }
elif CACHE_URL == "locmem://":
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "TIMEOUT": CACHE_TIMEOUT}
    }
elif not CACHE_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "facturier_cache",
            "TIMEOUT": CACHE_TIMEOUT,
            "OPTIONS": {"MAX_ENTRIES": 10_000},
        }
    }
else:
    raise ImproperlyConfigured(
        f"FACTURIER_CACHE_URL must be redis://..., rediss://..., unix://... or locmem://, got {CACHE_URL!r}."
    )

# --- Public JSON API (facturier/api, docs/api.md), compatible with VosFactures / Fakturownia.
# With a base domain such as "api.example.com", the host "acme.api.example.com" names the account "acme"
# (ALLOWED_HOSTS must then admit ".api.example.com"); empty, the account comes from the token alone.
FACTURIER_API_BASE_DOMAIN = env_str("FACTURIER_API_BASE_DOMAIN").lower().strip(".")
# Webhooks (facturier/webhooks) go to public https addresses only; hosts listed here may also be reached
# over http and on private or loopback addresses (a receiver on the same network, tests, development).
FACTURIER_WEBHOOK_ALLOWED_HOSTS = [host.lower() for host in env_list("FACTURIER_WEBHOOK_ALLOWED_HOSTS", [])]
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["facturier.api.auth.ApiTokenAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["facturier.api.auth.IsAccountMember"],
    "DEFAULT_PARSER_CLASSES": ["facturier.api.parsers.LenientJSONParser"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "facturier.api.parsers.JSONOnlyNegotiation",
    "EXCEPTION_HANDLER": "facturier.api.errors.exception_handler",
    "DEFAULT_THROTTLE_CLASSES": ["facturier.api.throttling.ApiRateThrottle"],
    "DEFAULT_SCHEMA_CLASS": "facturier.api.schema.ApiAutoSchema",
    "UNAUTHENTICATED_USER": None,
}
# Rate limits (facturier/api/throttling.py): requests per window per token, and per IP without a token
# (/login.json, the OpenAPI document). 0 turns a limit off.
FACTURIER_API_RATE_LIMIT = env_int("FACTURIER_API_RATE_LIMIT", 1000)
FACTURIER_API_RATE_LIMIT_ANONYMOUS = env_int("FACTURIER_API_RATE_LIMIT_ANONYMOUS", 100)
FACTURIER_API_RATE_WINDOW = env_int("FACTURIER_API_RATE_WINDOW", 600)
# HTTP Basic (facturier/api/auth.py): how long a verified email and password are remembered (in the
# cache, under an HMAC of the pair), so that repeated calls skip the password hash. 0: hash every call.
FACTURIER_API_BASIC_VERIFIED_SECONDS = env_int("FACTURIER_API_BASIC_VERIFIED_SECONDS", 300)
SPECTACULAR_SETTINGS = {
    "TITLE": "Facturier API",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    # The documentation page's scripts are served from our static files, never from a CDN.
    "REDOC_DIST": "SIDECAR",
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "facturier.api.schema.decimals_as_strings",
    ],
}

# Sessions: Django's cached_db, read from the cache above and written through to the database (which
# answers when the cache lost them). A locmem:// cache belongs to one process: another process would
# keep serving a session from its own copy after a logout, so sessions then live in the database alone.
SESSION_ENGINE = (
    "django.contrib.sessions.backends.db"
    if CACHES["default"]["BACKEND"] == "django.core.cache.backends.locmem.LocMemCache"
    else "facturier.accounts.sessions"  # Django's cached_db (facturier/accounts/sessions.py)
)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
# The proxies in front of the web processes (load balancer, reverse proxy): comma-separated addresses or
# CIDRs. A request from one of them is attributed to the address it names in X-Forwarded-For (read from
# the right, through trusted hops only: facturier/lib/network.py); any other request to its own peer.
# The login throttle, the API's per-IP limit and the audit trail use that address.
FACTURIER_TRUSTED_PROXIES = env_networks("FACTURIER_TRUSTED_PROXIES")
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if env_bool("BEHIND_TLS_PROXY", False) else None
# HTTPS in production (docs/deployment.md): redirect plain http, and tell browsers to come back only over
# https for SECURE_HSTS_SECONDS (start small, then a year: 31536000). The health endpoints answer before the
# redirect, so a load balancer may probe them over http.
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", False)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", False)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
# A Content-Security-Policy sent with every response when FACTURIER_CSP holds one (facturier/ops/middleware.py;
# the recommended policy is in docs/deployment.md); FACTURIER_CSP_REPORT_ONLY=true sends it as
# Content-Security-Policy-Report-Only first, to see what it would block before enforcing it.
FACTURIER_CSP = env_str("FACTURIER_CSP")
FACTURIER_CSP_REPORT_ONLY = env_bool("FACTURIER_CSP_REPORT_ONLY", False)
X_FRAME_OPTIONS = "DENY"
MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"

# Logs on the standard error: one JSON object per line by default in production (LOG_FORMAT=json, for a log
# collector), readable text in development (LOG_FORMAT=text); every line carries the request's id.
LOG_FORMAT = env_str("LOG_FORMAT", "text" if DEBUG else "json")
if LOG_FORMAT not in ("json", "text"):
    raise ImproperlyConfigured(f"LOG_FORMAT must be json or text, got {LOG_FORMAT!r}.")
LOGGING = logging_config(json=LOG_FORMAT == "json", level=env_str("LOG_LEVEL", "INFO"))

# Prometheus metrics at /metrics for a scraper sending `Authorization: Bearer <token>`; off without a token.
FACTURIER_METRICS_TOKEN = env_str("FACTURIER_METRICS_TOKEN")

# Error reporting to Sentry (or any Sentry-compatible service, e.g. GlitchTip) when SENTRY_DSN is set:
# unhandled errors of the web processes and the worker, tagged with the request id; no personal data
# (send_default_pii off), a share of requests traced when SENTRY_TRACES_SAMPLE_RATE is above 0.
SENTRY_DSN = env_str("SENTRY_DSN")
if SENTRY_DSN:
    import sentry_sdk

    from facturier.ops.errors import scrub_event

    sentry_sdk.init(
        dsn=SENTRY_DSN,
        environment=env_str("SENTRY_ENVIRONMENT", "production"),
        traces_sample_rate=env_float("SENTRY_TRACES_SAMPLE_RATE", 0.0),
        send_default_pii=False,
        # Requests carry API tokens (query string, JSON body) and the buyers' data: none of it leaves.
        include_local_variables=False,
        max_request_body_size="never",
        before_send=scrub_event,
    )
