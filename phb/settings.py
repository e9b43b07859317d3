"""Settings for the personal health budgets service.

Everything that differs between a laptop and production is read from the
environment through the helpers in phb.env. See README.md for the list.
"""

import datetime
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

from phb.env import env_bool, env_decimal, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent

DEBUG = env_bool("DEBUG", default=False)

SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("Set SECRET_KEY (a long random string), or set DEBUG=true for local work.")
    SECRET_KEY = "django-insecure-local-development-only-not-for-production"

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "crispy_forms",
    "csp",
    "axes",
    "phb",
    "people",
    "accounts",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp_webauthn",
    "twofactor",
    "eligibility",
    "budgets",
    "careplans",
    "payments",
    "casework",
    "portal",
    "reports",
    "scale",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # After WhiteNoise, so static files stay cacheable; before the rest, so every other response has it.
    "phb.middleware.SecurityHeadersMiddleware",
    "phb.middleware.RequestIdMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    # Tells whether this session gave its second factor (from the session, in place of django-otp's
    # OTPMiddleware, which loads the device on every request); then staff who have not are sent to give it.
    "twofactor.middleware.SessionFactorMiddleware",
    "twofactor.middleware.SecondFactorMiddleware",
    "phb.middleware.RefusedAccessMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # After messages, so it can say why it signed someone out; LoginRequiredMiddleware then sends them to sign in.
    "accounts.middleware.SessionTimeoutMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    # A session signed in through CIS2 has its CIS2 roles mapped again on every request (one query; none for other
    # sessions): after the timeout (a timed-out session has nothing to map) and the security headers (its refusal
    # page carries them all).
    "accounts.cis2_middleware.Cis2RolesMiddleware",
    # Last, as Axes asks: turns a locked sign-in into the page a wrong password gets (accounts.lockout).
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "phb.urls"
WSGI_APPLICATION = "phb.wsgi.application"

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
                "phb.context_processors.service",
                "twofactor.context_processors.second_factor",
                "casework.context_processors.work_counts",
                "accounts.signin.ways",
            ],
            # Dates, times and labels written one way everywhere (phb/words.py).
            "builtins": ["phb.templatetags.words"],
        },
    },
]

# SQLite under var/ when DATABASE_URL is unset, so `make run` needs nothing
# installed. Tests and production use PostgreSQL.
DATABASE_URL = env_str("DATABASE_URL", f"sqlite:///{BASE_DIR / 'var' / 'phb.sqlite3'}")
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=env_int("DB_CONN_MAX_AGE", 60))}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # No JIT compilation: every query here reads a page of rows through indexes, but a list's stage filter over
    # everyone is estimated in millions of cost units, and PostgreSQL then spends seconds compiling a query that
    # runs in milliseconds (the PHB team's caseload filtered by stage at 200,000 people: 3.9 s, 3.8 s of it JIT).
    # No parallel workers either: a page's query wants its first 25 rows, and a parallel plan for that walked
    # three times the index the serial one does (a stage filter over everyone: 115 ms against 13); with four
    # requests at once on two cores there is no idle core to lend a query anyway. And a random read costs about
    # what a sequential one does, since the tables are read from memory: at the default (4) PostgreSQL hashed all
    # 200,000 people's journey facts to join them to a search's 1,973 matches rather than look each up (90 ms
    # against 58). Both are per connection, so a server's own settings for other clients stay as they are.
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = (
        "-c jit=off -c max_parallel_workers_per_gather=0 -c random_page_cost=1.1"
    )

# The work tray's query is prepared once on each connection (phb.prepared). Set false behind a pooler that shares
# a connection between clients one transaction at a time (PgBouncer in transaction mode): it runs plain then.
DB_PREPARED_STATEMENTS = env_bool("DB_PREPARED_STATEMENTS", default=True)

AUTH_USER_MODEL = "people.User"
# Axes first: it refuses a locked sign-in before the password is even checked.
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "people.backends.UserWithTeamsBackend"]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    # Django's list of common passwords (the floor) joined with zxcvbn's list of passwords seen in
    # breaches: about 56,000 in all (accounts/COMMON-PASSWORDS.md says where they come from).
    {
        "NAME": "django.contrib.auth.password_validation.CommonPasswordValidator",
        "OPTIONS": {"password_list_path": BASE_DIR / "accounts" / "common-passwords.txt.gz"},
    },
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-gb"
# DATE_FORMAT "j F Y" (23 November 2026), for any date shown without phb/words.py's filters.
FORMAT_MODULE_PATH = ["phb.formats"]
TIME_ZONE = "Europe/London"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG and env_bool("STATIC_MANIFEST", default=True)
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

