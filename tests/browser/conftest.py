"""Browser tests: Playwright drives Debian's Chromium against the live server."""

import os
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import sync_playwright

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def browser():
    if not os.path.exists(CHROMIUM):
        pytest.fail(f"Chromium is missing at {CHROMIUM}: run `make test`, which installs Debian's chromium.")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def suite_logs():
    """Every log record of the whole browser suite (the live server runs in this process), as log lines."""
    import logging

    from tests.log_check import Captured

    handler = Captured()
    root = logging.getLogger()
    root.addHandler(handler)
    yield handler
    root.removeHandler(handler)


@pytest.fixture(autouse=True)
def no_identifiers_in_logs(suite_logs, live_server):
    """After each browser test (before its data is flushed), the suite's logs hold none of the identifiers of
    the people and patient accounts it made (tests/log_check.py)."""
    from tests.log_check import identifiers_in_database, leaks

    yield
    found = leaks(suite_logs.lines, identifiers_in_database())
    if found:
        pytest.fail("People's identifiers in the logs:\n" + "\n".join(found), pytrace=False)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.when == "call":
        item.failed_in_call = report.failed
    return report


@pytest.fixture
def page(browser, live_server, request):
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900})
    context.set_default_timeout(10_000)
    page = context.new_page()
    yield page
    if getattr(request.node, "failed_in_call", False):
        # A picture of the page as the test left it, for whoever reads the failure.
        path = Path("test-results") / f"{request.node.name}.png"
        path.parent.mkdir(exist_ok=True)
        page.screenshot(path=str(path), full_page=True)
        print(f"Screenshot of the failing page: {path}")
    context.close()


def sign_in(page, username, password):
    """Signs in as the account with this username, by its e-mail address (as people sign in)."""
    from people.models import User
    from people.tests.factories import PASSWORD

    page.goto("/sign-in/")
    page.get_by_label("Email address").fill(User.objects.get(username=username).email)
    page.get_by_label("Password").fill(password or PASSWORD)
    from twofactor.rules import needs_second_factor

    user = User.objects.get(username=username)
    device = authenticator_of(user) if needs_second_factor(user) else None
    page.get_by_role("button", name="Sign in").click()
    if device is not None:
        give_second_factor(page, device)


# The authenticator key of staff who have none when a browser test signs them in (tests only).
BROWSER_TEST_TOTP_KEY = "3132333435363738393031323334353637383930"


def authenticator_of(user):
    """The user's authenticator app; staff who have none get one with BROWSER_TEST_TOTP_KEY (before
    they sign in, so the sign-in asks for a code rather than setting one up)."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device, _ = TOTPDevice.objects.get_or_create(
        user=user, confirmed=True, defaults={"name": "Authenticator app", "key": BROWSER_TEST_TOTP_KEY}
    )
    return device


def give_second_factor(page, device):
    """Staff give the code their authenticator app would show, on the real page."""
    page.get_by_label("Code from your authenticator app").fill(next_code(device))
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url(lambda url: "/second-factor/" not in url)


def next_code(device) -> str:
    """A code the device accepts now (twofactor.rules.next_code); waits for the next 30 seconds if a third
    sign-in comes within the same 30."""
    import time

    from twofactor.rules import next_code as code_accepted_now

    device.refresh_from_db()
    while True:
        code = code_accepted_now(
            device.key, now=time.time(), last_t=device.last_t, drift=device.drift, tolerance=device.tolerance
        )
        if code is not None:
            return code
        time.sleep(1)


def _is_conditional_reveal_expanded_state(violation, node) -> bool:
    """NHS.UK's conditional reveals put aria-expanded on radios and checkboxes.

    axe calls that critical (aria-allowed-attr); the design systems keep it on
    purpose because screen readers announce it (GOV.UK Frontend issue 979, a
    documented known issue). We allow exactly that and nothing else.
    """
    if violation["id"] != "aria-allowed-attr" or 'aria-controls="conditional-' not in node.get("html", ""):
        return False
    data = [str(d) for check in node.get("any", []) + node.get("all", []) for d in (check.get("data") or [])]
    return bool(data) and all(d.startswith("aria-expanded") for d in data)


def assert_accessible(page):
    """axe-core finds no serious or critical WCAG problems on the page as it is now."""
    results = Axe().run(
        page,
        options={
            "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]},
            # Only violations are read: axe leaves the elements of passes and the rest out of its answer.
            "resultTypes": ["violations"],
        },
    )
    problems = []
    for violation in results.response["violations"]:
        if violation["impact"] not in {"serious", "critical"}:
            continue
        nodes = [n for n in violation["nodes"] if not _is_conditional_reveal_expanded_state(violation, n)]
        if nodes:
            problems.append(
                f"{violation['id']} ({violation['impact']}): {violation['help']} at {[n['target'] for n in nodes]}"
            )
    assert not problems, f"Accessibility problems on {page.url}:\n" + "\n".join(problems)
