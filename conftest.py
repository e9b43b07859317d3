"""Personas shared by every test, as the house style asks.

Alice and Bob coordinate care in the North team; Charlie coordinates in the
South team and must never see North's people. Priya approves plans for the PHB
team and Leo leads it. Pat is a patient who sees only her own records; Quinn is
another patient. Ada administers accounts.
"""

import datetime
import json
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

# The GOV.UK Notify stand-in that checks requests as Notify does (tests/notify_api.py: the notify_api fixture).
pytest_plugins = ["tests.notify_api", "tests.oidc_provider"]

# Playwright's sync API runs an event loop in the test thread; Django refuses
# ORM calls there unless told the thread is only used synchronously.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(autouse=True, scope="session")
def _tests_run_on_postgresql(django_db_setup, django_db_blocker):
    from django.db import connection

    if connection.vendor != "postgresql" and not os.environ.get("PHB_ALLOW_NON_POSTGRES_TESTS"):
        pytest.exit(
            "The tests run on PostgreSQL, as production does. Set DATABASE_URL, for example "
            "postgres://postgres@127.0.0.1:5432/phb, or run `make test`.",
            returncode=2,
        )


@pytest.fixture(autouse=True)
def _nothing_kept_from_before():
    """Figures kept in Redis (phb.freshness) by an earlier test or run are stale for this one: the test database
    starts its ids again, and a test's changes are rolled back rather than committed. Within a test the same
    holds: its changes are never committed, so they do not make kept figures stale; a test that opens a page,
    changes something and opens it again calls freshness.stale_now() or runs the change inside
    django_capture_on_commit_callbacks(execute=True)."""
    from phb import freshness, prepared

    freshness.stale_now()
    freshness.forget_last_copies()  # the copies shown while slow figures are worked out again, too
    prepared.forget()  # and statements are prepared afresh, as on a new connection
    prepared.forget_compiled()  # and querysets compiled afresh: a test's settings may change their SQL


@pytest.fixture(autouse=True, scope="session")
def _static_files_read_once():
    """WhiteNoise reads STATIC_ROOT's every file (stat, headers, compressed variants) each time a test
    client loads the middleware, ~0.1 s a test once `collectstatic` has filled it (make bench does): a
    third of a run of people/, accounts/ and eligibility/. The same folder, unchanged (every file's size
    and time), read with the same WhiteNoise settings, gives the same answer, so it is read once."""
    from django.conf import settings as django_settings
    from whitenoise.base import WhiteNoise, scantree

    original = WhiteNoise.update_files_dictionary
    read = {}

    def update_files_dictionary(self, root, prefix):
        tree = tuple(sorted((path, found.st_size, found.st_mtime_ns) for path, found in scantree(root)))
        key = (
            type(self),
            root,
            prefix,
            tree,
            self.max_age,
            self.allow_all_origins,
            self.charset,
            tuple(sorted(self.media_types.types_map.items())),
            self.add_headers_function,
            self.index_file,
            getattr(self, "static_prefix", None),
            repr(django_settings.STORAGES),
        )
        if key not in read:
            before = self.files
            self.files = {}
            try:
                original(self, root, prefix)
                read[key] = self.files
            finally:
                self.files = {**before, **self.files}
            return
        self.files.update(read[key])

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(WhiteNoise, "update_files_dictionary", update_files_dictionary)
        yield


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    from people.tests import personas

    settings.PASSWORD_HASHERS = personas.FAST_PASSWORD_HASHERS


def complete_second_factor(client, user) -> None:
    """Marks the client's session as having given the second factor, as twofactor's verify page does:
    the user gets a confirmed authenticator (a new one if they have none) and the session names it."""
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=True)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()


@pytest.fixture(autouse=True)
def _force_login_completes_the_second_factor(monkeypatch):
    """client.force_login(staff) signs in as if the staff member had also given their second factor.

    Staff (twofactor.rules.needs_second_factor) must give a second factor before any page. Tests that are
    not about the factor sign in as if they had: the wrapped force_login gives the user a confirmed
    authenticator and marks the session verified by it, through django-otp's own session key, so every
    check after that (twofactor's middlewares) runs as in production. Patients are left as
    they are. The factor tests (twofactor/tests, tests/browser/test_second_factor.py) sign in with the
    real sign-in POST and give the factor on its page; `force_login(user, second_factor=False)` gives a
    session with the password only.
    """
    from django.test import Client

    from twofactor.rules import needs_second_factor

    original = Client.force_login

    def force_login(self, user, backend=None, *, second_factor=True):
        original(self, user, backend)
        if second_factor and needs_second_factor(user):
            complete_second_factor(self, user)

    monkeypatch.setattr(Client, "force_login", force_login)


@pytest.fixture
def seeded_cohorts(db):
    """The IPC cohorts migration eligibility/0002 seeds. A transactional test (browser, threads, database
    roles) empties every table when it ends, so a test that needs what a migration put there asks for it."""
    from importlib import import_module

    from django.apps import apps

    import_module("eligibility.migrations.0002_seed_cohorts").seed(apps, None)


@pytest.fixture
def north(db):
    from people.tests import personas

    return personas.north()


@pytest.fixture
def south(db):
    from people.tests import personas

    return personas.south()


@pytest.fixture
def alice(north):
    from people.tests import personas

    return personas.alice(north)


@pytest.fixture
def bob(north):
    from people.tests import personas

    return personas.bob(north)


@pytest.fixture
def charlie(south):
    from people.tests import personas

    return personas.charlie(south)


