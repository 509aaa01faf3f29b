"""Settings for runxin. Everything deployment-specific comes from the environment (see README)."""

from datetime import timedelta
from pathlib import Path

from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured

from .env import database_from_url, envbool, envint, envlist, envstr, field_keys, secret_keys

BASE_DIR = Path(__file__).resolve().parent
VAR_DIR = Path(envstr("RUNXIN_VAR_DIR", str(BASE_DIR.parent / "var")))

DEBUG = envbool("DEBUG", False)
ALLOWED_HOSTS = envlist("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = envlist("CSRF_TRUSTED_ORIGINS", [])
SITE_URL = envstr("SITE_URL", "http://127.0.0.1:8000")

# The demo city waives the second factor for its demo accounts and says so on every page.
DEMO_MODE = envbool("RUNXIN_DEMO", False)
SECOND_FACTOR_WAIVED = envbool("RUNXIN_WAIVE_SECOND_FACTOR", DEMO_MODE)

# SECRET_KEY signs sessions and the questionnaire pass: outside the demo and DEBUG the server refuses to start
# without a real one. SECRET_KEY_FALLBACKS (comma-separated) keeps old keys valid while rotating.
SECRET_KEY, SECRET_KEY_FALLBACKS = secret_keys(allow_dev_key=DEBUG or DEMO_MODE)
# Seals students' unused first passwords (accounts/sealed.py): a Fernet key; unset, one derived from SECRET_KEY.
CREDENTIAL_KEY = envstr("RUNXIN_CREDENTIAL_KEY", "")
# Encrypts case records at rest (counseling notes, referrals, plans: django-encrypted-model-fields). Env
# RUNXIN_FIELD_KEYS: comma-separated Fernet keys, newest first; every key decrypts, the first encrypts, so a key is
# rotated by putting a new one in front and running `runxin reencrypt-fields`. Unset: keys derived from SECRET_KEY
# and its fallbacks (fine for the demo; production sets its own, kept apart from the database backups).
FIELD_ENCRYPTION_KEY = field_keys(envstr("RUNXIN_FIELD_KEYS", ""), SECRET_KEY, SECRET_KEY_FALLBACKS)

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "axes",
    "auditlog",
    "django_htmx",
    "csp",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "runxin.accounts",
    "runxin.org",
    "runxin.people",
    "runxin.access",
    "runxin.audit",
    "runxin.imports",
    "runxin.screening",
    "runxin.notify",
    "runxin.alerts",
    "runxin.visits",
    "runxin.counseling",
    "runxin.referrals",
    "runxin.cases",
    "runxin.analytics",
    "runxin.demo",
    "runxin.front",
    "runxin.api",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "runxin.front.csp.CSPMiddleware",  # django-csp's, the header built once per process
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "axes.middleware.AxesMiddleware",
    "runxin.audit.middleware.AuditContextMiddleware",  # auditlog's context, set without a signal per request
    "runxin.accounts.middleware.StudentLeftMiddleware",  # a student who left is signed out at once
    "runxin.accounts.middleware.SecondFactorMiddleware",
    "runxin.access.middleware.DenyUndeclaredViewsMiddleware",
]

ROOT_URLCONF = "runxin.urls"
WSGI_APPLICATION = "runxin.wsgi.application"

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
                "runxin.front.context.site",
            ],
        },
    },
]

if envstr("DATABASE_URL", "sqlite:").startswith("sqlite:"):
    VAR_DIR.mkdir(parents=True, exist_ok=True)  # the embedded default keeps its database here

