"""Each rule about who and what is written once; nothing else spells it out again.

- Roles are phb.roles.Role (and its sets there). A bare "coordinator", "approver", "lead", "patient"
  or "admin" compared with something, put in a list or set, or passed as a role elsewhere is a copy.
- Plan status sets are careplans.models.Status (EDITABLE, OPEN, AGREED, RUNNING, STANDING, ...) and the
  PlanVersion queryset; careplans.lifecycle says which actions start from which statuses. A literal
  list or set of statuses anywhere else is a copy, and so is a status spelled as a string.
- Whether a budget may be used is budgets.selectors.budget_unusable_reason / usable_budgets, over
  budgets.models.SignOff.USABLE. Filtering on sign_off__in, or naming SignOff.USABLE or a set of
  SignOff members anywhere else, is a second copy of that rule.

Python is parsed with ast; templates are read with regular expressions (their tags are small).
Each app's tests/ and migrations/ are exempt: tests spell values out on purpose, and migrations
are history. Every failure lists file:line for each copy.
"""

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
APPS = ("portal", "careplans", "budgets", "eligibility", "people", "phb")
EXEMPT_FOLDERS = {"tests", "migrations"}

ROLES = {"coordinator", "approver", "lead", "patient", "admin"}
# careplans.models.Status, as values and as member names (kept here, not imported, so a test of
# "spelled once" does not depend on the definition it polices; the last test checks they agree).
PLAN_STATUSES = {
    "draft",
    "submitted",
    "approved",
    "returned",
    "declined",
    "active",
    "ending",
    "ended",
    "superseded",
    "withdrawn",
}
PLAN_STATUS_MEMBERS = {status.upper() for status in PLAN_STATUSES}

ROLE_HOME = {Path("phb/roles.py")}
STATUS_HOME = {Path("careplans/models.py"), Path("careplans/lifecycle.py")}
BUDGET_USABLE_HOME = {Path("budgets/models.py"), Path("budgets/selectors.py")}

# A call that only wraps a literal collection is still a literal collection.
WRAPPERS = {"frozenset", "set", "list", "tuple", "sorted"}


def python_files():
    for app in APPS:
        for path in sorted((ROOT / app).rglob("*.py")):
            relative = path.relative_to(ROOT)
            if not EXEMPT_FOLDERS & set(relative.parts):
                yield relative


def template_files():
    for path in sorted((ROOT / "templates").rglob("*.html")):
        yield path.relative_to(ROOT)


# --- reading Python ---------------------------------------------------------------------------


def literal_elements(node) -> list | None:
    """The elements of a literal list, set or tuple (also wrapped in frozenset(...) and the like); None if not one."""
    if isinstance(node, ast.List | ast.Set | ast.Tuple):
        return node.elts
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id in WRAPPERS
        and len(node.args) == 1
        and not node.keywords
    ):
        return literal_elements(node.args[0])
    return None


