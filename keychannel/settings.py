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
    "keychannel.core",
    "keychannel.network",
    "keychannel.clients",
    "keychannel.deals",
    "keychannel.channel",
    "keychannel.program",
    "keychannel.competence",
    "keychannel.sales",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "csp.middleware.CSPMiddleware",
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

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
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
KEYCHANNEL_API_RATE_LIMIT = env("API_RATE_LIMIT", "600/m")  # per user, token or session
KEYCHANNEL_API_ANON_RATE_LIMIT = env("API_ANON_RATE_LIMIT", "60/m")  # per client address, unauthenticated
KEYCHANNEL_DUPLICATE_CHECK_RATE_LIMIT = env("DUPLICATE_CHECK_RATE_LIMIT", "60/m")  # per user
# Rate-limit counters must be shared by every gunicorn worker: by default the database holds them (a table
# that `migrate` creates); "local" keeps them per process (one worker only); a redis:// URL uses Redis.
_RATE_LIMIT_CACHE = env("RATE_LIMIT_CACHE", "database") or "database"
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "ratelimit": (
        {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "ratelimit"}
        if _RATE_LIMIT_CACHE == "local"
        else {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": _RATE_LIMIT_CACHE}
        if _RATE_LIMIT_CACHE.startswith(("redis://", "rediss://"))
        else {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "keychannel_cache",
            # Counters of past windows are deleted once the table passes this size (Django's cull).
            "OPTIONS": {"MAX_ENTRIES": 20000},
        }
    ),
}

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

SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False  # HTMX reads the token from the page, not the cookie.
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
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

# Domain settings
DEMO_PASSWORD = env("DEMO_PASSWORD", "keychannel-demo")