DATABASES = {
    "default": database_from_url(envstr("DATABASE_URL", f"sqlite:///{VAR_DIR / 'runxin.sqlite3'}")),
}
# Production: the app connects as a role that owns nothing (DATABASE_URL); `runxin migrate`, `runxin audit-purge`
# and the restore drill connect as the owner role (MIGRATE_DATABASE_URL). See docs/operations.md.
MIGRATE_DATABASE_URL = envstr("MIGRATE_DATABASE_URL", "")
if DATABASES["default"]["ENGINE"].endswith("postgresql"):
    DATABASES["default"]["CONN_MAX_AGE"] = envint("DB_CONN_MAX_AGE", 60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    # Django turns psycopg's prepared statements off (for connection poolers), which also silently drops the
    # prepare=True the two statements of every questionnaire answer ask for (the pass lookup and the one-statement
    # submission): PostgreSQL then plans the submission's CTE anew for every student, ~2 ms of its CPU each.
    # A threshold no query reaches prepares those two only. PgBouncer in transaction mode before 1.21 cannot
    # keep prepared statements: set DB_PREPARED_STATEMENTS=0 there (docs/operations.md).
    if envbool("DB_PREPARED_STATEMENTS", True):
        DATABASES["default"]["OPTIONS"].setdefault("prepare_threshold", 2**31 - 1)
else:
    # WAL + a busy timeout let the demo's background jobs and web requests share the file.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "runxin.accounts.backends.AccountBackend",  # ModelBackend, refusing a student who is no longer enrolled
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "runxin.accounts.passwords.CharacterClassValidator"},
]

LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "front:home"
LOGOUT_REDIRECT_URL = "accounts:login"

# Idle timeout: the session expires after this many seconds without a request.
SESSION_COOKIE_AGE = envint("SESSION_IDLE_SECONDS", 30 * 60)
SESSION_SAVE_EVERY_REQUEST = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
# Behind a TLS-terminating proxy (which must set X-Forwarded-Proto): plain HTTP is redirected to HTTPS, browsers
# are told to use HTTPS only (HSTS) and cookies travel over HTTPS only.
BEHIND_TLS_PROXY = envbool("BEHIND_TLS_PROXY", False)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if BEHIND_TLS_PROXY else None
SECURE_SSL_REDIRECT = BEHIND_TLS_PROXY
SECURE_HSTS_SECONDS = envint("HSTS_SECONDS", 365 * 24 * 3600) if BEHIND_TLS_PROXY else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = envbool("HSTS_INCLUDE_SUBDOMAINS", False)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_SECURE = envbool("SECURE_COOKIES", BEHIND_TLS_PROXY)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
X_FRAME_OPTIONS = "DENY"

# Content-Security-Policy: scripts and styles only from our own static files (no inline code, no style
# attributes: a template injection cannot run script), no framing, forms post only to us. htmx's indicator
# style is switched off in base.html (meta htmx-config) and lives in app.css.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}