@pytest.fixture
def priya(db):
    from people.tests import personas

    return personas.priya()


@pytest.fixture
def leo(db):
    from people.tests.factories import UserFactory
    from phb.roles import Role

    return UserFactory(username="leo", first_name="Leo", last_name="Lewis", role=Role.LEAD)


@pytest.fixture
def ada(db):
    from people.tests.factories import UserFactory
    from phb.roles import Role

    return UserFactory(
        username="ada", first_name="Ada", last_name="Admin", role=Role.ADMIN, is_staff=True, is_superuser=True
    )


@pytest.fixture
def jane(north, alice):
    """A person in the North team's care, with Alice as lead coordinator."""
    from people.tests.factories import PersonFactory

    return PersonFactory(
        given_name="Jane",
        family_name="Smith",
        date_of_birth=datetime.date(1958, 3, 14),
        care_team=north,
        lead_coordinator=alice,
    )


@pytest.fixture
def sam(south, charlie):
    """A person in the South team's care."""
    from people.tests.factories import PersonFactory

    return PersonFactory(
        given_name="Sam",
        family_name="Taylor",
        date_of_birth=datetime.date(2009, 12, 1),
        care_team=south,
        lead_coordinator=charlie,
    )


@pytest.fixture
def pat(jane):
    """A patient linked to Jane's records (Jane herself signing in)."""
    from people.tests.factories import PortalAccessFactory, UserFactory
    from phb.roles import Role

    user = UserFactory(username="pat", first_name="Jane", last_name="Smith", role=Role.PATIENT)
    PortalAccessFactory(user=user, person=jane)
    return user


@pytest.fixture
def quinn(sam):
    from people.tests.factories import PortalAccessFactory, UserFactory
    from phb.roles import Role

    user = UserFactory(username="quinn", first_name="Quinn", last_name="Taylor", role=Role.PATIENT)
    PortalAccessFactory(user=user, person=sam, relationship="Parent")
    return user


def wait_for(condition, *, seconds=30.0, every=0.2):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(every)
    return False


@pytest.fixture
def celery_worker_env():
    """Extra environment for the worker subprocess; a test module overrides it (say, a mail server)."""
    return {}


def start_celery_worker(queue: str, env: dict, log: Path) -> subprocess.Popen:
    """A Celery worker process reading `queue`, its output in `log` (appended to), once it says it is ready."""
    celery = Path(sys.executable).with_name("celery")
    started = log.read_text().count("ready.") if log.exists() else 0
    process = subprocess.Popen(
        [
            str(celery),
            "-A",
            "phb",
            "worker",
            "--pool=solo",
            "-Q",
            queue,
            "--loglevel=INFO",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
        ],
        cwd=Path(__file__).resolve().parent,
        env=env,
        stdout=log.open("a"),
        stderr=subprocess.STDOUT,
    )
    if not wait_for(lambda: log.read_text().count("ready.") > started):
        process.kill()
        pytest.fail(f"The Celery worker did not start:\n{log.read_text()}")
    return process


@pytest.fixture
def celery_worker_process(tmp_path, transactional_db, celery_worker_env):
    """A Celery worker on its own queue, using the test database and writing e-mails to files.

    Yields (the folder the e-mails are written to, the worker's log file).
    """
    from django.db import connection

    from phb.celery import app

    queue = f"phb-test-{uuid.uuid4().hex[:8]}"
    db = connection.settings_dict
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}",
        "CELERY_QUEUE": queue,
        "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
        "EMAIL_FILE_PATH": str(tmp_path / "mail"),
        **celery_worker_env,
    }
    log = tmp_path / "worker.log"
    process = start_celery_worker(queue, env, log)
    previous_queue = app.conf.task_default_queue
    app.conf.task_default_queue = queue
    try:
        yield tmp_path / "mail", log
    finally:
        app.conf.task_default_queue = previous_queue
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()


# Under pytest-xdist the hostile-input module runs in a worker: each process leaves its counts here for the
# process that prints the summary.
HOSTILE_COUNTS = Path(__file__).resolve().parent / "var" / "hostile-examples"


def pytest_sessionstart(session):
    if not hasattr(session.config, "workerinput"):  # the one process, or the controller: start afresh
        for stale in HOSTILE_COUNTS.glob("*.json") if HOSTILE_COUNTS.is_dir() else []:
            stale.unlink()


def pytest_sessionfinish(session):
    hostile = sys.modules.get("tests.test_hostile_input")
    if hostile is None or not hostile.EXAMPLES:
        return
    HOSTILE_COUNTS.mkdir(parents=True, exist_ok=True)
    worker = getattr(session.config, "workerinput", {}).get("workerid", "main")
    (HOSTILE_COUNTS / f"{worker}.json").write_text(json.dumps(hostile.EXAMPLES))


def pytest_terminal_summary(terminalreporter):
    """How many hostile examples each form was sent (tests/test_hostile_input.py), when that module ran;
    "(query)" marks a page's query string tried on GET."""
    examples = {}
    for found in sorted(HOSTILE_COUNTS.glob("*.json")) if HOSTILE_COUNTS.is_dir() else []:
        for form, count in json.loads(found.read_text()).items():
            examples[form] = examples.get(form, 0) + count
    if not examples:
        return
    terminalreporter.section("hostile input: examples posted per form (and per query string)")
    for form, count in sorted(examples.items()):
        terminalreporter.write_line(f"{count:5d}  {form}")
    total, kinds = sum(examples.values()), len(examples)
    terminalreporter.write_line(f"{total:5d}  in all, {kinds} forms and query strings")
