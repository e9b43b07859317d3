"""Imports go one way: scale -> reports -> portal -> casework -> payments -> careplans -> budgets -> eligibility
-> people -> twofactor -> accounts -> phb (docs/architecture.md).

An app may import itself and the apps to its right, never one to its left. phb/urls.py alone
gathers every app. Every .py file is parsed (not grepped), so imports inside functions count too,
and so do import_module("app...") and apps.get_model("app", ...), which are imports by another name.

Exempt: each app's tests/, because a test may build its data with a higher app's models or factories
(phb's audit tests make people.User rows). Migrations are checked like any other code.
"""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LAYERS = (
    "scale",
    "reports",
    "portal",
    "casework",
    "payments",
    "careplans",
    "budgets",
    "eligibility",
    "people",
    "twofactor",
    "accounts",
    "phb",
)
GATHERS_EVERY_APP = {Path("phb/urls.py")}
EXEMPT_FOLDERS = {"tests"}


def app_files():
    for app in LAYERS:
        for path in sorted((ROOT / app).rglob("*.py")):
            relative = path.relative_to(ROOT)
            if relative in GATHERS_EVERY_APP or EXEMPT_FOLDERS & set(relative.parts):
                continue
            yield relative


def imported_apps(source: str) -> list[tuple[int, str]]:
    """(line, top-level package) for every absolute import in the source, wherever it is written."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name.split(".")[0]) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append((node.lineno, node.module.split(".")[0]))
        elif isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant):
            name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
            first = node.args[0].value
            if name in {"import_module", "get_model"} and isinstance(first, str):
                found.append((node.lineno, first.split(".")[0]))
    return found


def upward_imports(app: str, source: str) -> list[tuple[int, str]]:
    """The imports in an app's source of an app to its left (above it)."""
    rank = LAYERS.index(app)
    return [(line, other) for line, other in imported_apps(source) if other in LAYERS[:rank]]


def test_every_app_imports_only_the_apps_below_it():
    offenders = []
    for path in app_files():
        app = path.parts[0]
        for line, other in upward_imports(app, (ROOT / path).read_text()):
            offenders.append(f"{path}:{line}: {app} imports {other}, which is above it")
    assert not offenders, "Imports against the layers:\n" + "\n".join(offenders)


def test_it_reads_every_app():
    files = {path.parts[0] for path in app_files()}
    assert files == set(LAYERS)


def test_make_test_collects_every_apps_tests():
    """pytest.ini's testpaths name every app with tests: casework's ran nowhere until it was added."""
    import configparser

    ini = configparser.ConfigParser()
    ini.read(ROOT / "pytest.ini")
    collected = set(ini["pytest"]["testpaths"].split())
    with_tests = {app for app in LAYERS if any((ROOT / app).rglob("test_*.py"))}
    assert with_tests - collected == set()


@pytest.mark.parametrize(
    ("app", "source", "line", "other"),
    [
        ("people", "from careplans.models import PlanVersion\n", 1, "careplans"),
        ("budgets", "import portal.views\n", 1, "portal"),
        ("eligibility", "def letter():\n    from budgets import calculate\n", 2, "budgets"),
        ("phb", "class A:\n    def f(self):\n        import people.models as m\n", 3, "people"),
        ("careplans", "import importlib\nimportlib.import_module('portal.services')\n", 2, "portal"),
        ("budgets", "from django.apps import apps\napps.get_model('careplans', 'PlanVersion')\n", 2, "careplans"),
    ],
)
def test_it_catches_an_import_of_an_app_above(app, source, line, other):
    assert upward_imports(app, source) == [(line, other)]


@pytest.mark.parametrize(
    ("app", "source"),
    [
        ("portal", "from careplans import selectors\nimport budgets.models\nfrom phb.money import pounds\n"),
        ("careplans", "from . import rules\nfrom .models import Status\nimport people\n"),
        ("phb", "import datetime\nfrom django.db import models\n"),
        ("people", "from people.models import Person\n"),
    ],
)
def test_it_allows_imports_of_the_app_itself_and_those_below(app, source):
    assert upward_imports(app, source) == []