def strings_in(node) -> set[str]:
    """The string constants a node is, or holds as a literal collection."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return {node.value}
    elements = literal_elements(node)
    if elements is None:
        return set()
    return {e.value for e in elements if isinstance(e, ast.Constant) and isinstance(e.value, str)}


def is_plan_status_member(node) -> bool:
    """Status.APPROVED, models.Status.APPROVED, PlanVersion.Status.APPROVED: not ReviewStatus.DUE."""
    if not (isinstance(node, ast.Attribute) and node.attr in PLAN_STATUS_MEMBERS):
        return False
    owner = node.value
    return (isinstance(owner, ast.Name) and owner.id == "Status") or (
        isinstance(owner, ast.Attribute) and owner.attr == "Status"
    )


def is_sign_off_member(node) -> bool:
    return isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "SignOff"


def mentions_status(node) -> bool:
    return "status" in ast.unparse(node).lower()


def role_strings(tree) -> list[tuple[int, str]]:
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Compare):
            for operand in [node.left, *node.comparators]:
                found |= {(node.lineno, role) for role in strings_in(operand) & ROLES}
        elif isinstance(node, ast.List | ast.Set | ast.Tuple):
            found |= {(node.lineno, role) for role in strings_in(node) & ROLES}
        elif isinstance(node, ast.keyword) and node.arg and "role" in node.arg:
            found |= {(node.value.lineno, role) for role in strings_in(node.value) & ROLES}
    return [(line, f'the role "{role}" written out') for line, role in sorted(found)]


def status_sets(tree) -> list[tuple[int, str]]:
    found = []
    for node in ast.walk(tree):
        # status__in=[...] in a query; from_statuses={...} handed to a helper that moves a version.
        if isinstance(node, ast.keyword) and node.arg and node.arg.endswith(("status__in", "statuses")):
            if literal_elements(node.value) is not None:
                found.append((node.value.lineno, f"{node.arg}= a written-out list of statuses"))
        elif isinstance(node, ast.List | ast.Set | ast.Tuple):
            members = [ast.unparse(e) for e in node.elts if is_plan_status_member(e)]
            if len(members) >= 2:
                found.append((node.lineno, f"a collection of statuses: {', '.join(members)}"))
    return sorted(set(found))


def status_strings(tree) -> list[tuple[int, str]]:
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Compare):
            operands = [node.left, *node.comparators]
            if any(mentions_status(o) for o in operands):
                for operand in operands:
                    found += [(node.lineno, f'status compared with "{s}"') for s in strings_in(operand) & PLAN_STATUSES]
        elif isinstance(node, ast.keyword) and node.arg and "status" in node.arg:
            found += [(node.value.lineno, f'{node.arg}="{s}"') for s in strings_in(node.value) & PLAN_STATUSES]
    return sorted(set(found))


def budget_usable_copies(tree) -> list[tuple[int, str]]:
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.keyword) and node.arg and node.arg.endswith("sign_off__in"):
            found.append((node.value.lineno, f"{node.arg}="))
        elif isinstance(node, ast.Attribute) and node.attr == "USABLE" and ast.unparse(node.value).endswith("SignOff"):
            found.append((node.lineno, "SignOff.USABLE"))
        elif isinstance(node, ast.List | ast.Set | ast.Tuple):
            members = [ast.unparse(e) for e in node.elts if is_sign_off_member(e)]
            if len(members) >= 2:
                found.append((node.lineno, f"a collection of sign-offs: {', '.join(members)}"))
    return sorted(set(found))


def copies_in_python(finder, homes) -> list[str]:
    offenders = []
    for path in python_files():
        if path in homes:
            continue
        tree = ast.parse((ROOT / path).read_text(), filename=str(path))
        offenders += [f"{path}:{line}: {what}" for line, what in finder(tree)]
    return offenders


# --- reading templates ------------------------------------------------------------------------

_ROLE_WORDS = "|".join(sorted(ROLES))
_STATUS_WORDS = "|".join(sorted(PLAN_STATUSES))
TEMPLATE_ROLE = re.compile(
    rf"""role\s*(?:==|!=)\s*["'](?:{_ROLE_WORDS})["']"""
    rf"""|["'](?:{_ROLE_WORDS})["']\s*(?:==|!=|(?:not\s+)?in)\s*[\w.]*role\b"""
    rf"""|role\s+(?:not\s+)?in\s+["'][^"']*\b(?:{_ROLE_WORDS})\b[^"']*["']"""
)
TEMPLATE_STATUS = re.compile(
    rf"""status\s*(?:==|!=)\s*["'](?:{_STATUS_WORDS})["']"""
    rf"""|["'](?:{_STATUS_WORDS})["']\s*(?:==|!=|(?:not\s+)?in)\s*[\w.]*status\b"""
    rf"""|status\s+(?:not\s+)?in\s+["'][^"']*\b(?:{_STATUS_WORDS})\b[^"']*["']"""
)


def copies_in_templates(pattern) -> list[str]:
    offenders = []
    for path in template_files():
        for number, line in enumerate((ROOT / path).read_text().splitlines(), start=1):
            offenders += [f"{path}:{number}: {match.group(0)}" for match in pattern.finditer(line)]
    return offenders


def report(offenders: list[str], what: str) -> str:
    return f"{len(offenders)} {what} outside the one definition:\n" + "\n".join(offenders)


# --- the rules --------------------------------------------------------------------------------


def test_role_strings_are_written_only_in_phb_roles():
    offenders = copies_in_python(role_strings, ROLE_HOME)
    assert not offenders, report(offenders, "role strings")


def test_templates_ask_about_roles_without_spelling_them():
    offenders = copies_in_templates(TEMPLATE_ROLE)
    assert not offenders, report(offenders, "role strings in templates")


def test_plan_status_sets_are_written_only_in_models_and_lifecycle():
    offenders = copies_in_python(status_sets, STATUS_HOME)
    assert not offenders, report(offenders, "plan status sets")