CRISPY_ALLOWED_TEMPLATE_PACKS = ["nhsuk"]
CRISPY_TEMPLATE_PACK = "nhsuk"

# Sessions: staff work on shared NHS machines, so sessions are short-lived and
# end when the browser closes. They are stored with the user's id (accounts.sessions), so one
# user's sessions can be ended without reading everyone's. accounts.middleware signs a user out
# after SESSION_IDLE_MINUTES_* without activity (a warning shows SESSION_TIMEOUT_WARNING_SECONDS
# before) and SESSION_ABSOLUTE_HOURS after signing in, whatever they do.
SESSION_ENGINE = "accounts.sessions"
SESSION_IDLE_MINUTES_STAFF = env_int("SESSION_IDLE_MINUTES_STAFF", 30)
SESSION_IDLE_MINUTES_PEOPLE = env_int("SESSION_IDLE_MINUTES_PEOPLE", 60)
SESSION_ABSOLUTE_HOURS = env_int("SESSION_ABSOLUTE_HOURS", 12)
SESSION_TIMEOUT_WARNING_SECONDS = 2 * 60
if min(SESSION_IDLE_MINUTES_STAFF, SESSION_IDLE_MINUTES_PEOPLE) * 60 <= SESSION_TIMEOUT_WARNING_SECONDS:
    raise ImproperlyConfigured("SESSION_IDLE_MINUTES_STAFF and SESSION_IDLE_MINUTES_PEOPLE must be 3 or more.")
SESSION_COOKIE_AGE = SESSION_ABSOLUTE_HOURS * 60 * 60
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True

SECURE = env_bool("SECURE_COOKIES", default=not DEBUG)
SESSION_COOKIE_SECURE = SECURE
CSRF_COOKIE_SECURE = SECURE
if SECURE:
    # __Host-: the browser accepts these only over HTTPS, for this host alone and the whole site,
    # so neither a subdomain nor plain HTTP can set or overwrite them.
    SESSION_COOKIE_NAME = "__Host-phb-session"
    CSRF_COOKIE_NAME = "__Host-csrftoken"
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG
# Behind our own reverse proxy (which sets X-Forwarded-Proto and X-Request-ID): only then are those
# headers believed; otherwise a client could choose the request id written into the audit trail.
BEHIND_PROXY = env_bool("BEHIND_PROXY")
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if BEHIND_PROXY else None
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

REDIS_URL = env_str("REDIS_URL", "redis://127.0.0.1:6379/0")
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", REDIS_URL)
CELERY_RESULT_BACKEND = None
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_TIME_LIMIT = 120
CELERY_TASK_SOFT_TIME_LIMIT = 100
CELERY_TIMEZONE = TIME_ZONE
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_DEFAULT_QUEUE = env_str("CELERY_QUEUE", "phb")
CELERY_BEAT_SCHEDULE = {
    # Whether the messages sent through GOV.UK Notify arrived (phb.delivery), read back onto their outbox rows.
    "poll-notify-delivery-status": {
        "task": "phb.tasks.poll_delivery_status",
        "schedule": 15 * 60,
    },
    # Letters to post (careplans.emails, PostedLetter) that missed their queue after the letter was made (Redis down),
    # or whose next attempt has come, every 15 minutes.
    "send-waiting-posted-letters": {
        "task": "careplans.tasks.send_waiting_letters",
        "schedule": 15 * 60,
    },
    # Notices to the person (people.notices) that missed their queue after the event (Redis down), every 15 minutes.
    "send-waiting-person-notices": {
        "task": "people.tasks.send_waiting_notices",
        "schedule": 15 * 60,
    },
    "activate-plans-on-their-start-date": {
        "task": "careplans.tasks.activate_due_plans",
        "schedule": 60 * 60,
    },
    "end-budgets-on-their-end-date": {
        "task": "careplans.tasks.finish_ended_plans",
        "schedule": 60 * 60,
    },
    "review-reminder-sweep": {
        "task": "careplans.tasks.sweep_review_reminders",
        "schedule": 15 * 60,
    },
    "send-waiting-decision-emails": {
        "task": "careplans.tasks.send_waiting_emails",
        "schedule": 15 * 60,
    },
    "purge-old-form-tokens": {
        "task": "phb.tasks.purge_sent_forms",
        "schedule": 60 * 60,
    },
    "extend-payment-schedules": {
        "task": "payments.tasks.extend_schedules",
        "schedule": 24 * 60 * 60,
    },
    "refresh-money-flags": {
        "task": "payments.tasks.refresh_flags",
        "schedule": 24 * 60 * 60,
    },
    "sweep-statement-reminders": {
        "task": "payments.tasks.sweep_statement_reminders",
        "schedule": 15 * 60,
    },
    # The PHB team's dashboard over everyone, kept before anyone asks: inside phb.freshness.STALE_FOR (300 s), so
    # it always has a copy young enough to show.
    "keep-dashboard-warm": {
        "task": "reports.tasks.keep_dashboard_warm",
        "schedule": 240,
    },
}

