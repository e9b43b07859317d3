"""With production variables, the cookies carry the __Host- prefix and check --deploy stays clean."""

from phb.tests.test_settings import PRODUCTION, manage

SHOW = (
    "from django.conf import settings as s; "
    "print(s.SESSION_COOKIE_NAME, s.CSRF_COOKIE_NAME, s.SESSION_COOKIE_SECURE, s.SESSION_ENGINE, "
    "s.SESSION_COOKIE_AGE, s.PASSWORD_RESET_TIMEOUT)"
)


def test_production_cookies_are_host_only_and_secure():
    result = manage("shell", "-c", SHOW, env=PRODUCTION)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1].split() == [
        "__Host-phb-session",
        "__Host-csrftoken",
        "True",
        "accounts.sessions",
        str(12 * 3600),
        "3600",
    ]


def test_without_secure_cookies_the_names_stay_plain():
    result = manage("shell", "-c", SHOW, env={**PRODUCTION, "SECURE_COOKIES": "false"})
    assert result.stdout.strip().splitlines()[-1].split()[:3] == ["sessionid", "csrftoken", "False"]


def test_check_deploy_is_clean_with_lockout_sessions_and_cookies_in_place():
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_it_refuses_a_lockout_of_zero_failures():
    result = manage("check", env={**PRODUCTION, "LOCKOUT_FAILURES_FROM_ONE_ADDRESS": "0"})
    assert result.returncode != 0
    assert "LOCKOUT_FAILURES_FROM_ONE_ADDRESS" in result.stderr


def test_it_refuses_an_idle_limit_shorter_than_the_warning():
    result = manage("check", env={**PRODUCTION, "SESSION_IDLE_MINUTES_STAFF": "2"})
    assert result.returncode != 0
    assert "SESSION_IDLE_MINUTES_STAFF and SESSION_IDLE_MINUTES_PEOPLE must be 3 or more." in result.stderr
