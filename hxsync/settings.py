"""hxsync settings, read from the environment (and an optional .env) through django-environ.

Two profiles:
- embedded default (DEBUG on, nothing set): SQLite under var/, django-q2 ORM broker, generated
  secret key and field-encryption key kept under var/.
- production (DEBUG=false): SECRET_KEY, FIELD_ENCRYPTION_KEYS and ALLOWED_HOSTS are required;
  HTTPS-only cookies, HSTS and SSL redirect are on. See README "Production".
"""

import os
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

from hxsync.local_secrets import local_field_encryption_key, local_secret_key

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(environ.Env().str("HXSYNC_VAR_DIR", default=str(BASE_DIR / "var")))

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=True)

if DEBUG:
    SECRET_KEY = env.str("SECRET_KEY", default="") or local_secret_key(VAR_DIR)
    FIELD_ENCRYPTION_KEYS = env.list("FIELD_ENCRYPTION_KEYS", default=[]) or [
        local_field_encryption_key(VAR_DIR)
    ]
    ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])
else:
    SECRET_KEY = env.str("SECRET_KEY", default="")
    FIELD_ENCRYPTION_KEYS = env.list("FIELD_ENCRYPTION_KEYS", default=[])
    ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=[])
    if not SECRET_KEY or not FIELD_ENCRYPTION_KEYS or not ALLOWED_HOSTS:
        raise ImproperlyConfigured(
            "With DEBUG=false set SECRET_KEY, FIELD_ENCRYPTION_KEYS (newest first) and "
            "ALLOWED_HOSTS in the environment or .env; see README 'Production'."
        )

CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_q",
    "import_export",
    "syncapp",
    "mappings",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "hxsync.urls"

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
                "syncapp.context_processors.demo",
            ],
        },
    },
]

WSGI_APPLICATION = "hxsync.wsgi.application"

DATABASES = {
    "default": env.db_url("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'hxsync.sqlite3'}")
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The web process and the worker share one file: WAL lets readers run beside the writer,
    # IMMEDIATE takes the write lock at BEGIN (no lock upgrade deadlock), and the timeout
    # makes a writer wait instead of raising "database is locked".
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 30,
    }
    # A file, not memory, so worker processes started by tests share the test database;
    # one per test process, so two test runs on one machine do not share it.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / f"test_hxsync_{os.getpid()}.sqlite3")}
    VAR_DIR.mkdir(parents=True, exist_ok=True)
