"""Settings for keychannel, read from KEYCHANNEL_* environment variables with safe local defaults."""

import ipaddress
import os
from pathlib import Path

import dj_database_url
from csp.constants import NONCE, NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent
PROJECT_DIR = BASE_DIR.parent


def env(name: str, default: str | None = None) -> str | None:
    return os.environ.get(f"KEYCHANNEL_{name}", default)


def env_bool(name: str, default: bool) -> bool:
    value = env(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in (env(name, default) or "").split(",") if item.strip()]


ENVIRONMENT = env("ENV", "development")
PRODUCTION = ENVIRONMENT == "production"
INSECURE_DEV_KEY = "django-insecure-keychannel-local-development-only"

SECRET_KEY = env("SECRET_KEY", None if PRODUCTION else INSECURE_DEV_KEY)
if PRODUCTION and (not SECRET_KEY or SECRET_KEY == INSECURE_DEV_KEY or len(SECRET_KEY) < 50 or len(set(SECRET_KEY)) < 5):
    raise ImproperlyConfigured(
        "KEYCHANNEL_SECRET_KEY must be set to a random value of at least 50 characters in production."
    )

DEBUG = env_bool("DEBUG", not PRODUCTION)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "" if PRODUCTION else "127.0.0.1,localhost,testserver")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    "keychannel.core.admin_site.KeychannelAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "simple_history",
    "axes",
    "ninja",
    "csp",
    "django_tasks",
    "django_tasks_db",
    "keychannel.core",
    "keychannel.network",
    "keychannel.clients",
    "keychannel.deals",
    "keychannel.channel",
    "keychannel.program",
    "keychannel.competence",
    "keychannel.sales",
    "keychannel.service",
    "keychannel.integrations",
    "keychannel.jobs",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_permissions_policy.PermissionsPolicyMiddleware",
    "keychannel.core.middleware.RejectBadTextMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "keychannel.core.middleware.KeychannelLoginRequiredMiddleware",
    "keychannel.core.middleware.PrincipalMiddleware",
    "keychannel.core.preferences.UserPreferencesMiddleware",
    "keychannel.core.partials.HtmxErrorMiddleware",
    "keychannel.core.middleware.TableExportMiddleware",
    "keychannel.core.middleware.RefusalAuditMiddleware",
    "keychannel.core.idempotency.IdempotencyMiddleware",  # API POSTs with an Idempotency-Key (docs/api.md)
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "keychannel.urls"
WSGI_APPLICATION = "keychannel.wsgi.application"

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
                "keychannel.core.context_processors.navigation",
            ],
            # money, number, percent, yesno_label on every template without a {% load %} (docs/i18n.md).
            "builtins": ["keychannel.core.templatetags.kc_format"],
        },
    }
]

DATA_DIR = Path(env("DATA_DIR", str(PROJECT_DIR / "var")))
DATABASE_URL = env("DATABASE_URL", f"sqlite:///{DATA_DIR / 'keychannel.sqlite3'}")
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=int(env("CONN_MAX_AGE", "60")))}
# The schema's triggers, indexes and statements are written for these two (docs/operations.md); refused here, once,
# rather than half-working elsewhere.
if DATABASES["default"]["ENGINE"] not in ("django.db.backends.sqlite3", "django.db.backends.postgresql"):
    raise ImproperlyConfigured("KEYCHANNEL_DATABASE_URL: keychannel runs on PostgreSQL or SQLite, not "
                               f"{DATABASES['default']['ENGINE']}.")
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    # WAL and a busy timeout let concurrent writers queue instead of failing with "database is locked".
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
    }
    DATABASES["default"]["TEST"] = {"NAME": env("TEST_SQLITE_NAME", "")} if env("TEST_SQLITE_NAME") else {}
else:
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Every history table is indexed on (history_date, record id), not on history_date alone: the audit log
# (core/audit.py) merges the tables in that order and reads a page off the indexes; by date alone one bulk write's
# rows (400k segments at one instant) had to be read and sorted for every first page (issue 22).
SIMPLE_HISTORY_DATE_INDEX = "composite"

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    "keychannel.integrations.sso.KeychannelOIDCBackend",  # does nothing unless single sign-on is configured
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "core:home"
LOGOUT_REDIRECT_URL = "login"

