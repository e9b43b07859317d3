"""Settings come from the environment and fail loudly on bad values."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from phb.env import env_bool, env_int, env_list

ROOT = Path(__file__).resolve().parents[2]

PRODUCTION = {
    "DEBUG": "false",
    "SECRET_KEY": "a-production-secret-key-that-is-long-and-random-enough-0123456789-abcdefgh",
    "ALLOWED_HOSTS": "phb.example.nhs.uk",
    "DATABASE_URL": os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/phb"),
}


def manage(*args, env):
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SECURE_", "STATIC_MANIFEST", "SECRET_KEY", "DJANGO_ALLOW_ASYNC"))
    }
    clean.update(env)
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=clean, capture_output=True, text=True, timeout=120
    )


def test_it_reports_nothing_from_check_deploy_with_production_variables():
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_it_refuses_to_start_without_a_secret_key_when_debug_is_off():
    result = manage("check", env={**PRODUCTION, "SECRET_KEY": ""})
    assert result.returncode != 0
    assert "Set SECRET_KEY" in result.stderr


@pytest.mark.parametrize(("value", "expected"), [("true", True), ("1", True), ("off", False), ("", False)])
def test_it_reads_booleans(monkeypatch, value, expected):
    monkeypatch.setenv("PHB_FLAG", value)
    assert env_bool("PHB_FLAG") is expected


def test_it_fails_loudly_on_values_it_cannot_read(monkeypatch):
    monkeypatch.setenv("PHB_FLAG", "maybe")
    monkeypatch.setenv("PHB_NUMBER", "ten")
    with pytest.raises(ImproperlyConfigured, match="PHB_FLAG must be true or false"):
        env_bool("PHB_FLAG")
    with pytest.raises(ImproperlyConfigured, match="PHB_NUMBER must be a whole number"):
        env_int("PHB_NUMBER", 1)


def test_it_reads_lists(monkeypatch):
    monkeypatch.setenv("PHB_HOSTS", "a.example, b.example,,")
    assert env_list("PHB_HOSTS") == ["a.example", "b.example"]