# GOV.UK Notify (phb/notify.py): with NOTIFY_API_KEY set, every e-mail goes through Notify unless EMAIL_BACKEND
# says otherwise; without it (local work, make run) nothing is sent through Notify.
NOTIFY_API_KEY = env_str("NOTIFY_API_KEY")
NOTIFY_BASE_URL = env_str("NOTIFY_BASE_URL", "https://api.notifications.service.gov.uk")
# Each kind of message's Notify template: kind=template id pairs separated by commas, say
# "decision=…,review-reminder=…,statement-reminder=…,person-notice=…,default=…" ("default": e-mails that name no
# kind).
NOTIFY_TEMPLATES = {}
for _pair in env_list("NOTIFY_TEMPLATES"):
    _kind, _, _template = (part.strip() for part in _pair.partition("="))
    if not _kind or not _template:
        raise ImproperlyConfigured(
            f"NOTIFY_TEMPLATES must be kind=template id pairs separated by commas, not {_pair!r}."
        )
    NOTIFY_TEMPLATES[_kind] = _template

EMAIL_BACKEND = env_str(
    "EMAIL_BACKEND",
    "phb.notify.NotifyEmailBackend"
    if NOTIFY_API_KEY
    else "django.core.mail.backends.console.EmailBackend"
    if DEBUG
    else "django.core.mail.backends.smtp.EmailBackend",
)
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS")
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "phb-team@example.nhs.uk")
EMAIL_FILE_PATH = env_str("EMAIL_FILE_PATH", str(BASE_DIR / "var" / "emails"))
# The outbox (phb/outbox.py): a message that fails this many times waits for the PHB team lead to try again.
OUTBOX_MAX_ATTEMPTS = env_int("OUTBOX_MAX_ATTEMPTS", 8)
if OUTBOX_MAX_ATTEMPTS < 1:
    raise ImproperlyConfigured("OUTBOX_MAX_ATTEMPTS must be 1 or more.")

# Forms safe to send twice (phb/once.py): a form's one-time token is kept this many days, then removed
# (the hourly beat task phb.tasks.purge_sent_forms). The same form sent again after that is done again.
ONCE_KEEP_DAYS = env_int("ONCE_KEEP_DAYS", 1)
if ONCE_KEEP_DAYS < 1:
    raise ImproperlyConfigured("ONCE_KEEP_DAYS must be 1 or more.")

# The audit trail is kept this many years, then a PHB team lead may remove older events
# (manage.py purge_audit). 8 years: the NHS Records Management Code of Practice's minimum for adult
# health records; an ICB that keeps them longer sets more.
AUDIT_RETENTION_YEARS = env_int("AUDIT_RETENTION_YEARS", 8)
if AUDIT_RETENTION_YEARS < 1:
    raise ImproperlyConfigured("AUDIT_RETENTION_YEARS must be 1 or more.")

# Indicative budgets (see budgets.calculate). An adjustment of more than this
# share of the calculated figure, or a budget above this many pounds a year,
# needs PHB team sign-off before the person is told.
BUDGET_SIGN_OFF_ADJUSTMENT_SHARE = env_decimal("BUDGET_SIGN_OFF_ADJUSTMENT_SHARE", "0.10")
BUDGET_SIGN_OFF_ABOVE = env_decimal("BUDGET_SIGN_OFF_ABOVE", "50000.00")
# "High need with a low budget" is flagged below this many pounds a year.
BUDGET_LOW_FLOOR = env_decimal("BUDGET_LOW_FLOOR", "10000.00")