# Sign-in throttling (runxin/accounts/throttle.py): failures count per (username, source address), so nobody
# can lock an account from elsewhere; the pair waits LOGIN_LOCKOUT_MINUTES, twice as long each further time
# within a day; the owner's known devices (a signed cookie, LOGIN_KNOWN_DEVICE_DAYS) are never blocked by
# failures from elsewhere; bursts notify the security administrators.
AXES_FAILURE_LIMIT = envint("LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=envint("LOGIN_LOCKOUT_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_HANDLER = "runxin.accounts.throttle.ThrottledAxesHandler"
AXES_WHITELIST_CALLABLE = "runxin.accounts.throttle.known_device"
KNOWN_DEVICE_DAYS = envint("LOGIN_KNOWN_DEVICE_DAYS", 180)
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
AXES_VERBOSE = False
# Every failure and lockout stays in the audit trail (axes would otherwise keep only the last 1,000 per username).
AXES_ENABLE_ACCESS_FAILURE_LOG = True
AXES_ACCESS_FAILURE_LOG_PER_USER_LIMIT = 10**9
AXES_CLIENT_IP_CALLABLE = "runxin.access.ip.client_ip"
SILENCED_SYSTEM_CHECKS = ["models.W047"]  # W047: SQLite (demo only) cannot enforce NULLS NOT DISTINCT

OTP_TOTP_ISSUER = "润心 runxin"

AUDITLOG_INCLUDE_ALL_MODELS = False

# When the school day ends (local time, HH:MM): a same-day safety assessment (ASQ non-acute positive) is due
# before the student leaves school.
SCHOOL_DAY_ENDS = envstr("SCHOOL_DAY_ENDS", "16:30")

# The help lines every help page shows (questionnaire, "I need help", reports), one setting for all:
# HELP_HOTLINES="96111=本市心理援助热线;12356=全国心理援助热线". Unset: the national 12356 and 12355.
if envstr("HELP_HOTLINES", ""):
    HELP_HOTLINES = [tuple(part.split("=", 1)) for part in envstr("HELP_HOTLINES", "").split(";") if "=" in part]

# Class psychology committee members (心理委员) per class, and whether the seats are shared between boys and girls
# (with 2 seats: one boy, one girl), as the city's policy says.
COMMITTEE_MEMBERS_PER_CLASS = envint("COMMITTEE_MEMBERS_PER_CLASS", 2)
if COMMITTEE_MEMBERS_PER_CLASS < 1:
    raise ImproperlyConfigured("COMMITTEE_MEMBERS_PER_CLASS must be at least 1")
COMMITTEE_SEATS_BY_SEX = envbool("COMMITTEE_SEATS_BY_SEX", False)

# Emergency access (break-glass) to one student outside one's scope lasts this long.
BREAK_GLASS_HOURS = envint("BREAK_GLASS_HOURS", 4)

# Audit rows (changes, reads, sign-ins, exports) are kept this many days, then `runxin audit-purge` removes the
# expired start of each hash chain. At least six months, whatever the environment says.
AUDIT_RETENTION_MINIMUM_DAYS = 183
AUDIT_RETENTION_DAYS = envint("AUDIT_RETENTION_DAYS", 400)
if AUDIT_RETENTION_DAYS < AUDIT_RETENTION_MINIMUM_DAYS:
    raise ImproperlyConfigured(
        f"AUDIT_RETENTION_DAYS={AUDIT_RETENTION_DAYS} is below the minimum of {AUDIT_RETENTION_MINIMUM_DAYS} days"
    )

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = envstr("TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = Path(envstr("STATIC_ROOT", str(BASE_DIR.parent / "staticfiles")))
MEDIA_ROOT = Path(envstr("MEDIA_ROOT", str(VAR_DIR / "media")))
MEDIA_URL = "/media/"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
# Import files (runxin/imports/reading.py): refused before parsing when they would unpack or run too far.
IMPORT_MAX_ROWS = envint("IMPORT_MAX_ROWS", 1_000_000)
IMPORT_MAX_UNZIPPED_MB = envint("IMPORT_MAX_UNZIPPED_MB", 200)  # an .xlsx's parts together, unpacked
IMPORT_MAX_CELL_CHARS = envint("IMPORT_MAX_CELL_CHARS", 1_000)
# Uploaded rosters and their problem files are deleted this many days after upload (the batch record stays);
# they are served only by the scoped download view, never from MEDIA_URL.
IMPORT_FILE_RETENTION_DAYS = envint("IMPORT_FILE_RETENTION_DAYS", 30)

EMAIL_BACKEND = envstr("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = envstr("EMAIL_HOST", "localhost")
EMAIL_PORT = envint("EMAIL_PORT", 25)
EMAIL_HOST_USER = envstr("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = envstr("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = envbool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = envstr("DEFAULT_FROM_EMAIL", "runxin@localhost")

# Task engine: Celery on Redis in production; in-process (eager) in the embedded default.
CELERY_BROKER_URL = envstr("CELERY_BROKER_URL", "")
CELERY_TASK_ALWAYS_EAGER = CELERY_BROKER_URL == ""
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = TIME_ZONE
# Timers of the early-warning workflow (runxin/alerts/tasks.py …): the one timetable. The embedded default's
# `runxin run_scheduler` (runxin/alerts/scheduler.py) runs these same entries at these same times. Every job is
# idempotent, so a beat restart or a second beat never double-sends.
# A follow-up (回访) this many days overdue is told to the school's team, then to the district centre.
REFERRAL_URGENT_ANSWER_HOURS = envint("REFERRAL_URGENT_ANSWER_HOURS", 2)
REFERRAL_ANSWER_DAYS = envint("REFERRAL_ANSWER_DAYS", 3)
FOLLOW_UP_ESCALATION_DAYS = tuple(int(d) for d in envlist("FOLLOW_UP_ESCALATION_DAYS", ["3", "7"]))
CELERY_BEAT_SCHEDULE = {
    "alerts-escalation-sweep": {"task": "runxin.alerts.tasks.escalation_sweep", "schedule": 60.0},
    "alerts-daily-reports": {"task": "runxin.alerts.tasks.daily_reports", "schedule": crontab(hour=7, minute=0)},
    "notify-deliver": {"task": "runxin.notify.tasks.deliver_notifications", "schedule": 30.0},
    # Open due monitoring rounds, close campaigns past their window, retry warning hand-overs.
    "screening-monitor": {"task": "runxin.screening.tasks.monitor", "schedule": 300.0},
    # Flags whose hand-over task was never queued (broker down, a lost message) reach the warnings within 15 s.
    "screening-hand-over": {"task": "runxin.screening.tasks.hand_over_pending", "schedule": 15.0},
    # Delete uploaded import files past IMPORT_FILE_RETENTION_DAYS.
    "imports-purge-files": {"task": "runxin.imports.tasks.purge_import_files", "schedule": crontab(minute=17)},
    # Close the accounts of students who left, move transferred students' roles (sign-in refuses them at once).
    # An open case follows its student to a new school (the roster import and rollover move students set-wise).
    # A referral nobody answered: green channel after REFERRAL_URGENT_ANSWER_HOURS, others after REFERRAL_ANSWER_DAYS.
    "referrals-unanswered": {"task": "runxin.referrals.tasks.unanswered_sweep", "schedule": 300.0},
    "cases-plans-follow-students": {"task": "runxin.cases.tasks.plans_follow_students", "schedule": 300.0},
    "accounts-student-sweep": {"task": "runxin.accounts.tasks.student_accounts_sweep",
                               "schedule": crontab(hour=1, minute=30)},
    # >>> analytics campaign figures
    # The screening reports' figures (runxin/analytics/campaign_figures.py): open and recently closed campaigns
    # whose answers, refusals or consent changed, every 3 minutes.
    "analytics-campaign-figures": {"task": "runxin.analytics.tasks.campaign_figures", "schedule": 180.0},
    # <<< analytics campaign figures
    # >>> analytics figures
    # The dashboards' figures: the schools whose records changed, every minute; everything again at night
    # (heals what the incremental pass cannot see; runxin/analytics/refresh.py).
    "analytics-refresh": {"task": "runxin.analytics.tasks.refresh", "schedule": 60.0},
    "analytics-rebuild": {"task": "runxin.analytics.tasks.rebuild", "schedule": crontab(hour=2, minute=30)},
    # <<< analytics figures
    # The warning overview and the home-visit coverage as people outside the care team see them: counted and
    # decided for each city ahead of the viewers (REPORT_DECISION_SECONDS; nothing when it is 0).
    "alerts-overview-count": {"task": "runxin.alerts.tasks.overview_count", "schedule": 60.0},
    "visits-coverage-decide": {"task": "runxin.visits.tasks.coverage_decide", "schedule": 60.0},
}

# Roster import on PostgreSQL: skip the per-row foreign-key triggers after locking every parent row once
# (same protection, a third of the time). Takes effect only for a role allowed to SET
# session_replication_role (superuser, or GRANT SET ON PARAMETER … on PostgreSQL 15+); see docs/imports.md.
IMPORT_SKIP_ROW_TRIGGERS = envbool("IMPORT_SKIP_ROW_TRIGGERS", True)

# A shared cache (Redis in production) so per-client limits, such as wrong one-time-code attempts, count
# across web workers; the embedded default keeps a per-process memory cache.
CACHE_URL = envstr("CACHE_URL", "")
CACHES = {
    "default": (
        {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": CACHE_URL}
        if CACHE_URL
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    )
}

# The REST API for integrations (runxin/api): bearer tokens of integration accounts only, deny by default.
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["runxin.api.authentication.ApiTokenAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["runxin.api.permissions.DeclaredPermission"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser", "rest_framework.parsers.MultiPartParser"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    "EXCEPTION_HANDLER": "runxin.api.views.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "润心 runxin integration API",
    "DESCRIPTION": (
        "For integrations, with the token of an integration account (its role and org unit decide what it reads, "
        "as for a person). Roster and staff sync (学籍系统): /students/ and /import-batches/ (the import page's "
        "own check and import). Provincial platform: /warnings/ as provincial-export records, "
        "/screening/campaigns/{id}/summary/. Hospitals: /referrals/ lists warnings with a referral recorded and "
        "/warnings/{id}/hospital-feedback/ enters the hospital's feedback as a hospital report. Not there yet: a "
        "referral record (which hospital a case went to) and reads for the hospital role itself, which reaches "
        "no student; a centre-scoped account speaks for the hospital. Lists page by id without a count: follow "
        "`next`. Every call is logged; reads of identified data are audited."
    ),
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",  # served from our static files: no CDN
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}
# An API token lives this many days unless the administrator chooses fewer.
API_TOKEN_DAYS = envint("API_TOKEN_DAYS", 90)

# Pages that hide small counts for people outside the care team decide what to hide over the whole city at once
# (the warning overview, the home-visit coverage): that decision is reused for this many seconds (0: every
# request decides anew). At 1.5 M students the overview's decision takes seconds (bench/dashboards.py).
REPORT_DECISION_SECONDS = envint("REPORT_DECISION_SECONDS", 60)

# >>> analytics zoning and white paper
# District risk zoning (重点警示区域/一般警示区/少发不发区, runxin/analytics/zoning.py), the bureau's policy: rates per
# 1,000 students over the last RISK_ZONING_WINDOW_MONTHS months against the city's. A district whose warning or
# incident rate reaches KEY_PERCENT % of the city's is a key warning area; one whose rates are both at most
# FEW_PERCENT % of the city's is a low-incidence area; below MIN_STUDENTS students a district is not classified.
RISK_ZONING_WINDOW_MONTHS = envint("RISK_ZONING_WINDOW_MONTHS", 12)
RISK_ZONING_MIN_STUDENTS = envint("RISK_ZONING_MIN_STUDENTS", 1000)
RISK_ZONING_KEY_PERCENT = envint("RISK_ZONING_KEY_PERCENT", 150)
RISK_ZONING_FEW_PERCENT = envint("RISK_ZONING_FEW_PERCENT", 50)
if not 1 <= RISK_ZONING_WINDOW_MONTHS <= 36:
    raise ImproperlyConfigured("RISK_ZONING_WINDOW_MONTHS must be between 1 and 36")
if RISK_ZONING_MIN_STUDENTS < 1:
    raise ImproperlyConfigured("RISK_ZONING_MIN_STUDENTS must be at least 1")
if not 0 <= RISK_ZONING_FEW_PERCENT < 100 < RISK_ZONING_KEY_PERCENT:
    raise ImproperlyConfigured("RISK_ZONING_FEW_PERCENT must be below 100 and RISK_ZONING_KEY_PERCENT above 100")
# <<< analytics zoning and white paper

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": envstr("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}, "celery": {"level": "WARNING"}},
}
