"""Small typed readers for settings from the environment.

Each one fails loudly (ImproperlyConfigured) on a value it cannot read, so a
typo in production stops the process at start-up instead of quietly falling
back to a default.
"""

import decimal
import os

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_str(name: str, default: str | None = None, *, required: bool = False) -> str:
    value = os.environ.get(name)
    if value is None or value == "":
        if required:
            raise ImproperlyConfigured(f"Set the environment variable {name}.")
        return default if default is not None else ""
    return value


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    lowered = value.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {value!r}.")


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {value!r}.") from None


def env_list(name: str, default: list[str] | None = None) -> list[str]:
    value = os.environ.get(name)
    if value is None:
        return list(default or [])
    return [item.strip() for item in value.split(",") if item.strip()]


def env_decimal(name: str, default: str) -> decimal.Decimal:
    value = os.environ.get(name)
    text = default if value is None or value.strip() == "" else value
    try:
        result = decimal.Decimal(text)
    except decimal.InvalidOperation:
        raise ImproperlyConfigured(f"{name} must be a number, not {value!r}.") from None
    if not result.is_finite():
        raise ImproperlyConfigured(f"{name} must be a number, not {value!r}.")
    return result