# Support plans: the first review is due no later than this many months after the start.
PLAN_FIRST_REVIEW_WITHIN_MONTHS = env_int("PLAN_FIRST_REVIEW_WITHIN_MONTHS", 3)
# ...and each next review no later than this many months after the last one was completed.
PLAN_REVIEW_INTERVAL_MONTHS = env_int("PLAN_REVIEW_INTERVAL_MONTHS", 12)
# An unscheduled review is due this many days after it is asked for.
PLAN_UNSCHEDULED_REVIEW_DAYS = env_int("PLAN_UNSCHEDULED_REVIEW_DAYS", 14)

# Money in use (payments/): a direct-payment account may hold up to PAYMENTS_CONTINGENCY_WEEKS of payments as a
# contingency; a balance above PAYMENTS_SURPLUS_WEEKS of payments is flagged as a surplus to talk about; a person
# has PAYMENTS_RESPONSE_DAYS to respond to a proposed repayment or stopping (regulations 13 and 14).
PAYMENTS_CONTINGENCY_WEEKS = env_int("PAYMENTS_CONTINGENCY_WEEKS", 4)
PAYMENTS_SURPLUS_WEEKS = env_int("PAYMENTS_SURPLUS_WEEKS", 8)
PAYMENTS_RESPONSE_DAYS = env_int("PAYMENTS_RESPONSE_DAYS", 28)
# The largest statement or receipt file accepted, in megabytes.
PAYMENTS_MAX_UPLOAD_MB = env_int("PAYMENTS_MAX_UPLOAD_MB", 10)
# Plans costing more than this a year need a PHB team lead to approve them.
PLAN_LEAD_APPROVAL_ABOVE = env_decimal("PLAN_LEAD_APPROVAL_ABOVE", "100000.00")

# Signing in (accounts.lockout): 5 failures for one e-mail address from one network address, or 20
# from any, and that address cannot sign in for 30 minutes. Axes does the counting.
LOCKOUT_FAILURES_FROM_ONE_ADDRESS = env_int("LOCKOUT_FAILURES_FROM_ONE_ADDRESS", 5)
LOCKOUT_FAILURES_FROM_ANY_ADDRESS = env_int("LOCKOUT_FAILURES_FROM_ANY_ADDRESS", 20)
LOCKOUT_COOL_OFF_MINUTES = env_int("LOCKOUT_COOL_OFF_MINUTES", 30)
if min(LOCKOUT_FAILURES_FROM_ONE_ADDRESS, LOCKOUT_FAILURES_FROM_ANY_ADDRESS, LOCKOUT_COOL_OFF_MINUTES) < 1:
    raise ImproperlyConfigured(
        "LOCKOUT_FAILURES_FROM_ONE_ADDRESS, LOCKOUT_FAILURES_FROM_ANY_ADDRESS and LOCKOUT_COOL_OFF_MINUTES "
        "must be 1 or more."
    )
AXES_HANDLER = "accounts.lockout.LockoutHandler"
AXES_FAILURE_LIMIT = LOCKOUT_FAILURES_FROM_ONE_ADDRESS
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"], "username"]
AXES_COOLOFF_TIME = datetime.timedelta(minutes=LOCKOUT_COOL_OFF_MINUTES)
# The cool-off runs from the lockout: tries while locked are refused without being counted.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_USERNAME_CALLABLE = "accounts.lockout.normalised_username"
AXES_CLIENT_IP_CALLABLE = "accounts.lockout.client_ip"
AXES_LOCKOUT_CALLABLE = "accounts.lockout.same_as_a_wrong_password"
# Our own audit trail records sign-ins; Axes' logs and admin pages would show typed addresses.
AXES_DISABLE_ACCESS_LOG = True
AXES_ENABLE_ADMIN = False
AXES_VERBOSE = False

# Forgotten passwords (accounts.views): a link works once, for an hour; the trail counts the asks.
PASSWORD_RESET_TIMEOUT = env_int("PASSWORD_RESET_TIMEOUT", 60 * 60)
PASSWORD_RESETS_PER_ADDRESS_PER_HOUR = env_int("PASSWORD_RESETS_PER_ADDRESS_PER_HOUR", 3)
PASSWORD_RESETS_PER_IP_PER_HOUR = env_int("PASSWORD_RESETS_PER_IP_PER_HOUR", 20)