def test_plan_statuses_are_not_spelled_as_strings():
    offenders = copies_in_python(status_strings, STATUS_HOME) + copies_in_templates(TEMPLATE_STATUS)
    assert not offenders, report(offenders, "plan statuses spelled as strings")


def test_whether_a_budget_may_be_used_is_decided_only_in_budgets():
    offenders = copies_in_python(budget_usable_copies, BUDGET_USABLE_HOME)
    assert not offenders, report(offenders, "copies of the budget-usable rule")


# --- the finders find what they should, and nothing else --------------------------------------


def found(finder, source: str) -> list[int]:
    return sorted({line for line, _ in finder(ast.parse(source))})


@pytest.mark.parametrize(
    ("finder", "source", "lines"),
    [
        (role_strings, 'if user.role == "lead":\n    pass\n', [1]),
        (role_strings, 'STAFF = {"coordinator", "approver"}\n', [1]),
        (role_strings, 'User.objects.filter(role="coordinator")\n', [1]),
        (role_strings, 'User.objects.filter(role__in=["approver", "lead"])\n', [1]),
        (role_strings, "if user.role == Role.LEAD:\n    pass\n", []),
        (role_strings, 'path("admin/", site.urls)\nname = "lead"\n', []),
        (status_sets, 'PlanVersion.objects.filter(status__in=["approved", "active"])\n', [1]),
        (status_sets, "qs.exclude(status__in={Status.DRAFT})\n", [1]),
        (status_sets, "Q(plan_version__status__in=frozenset({Status.ACTIVE, Status.ENDING}))\n", [1]),
        (status_sets, "def f(v):\n    return v.status in (Status.APPROVED, Status.ACTIVE)\n", [2]),
        (status_sets, "_move(version, to_status=Status.ACTIVE, from_statuses={Status.APPROVED})\n", [1]),
        (status_sets, "qs.filter(status__in=Status.AGREED)\n", []),
        (status_sets, "_move(version, from_statuses=FROM_STATUSES[action])\n", []),
        (status_sets, "(ReviewStatus.DUE, ReviewStatus.COMPLETED)\n", []),
        (status_strings, 'if version.status == "approved":\n    pass\n', [1]),
        (status_strings, 'if row["status"] in ("active", "ending"):\n    pass\n', [1]),
        (status_strings, 'qs.filter(status="active")\n', [1]),
        (status_strings, 'PlanEvent(from_status="draft", to_status=Status.SUBMITTED)\n', [1]),
        (status_strings, "if version.status == Status.APPROVED:\n    pass\n", []),
        (status_strings, 'if review.status == "due":\n    pass\n', []),
        (status_strings, 'render(request, "x.html", status=410)\n', []),
        (budget_usable_copies, "person.budget_versions.filter(sign_off__in=USABLE)\n", [1]),
        (budget_usable_copies, "ok = version.sign_off in SignOff.USABLE\n", [1]),
        (budget_usable_copies, "ok = version.sign_off in {SignOff.NOT_NEEDED, SignOff.SIGNED_OFF}\n", [1]),
        (budget_usable_copies, "waiting = qs.filter(sign_off=SignOff.AWAITING)\n", []),
    ],
)
def test_the_finders_tell_a_copy_from_a_use(finder, source, lines):
    assert found(finder, source) == lines


@pytest.mark.parametrize(
    ("pattern", "line", "hit"),
    [
        (TEMPLATE_ROLE, '{% if user.role == "coordinator" %}Caseload{% endif %}', True),
        (TEMPLATE_ROLE, "{% if 'lead' == request.user.role %}", True),
        (TEMPLATE_ROLE, '{% if user.role in "approver lead" %}', True),
        (TEMPLATE_ROLE, '<span role="text">Important</span>', False),
        (TEMPLATE_ROLE, "{% if user.is_coordinator %}", False),
        (TEMPLATE_STATUS, '{% if version.status == "submitted" %}', True),
        (TEMPLATE_STATUS, "{% if version.status in 'approved active' %}", True),
        (TEMPLATE_STATUS, '<strong data-testid="status">{{ version.status_words }}</strong>', False),
        (TEMPLATE_STATUS, "{% if version.can_decide %}", False),
    ],
)
def test_the_template_patterns_tell_a_copy_from_a_use(pattern, line, hit):
    assert bool(pattern.search(line)) is hit


def test_the_lists_here_match_the_definitions():
    from careplans.models import Status
    from phb.roles import Role

    assert set(Role.values) == ROLES
    assert set(Status.values) == PLAN_STATUSES
