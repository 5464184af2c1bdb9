"""Fast test profile: cheap hasher, in-memory cache; DATABASE_URL or
EDUPLUS_TEST_DATABASE_URL selects PostgreSQL, otherwise SQLite."""

import os

os.environ.setdefault("EDUPLUS_VAR_DIR", os.path.join(os.getcwd(), "var", "test"))
if os.environ.get("EDUPLUS_TEST_DATABASE_URL"):
    os.environ["DATABASE_URL"] = os.environ["EDUPLUS_TEST_DATABASE_URL"]

from eduplus.settings import *  # noqa: F403
from eduplus.settings import DATABASES

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    DATABASES["default"]["TEST"] = {
        "NAME": os.path.join(os.environ["EDUPLUS_VAR_DIR"], "test.sqlite3")
    }
DEBUG = False
# Serve static files from the app directories in tests (no collectstatic needed).
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
os.makedirs(os.path.join(os.environ["EDUPLUS_VAR_DIR"], "static"), exist_ok=True)
# Background tasks run inline in tests.
TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
# Parallel runs (pytest -n): each worker its own governance files (the columnar copies
# are named by batch id, which every worker's database starts at 1).
if os.environ.get("PYTEST_XDIST_WORKER"):
    from eduplus.settings import GOVERNANCE_DIR

    GOVERNANCE_DIR = GOVERNANCE_DIR.with_name(
        f"{GOVERNANCE_DIR.name}-{os.environ['PYTEST_XDIST_WORKER']}"
    )
