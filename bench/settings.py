"""Settings for the benchmark: the project's own, pointed at a throw-away
PostgreSQL database, with DEBUG off as on the clinic's server.

Only what a laptop cannot provide is changed: no HTTPS (loopback), plain static
file storage (no collectstatic), and a URLconf that adds the bare reference view.
"""

import os

# The project's settings refuse to start without these when DEBUG is off.
os.environ["DEBUG"] = "0"
os.environ.setdefault("SECRET_KEY", "bench-only-" + "x" * 50)
os.environ.setdefault("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver")

import dj_database_url  # noqa: E402

from rehab.settings import *  # noqa: E402, F403
from rehab.settings import DATABASES  # noqa: E402

BENCH_DATABASE_URL = os.environ.get(
    "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/rehab_bench"
)
DATABASES = {
    **DATABASES,
    # Persistent connections, as a server would keep them.
    "default": dj_database_url.parse(BENCH_DATABASE_URL, conn_max_age=60),
}
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "testserver"]
ROOT_URLCONF = "bench.urls"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Loopback only: no TLS in front of the benchmark server.
SECURE_SSL_REDIRECT = False
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
SECURE_HSTS_SECONDS = 0
# Quiet: a warning per refused request would drown the table.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "ERROR"},
}