SERVICE_NAME = env_str("SERVICE_NAME", "Personal health budgets")
ORGANISATION_NAME = env_str("ORGANISATION_NAME", "Example Integrated Care Board")
# Printed at the top of every letter and the plan (phb/letterhead.py). The defaults are made up for the demo: the
# telephone number is in a range Ofcom keeps for drama, so no one's phone rings. The address is its lines separated
# by commas. The logo is a file among the static files (static/ or STATIC_ROOT), the only files a PDF may read.
ORGANISATION_PHONE = env_str("ORGANISATION_PHONE", "0113 496 0000")
ORGANISATION_EMAIL = env_str("ORGANISATION_EMAIL", "phb.team@example.nhs.uk")
ORGANISATION_ADDRESS = env_list(
    "ORGANISATION_ADDRESS", ["Personal health budget team", "Example House", "1 Example Street", "Leeds", "LS99 9ZZ"]
)
ORGANISATION_LOGO = env_str("ORGANISATION_LOGO", "img/organisation-logo.svg")

# The staff second factor (twofactor/). The issuer names the service in the authenticator app; the
# admin never shows a TOTP key (twofactor/admin.py also takes django-otp's device pages out of it).
OTP_TOTP_ISSUER = SERVICE_NAME
OTP_ADMIN_HIDE_SENSITIVE_DATA = True
# Passkeys and security keys (twofactor.passkeys): a second factor only, never instead of the password;
# the relying party is the host each page was served from.
OTP_WEBAUTHN_ALLOW_PASSWORDLESS_LOGIN = False
OTP_WEBAUTHN_RP_ID_CALLABLE = "twofactor.passkeys.rp_id"
OTP_WEBAUTHN_RP_NAME = SERVICE_NAME
OTP_WEBAUTHN_HELPER_CLASS = "twofactor.passkeys.Helper"
OTP_WEBAUTHN_EXCEPTION_LOGGER_NAME = ""
# The origin a passkey answer must come from is the scheme and host of the request itself
# (twofactor.passkeys.Helper), a host ALLOWED_HOSTS has already vouched for; so no fixed list of
# origins, whose absence the library's check would otherwise report.
SILENCED_SYSTEM_CHECKS = ["otp_webauthn.E030"]

# NHS login for people and representatives, NHS CIS2 for staff: OpenID Connect (accounts.oidc). Each is on when
# its issuer, client id and private key are all set, and off otherwise (`make run`, and most tests). The private
# key is the PEM of the RSA key whose public half was registered with the provider (`..._PRIVATE_KEY_FILE`, a
# path, or `..._PRIVATE_KEY`, the PEM itself); `..._KEY_ID` is the `kid` registered with it. README: "NHS login
# and CIS2".


def _private_key(prefix: str) -> str:
    path = env_str(f"{prefix}_PRIVATE_KEY_FILE")
    if path:
        try:
            return Path(path).read_text()
        except OSError as error:
            raise ImproperlyConfigured(f"{prefix}_PRIVATE_KEY_FILE cannot be read: {error}") from None
    return env_str(f"{prefix}_PRIVATE_KEY")


def _oidc_provider(prefix: str, *, scopes: str, extra_params: dict) -> dict:
    return {
        "issuer": env_str(f"{prefix}_ISSUER"),
        "client_id": env_str(f"{prefix}_CLIENT_ID"),
        "private_key": _private_key(prefix),
        "key_id": env_str(f"{prefix}_KEY_ID"),
        "scopes": env_str(f"{prefix}_SCOPES", scopes),
        "extra_params": extra_params,
    }


OIDC_PROVIDERS = {
    # vtr asks for high proof of identity (P9); the vot claim says what was given (portal.nhs_login).
    "nhs_login": _oidc_provider(
        "NHS_LOGIN",
        scopes="openid profile email phone nhs_number",
        extra_params={"vtr": env_str("NHS_LOGIN_VTR", '["P9.Cp.Cd", "P9.Cp.Ck", "P9.Cm"]')},
    ),
    # nationalrbacaccess gives the roles (nhsid_nrbac_roles) the app role is mapped from (accounts.cis2).
    "cis2": _oidc_provider(
        "CIS2",
        scopes="openid profile email nationalrbacaccess",
        extra_params={"acr_values": env_str("CIS2_ACR_VALUES", "AAL3_ANY")},
    ),
}
# People's passwords (the portal's own sign-in, for ICBs not yet on NHS login): unset, they are allowed only
# where NHS login is not configured (accounts.signin.people_use_passwords).
PORTAL_PASSWORDS = env_bool("PORTAL_PASSWORDS") if env_str("PORTAL_PASSWORDS") else None

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    # WeasyPrint and fontTools narrate every step of every PDF at INFO.
    "loggers": {
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
        # Axes narrates every failed sign-in; the audit trail records them (accounts, people.signals).
        "axes": {"level": "WARNING"},
    },
}