# Lock a username coming from one IP, not a whole IP (one office shares an address) nor a
# username from everywhere (anyone could lock out the channel director).
AXES_FAILURE_LIMIT = int(env("LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = float(env("LOGIN_COOLOFF_HOURS", "0.25"))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "keychannel.core.auth_views.locked_out"
AXES_ENABLED = env_bool("LOGIN_LOCKOUT", True)
# Plus a higher limit per client address alone (password spraying over many usernames): keychannel/core/lockout.py.
AXES_HANDLER = "keychannel.core.lockout.LockoutHandler"
KEYCHANNEL_ADDRESS_FAILURE_LIMIT = int(env("LOGIN_ADDRESS_FAILURE_LIMIT", "50"))
# The client address (lockout, API rate limits, security events) is REMOTE_ADDR; only a peer listed here (IPs or
# networks of the reverse proxies) is believed about the client, through KEYCHANNEL_CLIENT_IP_HEADER.
AXES_CLIENT_IP_CALLABLE = "keychannel.core.client_ip.client_ip"
KEYCHANNEL_TRUSTED_PROXIES = env_list("TRUSTED_PROXIES", "")
KEYCHANNEL_CLIENT_IP_HEADER = env("CLIENT_IP_HEADER", "X-Forwarded-For")
for _proxy in KEYCHANNEL_TRUSTED_PROXIES:  # a typo here must stop the start, not silently trust nobody
    try:
        ipaddress.ip_network(_proxy, strict=False)
    except ValueError as _exc:
        raise ImproperlyConfigured(f"KEYCHANNEL_TRUSTED_PROXIES: {_exc}") from None

# API tokens and rate limits (docs/api.md, docs/operations.md). A token lives KEYCHANNEL_API_TOKEN_DAYS at
# most; a user holds at most KEYCHANNEL_API_TOKENS_PER_USER live ones. Rates are "count/period" (s, m, h, d).
KEYCHANNEL_API_TOKEN_DAYS = int(env("API_TOKEN_DAYS", "90"))
KEYCHANNEL_API_TOKENS_PER_USER = int(env("API_TOKENS_PER_USER", "10"))
# A reach of more distributors than this goes into scoped queries as a subquery, not as literal ids (core/scoping.py).
KEYCHANNEL_REACH_INLINE_MAX = int(env("REACH_INLINE_MAX", "50"))
KEYCHANNEL_API_RATE_LIMIT = env("API_RATE_LIMIT", "600/m")  # per user, token or session
KEYCHANNEL_API_ANON_RATE_LIMIT = env("API_ANON_RATE_LIMIT", "60/m")  # per client address, unauthenticated
KEYCHANNEL_DUPLICATE_CHECK_RATE_LIMIT = env("DUPLICATE_CHECK_RATE_LIMIT", "60/m")  # per user
# Sync API (docs/api.md, "Sync"): how long a POST's answer is kept for its Idempotency-Key, and the bulk cap.
# bench/ and loadtest/ only: mount /bench/plain/, the plain Django view the API is measured against
# (keychannel/core/bench_views.py). Never in a deployment: refused with production settings.
KEYCHANNEL_BENCH_VIEWS = env_bool("BENCH_VIEWS", False)
if PRODUCTION and KEYCHANNEL_BENCH_VIEWS:
    raise ImproperlyConfigured("KEYCHANNEL_BENCH_VIEWS is for benchmarks only and must be off in production.")
KEYCHANNEL_IDEMPOTENCY_KEY_HOURS = int(env("IDEMPOTENCY_KEY_HOURS", "24"))
KEYCHANNEL_API_BULK_MAX = int(env("API_BULK_MAX", "200"))
KEYCHANNEL_SERVICE_PUBLIC_RATE_LIMIT = env("SERVICE_PUBLIC_RATE_LIMIT", "30/m")  # per address: public case pages
# Rate-limit counters must be shared by every gunicorn worker: by default the database holds them (the
# core_ratecounter table, one atomic upsert per request); "local" keeps them per process (one worker only);
# a redis:// URL uses Redis.
_RATE_LIMIT_CACHE = env("RATE_LIMIT_CACHE", "database") or "database"
KEYCHANNEL_RATE_LIMIT_STORE = "database" if _RATE_LIMIT_CACHE == "database" else "cache"
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
if _RATE_LIMIT_CACHE == "local":
    CACHES["ratelimit"] = {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "ratelimit"}
elif _RATE_LIMIT_CACHE != "database":
    CACHES["ratelimit"] = {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": _RATE_LIMIT_CACHE}

# Background work (docs/operations.md, "Background work"): Django's task framework (django-tasks, the backport of
# Django 6's django.tasks). KEYCHANNEL_TASKS_BACKEND chooses where tasks wait for a worker (`keychannel worker`):
#   "database"  (default) the app's own database, SQLite or PostgreSQL (django-tasks-db): nothing else to run;
#   "redis"     a Redis server at KEYCHANNEL_REDIS_URL (django-tasks-rq): workers on as many machines as needed;
#   "immediate" no queue: each task runs inside the request that enqueues it (tests, debugging).
# Every task of the project is defined with `@task` on the "default" backend below: one place to change.
TASKS_BACKEND = env("TASKS_BACKEND", "database") or "database"
REDIS_URL = env("REDIS_URL", "redis://127.0.0.1:6379/0")
_TASK_BACKENDS = {
    "database": {"BACKEND": "django_tasks_db.DatabaseBackend"},
    "redis": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]},
    "immediate": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"},
}
if TASKS_BACKEND not in _TASK_BACKENDS:
    raise ImproperlyConfigured(f"KEYCHANNEL_TASKS_BACKEND must be one of {', '.join(_TASK_BACKENDS)}.")
TASKS = {"default": _TASK_BACKENDS[TASKS_BACKEND]}
RQ_QUEUES = {"default": {"URL": REDIS_URL, "DEFAULT_TIMEOUT": int(env("TASK_TIMEOUT", "3600"))}}
if TASKS_BACKEND == "redis":
    INSTALLED_APPS.append("django_rq")
# A long job (a sales import) holds a lease it renews every KEYCHANNEL_TASK_HEARTBEAT seconds; a job whose lease
# has run out for KEYCHANNEL_TASK_LEASE seconds lost its worker and is queued again (docs/operations.md).
KEYCHANNEL_TASK_LEASE = float(env("TASK_LEASE", "120"))
KEYCHANNEL_TASK_HEARTBEAT = float(env("TASK_HEARTBEAT", "5"))
# How often a worker's housekeeping (scheduler and recovery of lost jobs) looks for work, in seconds.
KEYCHANNEL_HOUSEKEEPING_INTERVAL = float(env("HOUSEKEEPING_INTERVAL", "15"))

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("ro", _("Romanian")), ("ru", _("Russian"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env("TIME_ZONE", "Europe/Bucharest")
USE_I18N = True
USE_TZ = True
# Dates: one style per language (keychannel/formats/<lang>/formats.py). Numbers and money are grouped by the
# kc_format filters (money, number, percent), not globally: a global thousand separator would group years and ids.
FORMAT_MODULE_PATH = ["keychannel.formats"]
USE_THOUSAND_SEPARATOR = False

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # whitenoise warns on every start without it
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
MEDIA_ROOT = DATA_DIR / "media"
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
# The one upload cap (docs/operations.md): request bodies, the upload forms and the sales importer read it.
KEYCHANNEL_MAX_UPLOAD_MB = int(env("MAX_UPLOAD_MB", "20"))
DATA_UPLOAD_MAX_MEMORY_SIZE = KEYCHANNEL_MAX_UPLOAD_MB * 1024 * 1024
# Rejected and waiting sales reports (and any file they keep) are deleted after this many days (purge_uploads).
KEYCHANNEL_REJECTED_UPLOAD_DAYS = int(env("REJECTED_UPLOAD_DAYS", "30"))
WHITENOISE_USE_FINDERS = not PRODUCTION

EMAIL_BACKEND = env(
    "EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend" if PRODUCTION else "django.core.mail.backends.console.EmailBackend",
)
EMAIL_HOST = env("EMAIL_HOST", "localhost")
# Password reset links and notifications go out by mail: most SMTP relays want a port, a login and TLS.
EMAIL_PORT = int(env("EMAIL_PORT", "25"))
EMAIL_HOST_USER = env("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", "keychannel@localhost")
# The address people reach the application at (e.g. https://keychannel.example.com): links in e-mails (invitations,
# password resets) are built from it. Unset, they are built from the request that sends the mail (docs/operations.md).
# Outside production it defaults to the development server's address, so the demo and the shell can send them too.
KEYCHANNEL_SITE_URL = (env("SITE_URL", "" if PRODUCTION else "http://localhost:8000") or "").rstrip("/")
# Cases by e-mail (docs/service.md): the base address whose "+token" forms are the clients' service addresses and the
# cases' reply addresses, e.g. cases@service.example; empty turns mail-in off. `keychannel mail-in` listens on
# KEYCHANNEL_MAILIN_BIND (host:port) for the MTA that receives that domain's mail.
KEYCHANNEL_MAILIN_ADDRESS = env("MAILIN_ADDRESS", "")
KEYCHANNEL_MAILIN_BIND = env("MAILIN_BIND", "127.0.0.1:8025")
# An invitation link (set your password) works this many days, once.
KEYCHANNEL_INVITATION_DAYS = int(env("INVITATION_DAYS", "7"))
# Security events (refused logins, 403s, rate-limit refusals, lockouts, token changes) are kept this many days;
# the daily purge_security_events job deletes older ones (docs/operations.md).
KEYCHANNEL_SECURITY_EVENT_DAYS = int(env("SECURITY_EVENT_DAYS", "365"))

SESSION_COOKIE_HTTPONLY = True
# A browser session lasts KEYCHANNEL_SESSION_HOURS from the last login (Django's two weeks by default); deactivating
# a user, changing the password and "Log out everywhere" end it at once (docs/operations.md, "Hardening").
SESSION_COOKIE_AGE = int(float(env("SESSION_HOURS", "336")) * 3600)
CSRF_COOKIE_HTTPONLY = False  # HTMX reads the token from the page, not the cookie.
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
# Permissions-Policy (django-permissions-policy) on every response: no page uses a camera, microphone, location,
# payment or device API, so none may, even from injected markup or a framed page; fullscreen and clipboard
# writes stay with our own origin (browser defaults for people copying a link or reading a chart full screen).
PERMISSIONS_POLICY = {
    **{feature: [] for feature in (
        "accelerometer", "ambient-light-sensor", "autoplay", "bluetooth", "browsing-topics", "camera",
        "display-capture", "encrypted-media", "geolocation", "gyroscope", "hid", "idle-detection", "interest-cohort",
        "local-fonts", "magnetometer", "microphone", "midi", "payment", "picture-in-picture",
        "publickey-credentials-get", "screen-wake-lock", "serial", "usb", "web-share", "xr-spatial-tracking",
    )},
    "clipboard-write": ["self"],
    "fullscreen": ["self"],
}
# Content-Security-Policy (django-csp) on every response; docs/operations.md explains it. Scripts only from our
# own origin or inline blocks carrying this response's nonce ({{ request.csp_nonce }}): an injected
# <script> or on*= attribute does not run even if some output is left unescaped.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        # 'unsafe-inline' for styles only, never scripts: templates use style="" attributes, and ECharts
        # tooltips, htmx swaps, Bootstrap and the Swagger UI (/api/v1/docs) write inline style attributes.
        "style-src": [SELF, "'unsafe-inline'"],
        "img-src": [SELF, "data:"],  # Bootstrap's icons in CSS (select arrows, close buttons) are data: SVGs
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}
if PRODUCTION:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = env_bool("SSL_REDIRECT", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = int(env("HSTS_SECONDS", "31536000"))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", "INFO")},
    "loggers": {"django.request": {"level": "ERROR"}},
}

NINJA_PAGINATION_MAX_LIMIT = 500

# Single sign-on with OpenID Connect (mozilla-django-oidc; docs/sso.md). On when a client id is set. The provider's
# endpoints are given one by one (its discovery document lists them). KEYCHANNEL_OIDC_ROLE_RULES maps values of the
# KEYCHANNEL_OIDC_ROLE_CLAIM claim to roles, e.g. "kc-admins=admin, kc-dist-{distributor}-head=dist_head".
OIDC_RP_CLIENT_ID = env("OIDC_CLIENT_ID", "") or ""
KEYCHANNEL_SSO_ENABLED = bool(OIDC_RP_CLIENT_ID)
KEYCHANNEL_OIDC_PROVIDER_NAME = env("OIDC_PROVIDER_NAME", "") or ""  # on the button; empty: "your company account"
OIDC_RP_CLIENT_SECRET = env("OIDC_CLIENT_SECRET", "") or ""
OIDC_OP_AUTHORIZATION_ENDPOINT = env("OIDC_AUTHORIZATION_ENDPOINT", "") or ""
OIDC_OP_TOKEN_ENDPOINT = env("OIDC_TOKEN_ENDPOINT", "") or ""
OIDC_OP_USER_ENDPOINT = env("OIDC_USERINFO_ENDPOINT", "") or ""
OIDC_OP_JWKS_ENDPOINT = env("OIDC_JWKS_ENDPOINT", "") or None
KEYCHANNEL_OIDC_END_SESSION_ENDPOINT = env("OIDC_END_SESSION_ENDPOINT", "") or ""
OIDC_RP_SIGN_ALGO = env("OIDC_SIGN_ALGO", "RS256")
OIDC_RP_SCOPES = env("OIDC_SCOPES", "openid email profile")
KEYCHANNEL_OIDC_ROLE_CLAIM = env("OIDC_ROLE_CLAIM", "groups")
KEYCHANNEL_OIDC_ROLE_RULES = env("OIDC_ROLE_RULES", "") or ""
OIDC_USE_PKCE = True
OIDC_STORE_ID_TOKEN = True  # for RP-initiated logout (id_token_hint)
OIDC_TIMEOUT = 10
OIDC_CALLBACK_CLASS = "keychannel.integrations.sso.CallbackView"
OIDC_OP_LOGOUT_URL_METHOD = "keychannel.integrations.sso.provider_logout_url"
LOGIN_REDIRECT_URL_FAILURE = "login"

# Webhooks (docs/webhooks.md). Deliveries run as django-tasks tasks on the TASKS backend; retries wait
# BACKOFF_SECONDS × 2^(n-1) (run_after) up to MAX_ATTEMPTS; a subscription is disabled after DISABLE_AFTER failed
# attempts in a row. Endpoints on private, loopback or link-local addresses are refused unless ALLOW_PRIVATE is on.
KEYCHANNEL_WEBHOOK_MAX_ATTEMPTS = int(env("WEBHOOK_MAX_ATTEMPTS", "8"))
KEYCHANNEL_WEBHOOK_BACKOFF_SECONDS = float(env("WEBHOOK_BACKOFF_SECONDS", "60"))
KEYCHANNEL_WEBHOOK_DISABLE_AFTER = int(env("WEBHOOK_DISABLE_AFTER", "20"))
KEYCHANNEL_WEBHOOK_TIMEOUT = float(env("WEBHOOK_TIMEOUT", "10"))
KEYCHANNEL_WEBHOOK_ALLOW_PRIVATE = env_bool("WEBHOOK_ALLOW_PRIVATE", False)

# Domain settings
DEMO_PASSWORD = env("DEMO_PASSWORD", "keychannel-demo")
