"""Django settings for fairlance.

Everything that differs between a laptop demo and production comes from environment
variables (see docs/configuration.md). The defaults give a working demo on SQLite.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import dj_database_url
from csp.constants import NONCE, NONE, SELF

from fairlance.core.db_router import replica_databases
from fairlance.core.production import DEVELOPMENT_SECRET_KEY, production_problems

BASE_DIR = Path(__file__).resolve().parent
# Runtime data (SQLite file, uploaded media) lives outside the package.
VAR_DIR = Path(os.environ.get("FAIRLANCE_VAR_DIR", BASE_DIR.parent / "var"))


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


DEBUG = env_bool("DEBUG", False)
# PRODUCTION=true turns on the HTTPS-only settings below and refuses to start with
# settings that would be unsafe in public (a weak or development SECRET_KEY, DEBUG on: see
# the end of this file and fairlance/core/production.py), so a forgotten variable fails
# loudly instead of signing sessions with a key published in this repository.
PRODUCTION = env_bool("PRODUCTION", False)
# A fixed key is acceptable only for local development; PRODUCTION refuses it.
SECRET_KEY = os.environ.get("SECRET_KEY") or DEVELOPMENT_SECRET_KEY
ALLOWED_HOSTS = [
    h.strip()
    for h in os.environ.get("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",")
    if h.strip()
]
CSRF_TRUSTED_ORIGINS = [
    o.strip() for o in os.environ.get("CSRF_TRUSTED_ORIGINS", "").split(",") if o.strip()
]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "allauth",
    "allauth.account",
    "csp",
    "ninja",
    "fairlance.core",
    "fairlance.accounts",
    "fairlance.catalog",
    "fairlance.ledger",
    "fairlance.payments",
    "fairlance.contracts",
    "fairlance.quotes",
    "fairlance.reviews",
    "fairlance.files",
    "fairlance.notifications",
    "fairlance.operators",
    "fairlance.web",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Outside everything that answers on its own (static files, a refused body, error
    # pages), so that all of those carry the two policies too.
    "django_permissions_policy.PermissionsPolicyMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Before anything reads the body (the CSRF check parses a form to find its token, and
    # parsing a multipart body spools its files to disk); after the user is known, so that
    # the refusal page shows the right navigation.
    "fairlance.limits.RequestBodyLimitMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "fairlance.core.middleware.ViewerTimezoneMiddleware",
]

ROOT_URLCONF = "fairlance.urls"
WSGI_APPLICATION = "fairlance.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        # The web app's templates come first so they override allauth's pages.
        "DIRS": [BASE_DIR / "web" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------
# DATABASE_URL picks the database; the default is an SQLite file under var/.
DEFAULT_SQLITE_URL = f"sqlite:///{VAR_DIR / 'fairlance.sqlite3'}"
DATABASES: dict[str, dict[str, Any]] = {
    "default": dict(
        dj_database_url.parse(
            os.environ.get("DATABASE_URL", DEFAULT_SQLITE_URL),
            conn_max_age=int(os.environ.get("DB_CONN_MAX_AGE", "0")),
        )
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers work while a writer commits; IMMEDIATE transactions make concurrent
    # writers queue on the busy timeout instead of failing with "database is locked" when
    # they upgrade a read lock (see docs/decisions/0002-sqlite-concurrency.md).
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
    }
    DATABASES["default"]["TEST"] = {"NAME": os.environ.get("SQLITE_TEST_NAME")}
# DATABASE_REPLICA_URLS: PostgreSQL streaming standbys (comma-separated URLs), the aliases
# replica_1, replica_2… The public pages listed in fairlance/core/middleware.py read from
# one of them, unless their client wrote within FAIRLANCE_PRIMARY_AFTER_WRITE_SECONDS;
# everything else reads the primary (docs/decisions/0021-read-replicas.md). Without it
# neither the router nor the middleware is installed. A bad value stops start-up.
_replicas = replica_databases(os.environ.get("DATABASE_REPLICA_URLS", ""), DATABASES["default"])
DATABASES.update(_replicas)
FAIRLANCE_READ_REPLICAS = list(_replicas)
FAIRLANCE_PRIMARY_AFTER_WRITE_SECONDS = int(
    os.environ.get("FAIRLANCE_PRIMARY_AFTER_WRITE_SECONDS", "10")
)
if FAIRLANCE_READ_REPLICAS:
    DATABASE_ROUTERS = ["fairlance.core.db_router.ReplicaRouter"]
    # Before the session and the user are read, so that those reads are routed too.
    MIDDLEWARE.insert(
        MIDDLEWARE.index("django.contrib.sessions.middleware.SessionMiddleware"),
        "fairlance.core.middleware.ReadReplicaMiddleware",
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Accounts -------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
# One backend: an address signs in only to the account that verified it (or, until someone
# verifies it, to the sign-up whose primary address it is). See accounts/backends.py.
AUTHENTICATION_BACKENDS = ["fairlance.accounts.backends.EmailBackend"]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "web:dashboard"
ACCOUNT_LOGOUT_REDIRECT_URL = "web:home"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
# Nobody signs in with, or receives a reset for, an address they have not confirmed: an
# unconfirmed address would let anyone claim someone else's (docs/decisions/0010).
# PRODUCTION=true refuses anything but "mandatory" (core/production.py).
ACCOUNT_EMAIL_VERIFICATION = os.environ.get("ACCOUNT_EMAIL_VERIFICATION", "mandatory")
# A confirmation link opened in the browser that signed up finishes the sign-in.
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_SIGNUP_FORM_CLASS = "fairlance.accounts.forms.SignupExtraForm"
ACCOUNT_FORMS = {
    "signup": "fairlance.accounts.account_forms.SignupForm",
    "reset_password": "fairlance.accounts.account_forms.ResetPasswordForm",
    "request_login_code": "fairlance.accounts.account_forms.RequestLoginCodeForm",
    "change_password": "fairlance.accounts.account_forms.ChangePasswordForm",
}
# The way back in for an owner the password throttle slows down: a one-time code mailed to
# their verified address (/accounts/login/code/).
ACCOUNT_LOGIN_BY_CODE_ENABLED = True
# allauth's other rate limits stay (sign-up, reset and code requests per address and
# email); wrong passwords are counted by fairlance's throttle instead of allauth's
# "login_failed", which locks an account for everyone, its owner included, after 5.
ACCOUNT_RATE_LIMITS = {"login_failed": None}
# How many proxies in front of the app append to X-Forwarded-For. The password throttle
# and allauth's rate limits count clients by address; 0 (the default) believes no header.
ALLAUTH_TRUSTED_PROXY_COUNT = int(os.environ.get("TRUSTED_PROXY_COUNT", "0"))
# Sign-up and password reset answer alike whether an address is registered or not: a taken
# address gets an "account already exists" email instead of a second account. allauth can
# only do this when verification is mandatory (with it off, signing up logs the person in,
# which a taken address cannot); see docs/configuration.md.
ACCOUNT_PREVENT_ENUMERATION = True
ACCOUNT_LOGOUT_ON_GET = False
# Subjects start with "[<FAIRLANCE_SITE_NAME>] " (the adapter adds it); links and the site's
# name in allauth's emails come from the settings below, never from the request's host.
ACCOUNT_EMAIL_SUBJECT_PREFIX = None
ACCOUNT_ADAPTER = "fairlance.accounts.adapter.AccountAdapter"

# --- Email ----------------------------------------------------------------------------
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "fairlance <noreply@fairlance.localhost>")

# --- I18N, time -----------------------------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- Static and media -----------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", VAR_DIR / "staticfiles"))
MEDIA_URL = "media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", VAR_DIR / "media"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if env_bool("STATIC_MANIFEST", not DEBUG)
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
# Serve static files straight from the app folders when no collectstatic ran (demo, tests).
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG
# A request body above this is refused with 413 before anything reads it, except on the
# routes that take files, each of which has its own limit (fairlance/limits.py); Django
# itself would only count the form fields and spool any size of file to disk.
DATA_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024

# --- Security (production) ------------------------------------------------------------
SECURE_PROXY_SSL_HEADER = (
    ("HTTP_X_FORWARDED_PROTO", "https") if env_bool("BEHIND_TLS_PROXY", False) else None
)
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG and env_bool("PRODUCTION", False))
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", env_bool("PRODUCTION", False))
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", env_bool("PRODUCTION", False))
SECURE_HSTS_SECONDS = int(
    os.environ.get("SECURE_HSTS_SECONDS", "31536000" if env_bool("PRODUCTION", False) else "0")
)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("PRODUCTION", False)
SECURE_HSTS_PRELOAD = env_bool("PRODUCTION", False)
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

# --- Content-Security-Policy and Permissions-Policy (every mode) -----------------------
# Scripts and styles come only from our own static files; the two inline scripts (the
# contract room's and the checkout's) carry the request's nonce. Pages have no inline
# style (the stylesheet has a class for everything) and htmx is told not to inject its
# own (the htmx-config meta tag in base.html). data: images are the empty favicon and the
# API docs' icons. Django's debug pages (DEBUG only) go without, as django-csp decides.
# A response that sets its own policy keeps it: file downloads are sandboxed
# (fairlance/files/responses.py). See docs/decisions/0009-security-headers-and-limits.md.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "object-src": [NONE],
        "base-uri": [SELF],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
    }
}
# Powerful features nothing on the site uses, denied to the site and anything it embeds:
# an injected script cannot ask for the camera or a payment sheet either.
PERMISSIONS_POLICY: dict[str, list[str]] = {
    feature: []
    for feature in (
        "accelerometer",
        "autoplay",
        "browsing-topics",
        "camera",
        "display-capture",
        "encrypted-media",
        "geolocation",
        "gyroscope",
        "hid",
        "idle-detection",
        "magnetometer",
        "microphone",
        "midi",
        "payment",
        "publickey-credentials-get",
        "screen-wake-lock",
        "serial",
        "usb",
        "xr-spatial-tracking",
    )
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
}

# --- fairlance ------------------------------------------------------------------------
# How emails name the site and where their links point (the public origin, no trailing
# slash needed): an email is read far from the request that caused it, so neither comes
# from a request's host.
FAIRLANCE_SITE_NAME = os.environ.get("FAIRLANCE_SITE_NAME", "fairlance")
FAIRLANCE_SITE_URL = os.environ.get("FAIRLANCE_SITE_URL", "http://127.0.0.1:8000").rstrip("/")
FAIRLANCE_CURRENCY = os.environ.get("FAIRLANCE_CURRENCY", "USD")
# Serve uploaded media from Django itself (demo and single-machine installs). Behind a
# real web server, set SERVE_MEDIA=false and let it serve MEDIA_ROOT.
SERVE_MEDIA = env_bool("SERVE_MEDIA", True)
# "sandbox" (the built-in test card processor) or the dotted path of a PaymentProvider class.
FAIRLANCE_PAYMENT_PROVIDER = os.environ.get("FAIRLANCE_PAYMENT_PROVIDER", "sandbox")
# Days a sandbox card hold (a request's authorization) lasts before a capture fails.
FAIRLANCE_SANDBOX_HOLD_DAYS = int(os.environ.get("FAIRLANCE_SANDBOX_HOLD_DAYS", "7"))
# Seconds a request with an Idempotency-Key holds the key while it runs; a retry after that
# runs it again (its process is presumed dead), and the worker gives back what a purchase
# that died took once it is this old. Above the longest a purchase can take.
FAIRLANCE_IDEMPOTENCY_LEASE_SECONDS = int(
    os.environ.get("FAIRLANCE_IDEMPOTENCY_LEASE_SECONDS", "30")
)
# The benchmark's baseline views (/bench/baseline, /bench/baseline-db); off in production.
FAIRLANCE_BENCH_VIEWS = env_bool("FAIRLANCE_BENCH_VIEWS", False)
# Seconds search remembers how many projects contain a word, which only decides the join
# order of a several-word query (results never depend on it). 0 turns it off (tests do).
FAIRLANCE_SEARCH_TERM_COUNT_SECONDS = int(
    os.environ.get("FAIRLANCE_SEARCH_TERM_COUNT_SECONDS", "600")
)
# Seconds search may answer a repeated search from the ranking it computed before (Django's
# cache, keyed by the words, filters, sort and cursor). New and edited projects reach
# search results within this time; a paused or unpublished project, or a suspended
# freelancer's, is hidden at once (the cards are always read live), and searches for
# available freelancers are never cached. 0 turns it off (tests do). See docs/search.md.
FAIRLANCE_SEARCH_RESULTS_SECONDS = int(os.environ.get("FAIRLANCE_SEARCH_RESULTS_SECONDS", "10"))
# Seconds a project's cached parts (tiers, add-ons, questions, FAQ, gallery) and rendered
# page fragment may live. They are keyed by the project's version (updated_at), so edits
# show at once; this only bounds memory and writes that bypass the catalog services.
# 0 turns the cache off (tests do).
FAIRLANCE_PROJECT_CACHE_SECONDS = int(os.environ.get("FAIRLANCE_PROJECT_CACHE_SECONDS", "3600"))
# The project page and API prepare their two statements once per PostgreSQL connection
# (planning cost more than running them). Turn off behind a transaction-pooling PgBouncer.
FAIRLANCE_PREPARED_READS = env_bool("FAIRLANCE_PREPARED_READS", True)
# Django's cache: per process (LocMemCache) unless configured otherwise; a shared backend
# (Redis, memcached) would serve every worker from one copy. LocMemCache's default of 300
# entries keeps almost nothing at catalog scale (two entries per viewed project, ~4 KB).
# CACHE_URL=redis://host:6379/0 puts it in Redis instead, shared by every process: then the
# password throttle and allauth's rate limits count each client once, not once per worker.
CACHE_URL = os.environ.get("CACHE_URL", "")


def redis_caches(url: str) -> dict[str, dict[str, Any]]:
    """CACHES for the Redis at ``url``: every process given the same URL shares them.

    Keys are prefixed by the alias, so the throttle's never meet the catalog's. Search's
    keys also carry the database's name, so databases sharing one Redis (the benchmark's
    sizes, say) never read each other's rankings; the other entries (categories, project
    parts, throttle counts) do not, so give each deployment its own Redis database (the
    ``/N`` of the URL)."""
    return {
        alias: {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": url,
            "KEY_PREFIX": alias,
        }
        for alias in ("default", "throttle")
    }


CACHES: dict[str, dict[str, Any]]
if CACHE_URL:
    CACHES = redis_caches(CACHE_URL)
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "OPTIONS": {"MAX_ENTRIES": int(os.environ.get("FAIRLANCE_CACHE_MAX_ENTRIES", "20000"))},
        },
        # The password throttle's counts, apart so that busy catalog pages never push them
        # out of a full cache.
        "throttle": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "throttle",
            "OPTIONS": {"MAX_ENTRIES": 100_000},
        },
    }
# The password throttle (accounts/throttle.py): wrong passwords allowed per account and
# client address before waits start, per address across accounts and per account across
# addresses; the longest wait (each failure doubles it: 1 s, 2 s, 4 s...); and how long
# failures are remembered after the last one.
FAIRLANCE_LOGIN_FREE_FAILURES = int(os.environ.get("FAIRLANCE_LOGIN_FREE_FAILURES", "3"))
FAIRLANCE_LOGIN_FREE_FAILURES_PER_ADDRESS = int(
    os.environ.get("FAIRLANCE_LOGIN_FREE_FAILURES_PER_ADDRESS", "30")
)
FAIRLANCE_LOGIN_FREE_FAILURES_PER_ACCOUNT = int(
    os.environ.get("FAIRLANCE_LOGIN_FREE_FAILURES_PER_ACCOUNT", "30")
)
FAIRLANCE_LOGIN_MAX_DELAY_SECONDS = int(os.environ.get("FAIRLANCE_LOGIN_MAX_DELAY_SECONDS", "900"))
FAIRLANCE_LOGIN_FAILURE_MEMORY_SECONDS = int(
    os.environ.get("FAIRLANCE_LOGIN_FAILURE_MEMORY_SECONDS", "86400")
)

# --- Refusals -------------------------------------------------------------------------
# Last, so that every value is final. The list of what production refuses is
# fairlance/core/production.py; everything wrong is reported at once.
if PRODUCTION and (_problems := production_problems(globals())):
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured(
        "PRODUCTION=true refuses to start:\n" + "\n".join(f"- {p}" for p in _problems)
    )
