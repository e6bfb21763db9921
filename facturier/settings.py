"""Django settings for Facturier. Everything that differs between machines comes from the environment.

The variables are listed, with their defaults, in README.md ("Configuration").
"""

from pathlib import Path

import dj_database_url
import django_stubs_ext
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from facturier.env import env_bool, env_int, env_list, env_str, secret_key

# Strict typing names the model of a ModelAdmin or ModelForm (`admin.ModelAdmin[Account]`); Django's own
# classes cannot be subscripted at run time until this gives them a __class_getitem__.
django_stubs_ext.monkeypatch()

BASE_DIR = Path(__file__).resolve().parent.parent
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
    "facturier.web",
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
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "facturier.accounts.middleware.UserLanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "facturier.web.middleware.ServiceErrorMiddleware",
]

ROOT_URLCONF = "facturier.urls"
# Forms render through the templates below ("django.forms" above provides Django's widget templates),
# so templates/django/forms/ can replace one of them.
FORM_RENDERER = "django.forms.renderers.TemplatesSetting"
WSGI_APPLICATION = "facturier.wsgi.application"

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
                "django.template.context_processors.i18n",
                "facturier.web.context_processors.shell",
            ],
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
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = ["django.contrib.auth.backends.ModelBackend"]
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

# Login throttling: this many failures for one email or one IP within the window lock further tries.
LOGIN_MAX_FAILURES = env_int("LOGIN_MAX_FAILURES", 5)
LOGIN_FAILURE_WINDOW_MINUTES = env_int("LOGIN_FAILURE_WINDOW_MINUTES", 15)

LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", _("Français")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Europe/Paris"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = VAR_DIR / "media"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

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

# --- Background jobs: django-tasks with the database backend (worker: manage.py db_worker).
TASKS = {"default": {"BACKEND": env_str("TASKS_BACKEND", "django_tasks_db.DatabaseBackend")}}

# --- Cache, shared by every web process (the API's rate limit counters live in it): a table of the
# database by default (created by migrate), Redis with FACTURIER_CACHE_URL=redis://host:6379/0 (needs the
# `redis` package), or locmem:// for a single process. Entries live at least one rate window, so a
# counter that the database cache rewrites (its incr resets the expiry) outlives its window.
CACHE_URL = env_str("FACTURIER_CACHE_URL")
CACHE_TIMEOUT = max(300, env_int("FACTURIER_API_RATE_WINDOW", 600))
if CACHE_URL.startswith(("redis://", "rediss://", "unix://")):
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": CACHE_URL,
            "TIMEOUT": CACHE_TIMEOUT,
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
    else "django.contrib.sessions.backends.cached_db"
)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if env_bool("BEHIND_TLS_PROXY", False) else None
X_FRAME_OPTIONS = "DENY"
MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    # factur-x logs every step of every file at INFO: our commands and pages say what matters.
    "loggers": {"factur-x": {"level": "WARNING"}},
}