else:
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-gb"
TIME_ZONE = env.str("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(VAR_DIR / "static")))
if not DEBUG:
    # runserver serves static files in the embedded default; gunicorn needs WhiteNoise.
    MIDDLEWARE.insert(1, "whitenoise.middleware.WhiteNoiseMiddleware")
    STORAGES = {
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
        "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
    }

LOGIN_URL = "admin:login"

REDIS_URL = env.str("REDIS_URL", default="")

if REDIS_URL:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# django-q2: a run may take a while on a large firm; `retry` must exceed `timeout` or a task
# still running would be handed to a second worker (django-q2 docs, "Configure").
Q_CLUSTER = {
    "name": env.str("Q_CLUSTER_NAME", default="hxsync"),
    "workers": env.int("Q_WORKERS", default=2),
    "timeout": env.int("Q_TIMEOUT", default=1800),
    "retry": env.int("Q_RETRY", default=1860),
    "max_attempts": 1,
    "save_limit": 500,
    "catch_up": False,
    "poll": 0.5,
    "label": "Background tasks",
}
if REDIS_URL:
    Q_CLUSTER["redis"] = REDIS_URL
else:
    Q_CLUSTER["orm"] = "default"
if Q_CLUSTER["retry"] <= Q_CLUSTER["timeout"]:
    raise ImproperlyConfigured("Q_RETRY must be greater than Q_TIMEOUT")

# One writer per integration: a run beats its heartbeat while it works; one silent for longer
# than the timeout (worker killed, machine lost) is abandoned and its lease freed for the next.
HXSYNC_RUN_TIMEOUT_SECONDS = env.int("HXSYNC_RUN_TIMEOUT_SECONDS", default=300)
HXSYNC_RUN_HEARTBEAT_SECONDS = env.float("HXSYNC_RUN_HEARTBEAT_SECONDS", default=10.0)
if HXSYNC_RUN_HEARTBEAT_SECONDS * 3 > HXSYNC_RUN_TIMEOUT_SECONDS:
    raise ImproperlyConfigured(
        "HXSYNC_RUN_HEARTBEAT_SECONDS must be at most a third of HXSYNC_RUN_TIMEOUT_SECONDS"
    )

# A run waiting for a rate limit sleeps in its worker at most this long (Harvest's 15-second
# window fits); a longer wait gives the worker back and the run resumes by itself when due.
HXSYNC_RUN_MAX_SLEEP_SECONDS = env.float("HXSYNC_RUN_MAX_SLEEP_SECONDS", default=15.0)

# How often payments are polled (minutes) without and with Xero webhooks; each poll is one Xero
# call. Unset without webhooks: as often as the organisation's day allows (every 8 minutes on
# Xero's Starter tier, 2 on a paid one).
PAYMENTS_POLL_MINUTES = env.int("PAYMENTS_POLL_MINUTES", default=None)
PAYMENTS_POLL_MINUTES_WITH_WEBHOOKS = env.int("PAYMENTS_POLL_MINUTES_WITH_WEBHOOKS", default=120)
# A full /Payments read catches what the invoice-based poll cannot see (a payment deleted alone).
PAYMENTS_SWEEP_MINUTES = env.int("PAYMENTS_SWEEP_MINUTES", default=720)
# An idle contacts poll reads Xero's contacts this often (Harvest's changes are read every poll).
CONTACTS_XERO_POLL_MINUTES = env.int("CONTACTS_XERO_POLL_MINUTES", default=60)
CONTACTS_XERO_POLL_MINUTES_WITH_WEBHOOKS = env.int(
    "CONTACTS_XERO_POLL_MINUTES_WITH_WEBHOOKS", default=360
)
# Scheduled runs refresh Xero's chart, tax rates and currencies at most this often.
XERO_SETTINGS_POLL_MAX_AGE_HOURS = env.int("XERO_SETTINGS_POLL_MAX_AGE_HOURS", default=24)

# Xero's day allowance per organisation (1,000 calls on the Starter tier, 5,000 on paid ones):
# the share polls may keep for themselves; bulk work uses the rest and waits when it is spent.
HXSYNC_XERO_POLL_SHARE = env.float("HXSYNC_XERO_POLL_SHARE", default=0.3)
if not 0 < HXSYNC_XERO_POLL_SHARE < 1:
    raise ImproperlyConfigured("HXSYNC_XERO_POLL_SHARE must be between 0 and 1, e.g. 0.3")

# Who is told, in the admin and in the User-Agent sent to Harvest, how to reach this install.
HXSYNC_CONTACT_EMAIL = env.str("HXSYNC_CONTACT_EMAIL", default="finance@example.com")

# Alerts (budget crossings) go out through Django's mail. Until EMAIL_URL names a server
# (smtp+tls://user:password@host:587), messages are written as files under var/mail, so the
# embedded default never tries a mail server it does not have and nothing leaves the machine.
if env.str("EMAIL_URL", default=""):
    vars().update(env.email_url("EMAIL_URL"))
else:
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = str(VAR_DIR / "mail")
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="hxsync <hxsync@localhost>")
# Where links in e-mails point (the admin's public address), e.g. https://hxsync.example.com
HXSYNC_PUBLIC_URL = env.str("HXSYNC_PUBLIC_URL", default="http://127.0.0.1:8000")
# OAuth apps registered with Harvest (id.getharvest.com/developers) and Xero (developer.xero.com).
# Empty: Harvest connects by personal access token; Xero cannot connect until they are set
# (the sandbox brings its own demo app).
HARVEST_CLIENT_ID = env.str("HARVEST_CLIENT_ID", default="")
HARVEST_CLIENT_SECRET = env.str("HARVEST_CLIENT_SECRET", default="")
XERO_CLIENT_ID = env.str("XERO_CLIENT_ID", default="")
XERO_CLIENT_SECRET = env.str("XERO_CLIENT_SECRET", default="")
# Empty: the granular scopes Xero requires of apps created from March 2026 (providers.xero.oauth).
XERO_SCOPES = env.list("XERO_SCOPES", default=[])
# Empty: built from the request (must equal what the vendor app has registered).
XERO_REDIRECT_URI = env.str("XERO_REDIRECT_URI", default="")
HARVEST_REDIRECT_URI = env.str("HARVEST_REDIRECT_URI", default="")
# Xero webhook signing key (developer.xero.com > your app > Webhooks); per-integration keys win.
XERO_WEBHOOK_KEY = env.str("XERO_WEBHOOK_KEY", default="")
# The demo: `manage.py start` seeds and serves the Harvest/Xero simulators and connects to them.
# Never on in production unless asked for; the product itself never needs the sandbox.
HXSYNC_SANDBOX = env.bool("HXSYNC_SANDBOX", default=DEBUG)
SANDBOX_PORT = env.int("SANDBOX_PORT", default=8700)
HXSYNC_SPECS_DIR = env.str("HXSYNC_SPECS_DIR", default=str(BASE_DIR.parent / "shared" / "specs"))

IMPORT_EXPORT_IMPORT_PERMISSION_CODE = "change"
IMPORT_EXPORT_EXPORT_PERMISSION_CODE = "view"
IMPORT_EXPORT_SKIP_ADMIN_LOG = False

LOG_LEVEL = env.str("LOG_LEVEL", default="INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"redact_secrets": {"()": "hxsync.logging.RedactSecretsFilter"}},
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
    },
    "handlers": {
        "stdout": {
            "class": "logging.StreamHandler",
            "stream": "ext://sys.stdout",
            "formatter": "plain",
            "filters": ["redact_secrets"],
        },
    },
    "root": {"handlers": ["stdout"], "level": LOG_LEVEL},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "httpx": {"level": "WARNING"},
        "httpcore": {"level": "WARNING"},
    },
}

if not DEBUG:
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    if env.bool("BEHIND_TLS_PROXY", default=True):
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=True)
    SECURE_CONTENT_TYPE_NOSNIFF = True
    SECURE_REFERRER_POLICY = "same-origin"
    X_FRAME_OPTIONS = "DENY"
