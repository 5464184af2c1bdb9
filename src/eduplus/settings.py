"""EduPlus settings: one module, driven by environment variables.

Defaults give the embedded mode (SQLite in ``var/``); ``DATABASE_URL`` selects
PostgreSQL for a real deployment.
"""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent
PROJECT_DIR = BASE_DIR.parent.parent
VAR_DIR = Path(os.environ.get("EDUPLUS_VAR_DIR", PROJECT_DIR / "var"))


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value not in (None, "") else default


DEBUG = env_bool("EDUPLUS_DEBUG", False)
# The embedded default is a single-machine demo; a deployment must set its own key.
SECRET_KEY = os.environ.get(
    "EDUPLUS_SECRET_KEY", "embedded-demo-key-change-me-in-production-0123456789"
)
ALLOWED_HOSTS = [
    h.strip()
    for h in os.environ.get("EDUPLUS_ALLOWED_HOSTS", "127.0.0.1,localhost").split(",")
    if h
]
CSRF_TRUSTED_ORIGINS = [
    o.strip() for o in os.environ.get("EDUPLUS_CSRF_TRUSTED_ORIGINS", "").split(",") if o.strip()
]

# The province this deployment serves (GB/T 2260 code); the model holds every province.
EDUPLUS_PROVINCE = os.environ.get("EDUPLUS_PROVINCE", "41")

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "ninja",
    "eduplus.core",
    "eduplus.regions",
    "eduplus.schools",
    "eduplus.people",
    "eduplus.accounts",
    "eduplus.monitoring",
    "eduplus.reporting",
    "eduplus.inspections",
    "eduplus.resources",
    "eduplus.governance",
    "eduplus.spaces",
    "eduplus.lessons",
    "eduplus.aggregation",
    "django_tasks",
    "django_tasks_db",
    "eduplus.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "eduplus.core.middleware.SecureHeadersMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "eduplus.core.middleware.LanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "eduplus.accounts.middleware.SessionPolicyMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "eduplus.urls"
WSGI_APPLICATION = "eduplus.wsgi.application"

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
                "eduplus.core.context_processors.navigation",
            ],
        },
    }
]

# Database: SQLite (WAL) in var/ unless DATABASE_URL says otherwise.
DATABASE_URL = os.environ.get("DATABASE_URL", "")
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}
else:
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": os.environ.get("EDUPLUS_SQLITE_PATH", str(VAR_DIR / "eduplus.sqlite3")),
            "OPTIONS": {
                "timeout": 20,
                "transaction_mode": "IMMEDIATE",
                "init_command": (
                    "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
                    "PRAGMA foreign_keys=ON; PRAGMA busy_timeout=20000; PRAGMA cache_size=-65536;"
                ),
            },
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "accounts:login"

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.Argon2PasswordHasher",
]

# Password policy, defaults after GB/T 22239 (等保 2.0) level 3: length, three of four
# character classes, not the username, periodic change, no reuse of recent passwords.
EDUPLUS_PASSWORD_MIN_LENGTH = env_int("EDUPLUS_PASSWORD_MIN_LENGTH", 8)
EDUPLUS_PASSWORD_MIN_CLASSES = env_int("EDUPLUS_PASSWORD_MIN_CLASSES", 3)
EDUPLUS_PASSWORD_MAX_AGE_DAYS = env_int("EDUPLUS_PASSWORD_MAX_AGE_DAYS", 90)
EDUPLUS_PASSWORD_HISTORY = env_int("EDUPLUS_PASSWORD_HISTORY", 5)
AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "eduplus.accounts.passwords.LengthAndClassesValidator",
    },
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "eduplus.accounts.passwords.HistoryValidator"},
]
# Lockout: this many failures within the window lock the account for the cool-off.
EDUPLUS_LOCKOUT_THRESHOLD = env_int("EDUPLUS_LOCKOUT_THRESHOLD", 5)
EDUPLUS_LOCKOUT_MINUTES = env_int("EDUPLUS_LOCKOUT_MINUTES", 30)
# Idle session timeout (minutes) and absolute session age.
EDUPLUS_IDLE_TIMEOUT_MINUTES = env_int("EDUPLUS_IDLE_TIMEOUT_MINUTES", 30)
SESSION_COOKIE_AGE = env_int("EDUPLUS_SESSION_MAX_HOURS", 12) * 3600
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
HTTPS_ONLY = env_bool("EDUPLUS_HTTPS", False)
SESSION_COOKIE_SECURE = HTTPS_ONLY
CSRF_COOKIE_SECURE = HTTPS_ONLY
SECURE_SSL_REDIRECT = HTTPS_ONLY
SECURE_HSTS_SECONDS = 31536000 if HTTPS_ONLY else 0
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SECURE_PROXY_SSL_HEADER = (
    ("HTTP_X_FORWARDED_PROTO", "https") if env_bool("EDUPLUS_BEHIND_PROXY", False) else None
)

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = os.environ.get("EDUPLUS_TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = VAR_DIR / "static"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
MEDIA_ROOT = VAR_DIR / "media"
DATA_UPLOAD_MAX_MEMORY_SIZE = 50 * 1024 * 1024

CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
    }
}
if os.environ.get("REDIS_URL"):
    CACHES["default"] = {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": os.environ["REDIS_URL"],
    }

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("EDUPLUS_LOG_LEVEL", "WARNING")},
}

NINJA_PAGINATION_PER_PAGE = 50
PAGE_SIZE = 50
FORMAT_MODULE_PATH = ["eduplus.formats"]

# Background jobs (django-tasks): the database backend in the embedded mode, worked by
# `eduplus db_worker` (make demo starts one). EDUPLUS_TASKS_IMMEDIATE=1 runs them inline.
TASKS = {
    "default": {
        "BACKEND": (
            "django_tasks.backends.immediate.ImmediateBackend"
            if os.environ.get("EDUPLUS_TASKS_IMMEDIATE")
            else "django_tasks_db.DatabaseBackend"
        ),
        "QUEUES": ["default"],
    }
}

# Data governance: uploaded source files and error reports live under var/.
GOVERNANCE_DIR = VAR_DIR / "governance"
# Identity resolution engine: "duckdb" (embedded) or "spark" (a province; needs pyspark).
GOVERNANCE_RESOLUTION_BACKEND = os.environ.get("EDUPLUS_RESOLUTION_BACKEND", "duckdb")
GOVERNANCE_SPARK_MASTER = os.environ.get("EDUPLUS_SPARK_MASTER", "local[2]")
# Resolve new batches automatically (a background job) once their import commits.
GOVERNANCE_AUTO_RESOLVE = os.environ.get("EDUPLUS_AUTO_RESOLVE", "1") == "1"
DUCKDB_THREADS = int(os.environ.get("EDUPLUS_DUCKDB_THREADS", "2"))
# Match probability at and above which two records are one person, and the band
# below it that goes to a steward's review queue.
GOVERNANCE_MATCH_THRESHOLD = float(os.environ.get("EDUPLUS_MATCH_THRESHOLD", "0.95"))
GOVERNANCE_REVIEW_THRESHOLD = float(os.environ.get("EDUPLUS_REVIEW_THRESHOLD", "0.5"))
