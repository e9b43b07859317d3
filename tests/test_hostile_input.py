"""Hostile input on every form: random and hostile values posted to every form-taking view as its permitted persona.

Each case opens the page as the persona who may use it, reads the form the page shows (every input, text area,
select and radio group, with the values the page fills in), then Hypothesis posts variations of it: any field
kept, left out, or replaced by a hostile value (100,000 characters, NUL bytes, right-to-left and combining
characters, emoji, negative, huge, NaN and 1e309 numbers, other scripts' digits, impossible dates, HTML,
script, SQL-looking text, stale or forged version numbers). For every post:
- no server error (nothing a user can type is a 500);
- a refused post (the form shown again, or a button's redirect with an error message) stores nothing: no
  new or changed rows (counted per table, versions compared) and no audit event other than views;
- nothing posted is rendered unescaped: no raw `<script` from the input in the answer, nor in the page a
  successful post leads to.
Then the valid form is posted twice (a duplicate submission): no 500 either time.

A form that is only a button (sign off, remove, unlock, cancel, try again) is posted with hostile stray
fields (`next` among them); any redirect a post answers with stays on this site.

Pages that read their address's query string (filters, `page`, `next`, `from`/`to`) get the same treatment
on GET (QUERY_CASES): every parameter the page's own filter form has, and the common ones, kept, left out
or hostile: no server error, nothing stored but views (and the export's own event), nothing echoed raw; a
CSV never starts a cell with a spreadsheet formula.

Every URL pattern that takes a POST or reads its query string must be in this run or in EXCLUDED with a
reason (`test_every_form_and_query_string_is_in_the_hostile_run`, shown to fail for a new page by
`test_a_form_missing_from_the_hostile_run_fails_the_check`).

The number of examples per form is printed at the end of the run (conftest.py's terminal summary).
Set HOSTILE_EXAMPLES to try more (the default keeps the run short).
"""

import csv
import functools
import inspect
import io
import os
import sys
import time
import types
from collections import Counter
from html.parser import HTMLParser
from urllib.parse import parse_qsl

import pytest
from django.apps import apps
from django.contrib import messages
from django.db import connection
from django.http import HttpResponse
from django.test import override_settings
from django.urls import path, resolve, reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django_otp.plugins.otp_totp.models import TOTPDevice
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from phb.models import AuditAction, AuditEvent
from phb.once import FIELD as ONCE_FIELD
from tests.url_walk import ADMIN_PREFIX, url_patterns

pytestmark = pytest.mark.django_db

EXAMPLES: Counter = Counter()  # form -> examples tried; conftest.py prints it
MAX_EXAMPLES = int(os.environ.get("HOSTILE_EXAMPLES", "10"))

SCRIPT = "<script>alert('phb')</script>"
HOSTILE = [
    "x" * 100_000,
    "\x00",
    "name\x00with a NUL",
    "\u202eevil right-to-left\u202c",
    "\u05e9\u05dc\u05d5\u05dd \u0645\u0631\u062d\u0628\u0627",
    "e\u0301\u0302\u0303\u0304\u0305\u0306\u0307\u0308",
    "\U0001f600\U0001f469\u200d\U0001f467\u200d\U0001f466",
    "",
    "   ",
    "-1",
    "-99999999999999999999",
    "99999999999999999999999999999",
    "1e309",
    "-1e309",
    "NaN",
    "Infinity",
    "0",
    "1_000",
    "\u0661\u0662",
    "\uff11\uff12",
    "12.3456",
    "£-0.001",
    "31",
    "2",
    "30",
    "2025",
    "0000",
    "99999",
    SCRIPT,
    f'"><img src=x onerror=alert(1)>{SCRIPT}',
    "<b>bold</b>",
    "'; DROP TABLE people_person; --",
    "' OR '1'='1",
    "{{ 7|add:7 }}{% debug %}",
    "%s%s%n",
    "line one\r\nSet-Cookie: stolen=1",
    "../../../../etc/passwd",
    "2147483648",
    "00000000-0000-0000-0000-000000000000",
]
STRAY = {"next": "", "confirm": "yes"}  # what a hostile client adds to a form that is only a button
FORMULA = ("=", "+", "-", "@", "\t", "\r")
_KEEP, _DROP = object(), object()
value = st.one_of(
    st.sampled_from(HOSTILE),
    st.text(max_size=40),
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
    st.decimals(allow_nan=True, allow_infinity=True, places=3).map(str),
)


class FormReader(HTMLParser):
    """The fields of the page's own POST form (not the sign-out button's), with the values it fills in."""

    def __init__(self, action: str, method: str = "post"):
        super().__init__(convert_charrefs=True)
        self.action = action
        self.method = method
        self.forms: list[dict] = []
        self.current: dict | None = None
        self.textarea: str | None = None
        self.select: str | None = None
        self.first_option: dict[str, str] = {}

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            ours = (a.get("method") or "get").lower() == self.method and a.get("action", "") in ("", self.action)
            self.current = {} if ours else None
            if ours:
                self.forms.append(self.current)
            return
        if self.current is None:
            return
        name = a.get("name")
        if tag == "input" and name and a.get("type") not in ("submit", "button"):
            kind = a.get("type", "text")
            if kind in ("radio", "checkbox"):
                if "checked" in a or (kind == "radio" and name not in self.current):
                    self.current[name] = a.get("value", "on")
            else:
                self.current[name] = a.get("value", "")
        elif tag == "textarea" and name:
            self.textarea = name
            self.current[name] = ""
        elif tag == "select" and name:
            self.select = name
        elif (
            tag == "option" and self.select and a.get("value") and (self.select not in self.current or "selected" in a)
        ):
            self.current[self.select] = a["value"]

    def handle_endtag(self, tag):
        if tag == "form":
            self.current = None
        elif tag == "textarea":
            self.textarea = None
        elif tag == "select":
            self.select = None

    def handle_data(self, data):
        if self.current is not None and self.textarea:
            self.current[self.textarea] += data.lstrip("\n") if not self.current[self.textarea] else data


def form_on(page: str, url: str, method: str = "post") -> dict | None:
    """The fields of the page's form that posts to `url` (None when the page shows none; {} for a button)."""
    reader = FormReader(url, method)
    reader.feed(page)
    if not reader.forms:
        return None
    data = max(reader.forms, key=len)
    data.pop("csrfmiddlewaretoken", None)
    return data


def content_of(response) -> str:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content).decode(errors="replace")
    return response.content.decode(errors="replace")


def refused_with_a_message(response) -> bool:
    """A button's post refused: it redirects back with an error message (out of date, not allowed now)."""
    added = getattr(messages.get_messages(response.wsgi_request), "_queued_messages", [])  # by this request
    return any(message.level == messages.ERROR for message in added)


def on_this_site(location: str) -> bool:
    return url_has_allowed_host_and_scheme(location, allowed_hosts={"testserver"})


def safe_answer(response) -> bool:
    """Nothing posted comes back raw: no script in a page, no formula at the start of a CSV cell."""
    text = content_of(response)
    if response.get("Content-Type", "").startswith("text/csv"):
        return not any(cell[:1] in FORMULA for line in csv.reader(io.StringIO(text)) for cell in line)
    return not unescaped(text)


def stored(expected=()) -> tuple:
    """Rows in every table of the project's apps, and audit events that are not views (nor the `expected`
    actions a refusal itself writes, such as a failed sign-in): one query and a count."""
    models = [
        m for m in apps.get_models() if m._meta.app_label in {"people", "eligibility", "budgets", "careplans", "portal"}
    ]
    tables = [m._meta.db_table for m in models if not m._meta.proxy and m._meta.managed]
    viewing = [AuditAction.VIEW, AuditAction.VIEW_LIST, AuditAction.ACCESS_REFUSED, AuditAction.SEARCH]
    # Table names from the models, never from input.
    sql = " UNION ALL ".join(
        f"SELECT '{t}', count(*) FROM {connection.ops.quote_name(t)}"  # noqa: S608
        for t in sorted(set(tables))
    )
    with connection.cursor() as cursor:
        cursor.execute(sql)
        rows = tuple(sorted(cursor.fetchall()))
    changes = AuditEvent.objects.exclude(action__in=[*viewing, *expected]).count()
    return rows, changes


@functools.cache
def _versions_sql() -> str:
    """One query for every versioned table: each row's id and version, in id order."""
    parts = []
    for model in apps.get_models():
        fields = {f.name: f for f in model._meta.concrete_fields}
        for name in ("version", "revision"):
            if name in fields and model._meta.app_label in {"people", "budgets", "careplans"}:
                table, pk, column = (
                    connection.ops.quote_name(n)
                    for n in (model._meta.db_table, model._meta.pk.column, fields[name].column)
                )
                # Names from the models, never from input.
                parts.append(
                    f"SELECT '{model._meta.label}.{name}', "  # noqa: S608
                    f"coalesce(string_agg({pk}::text || ':' || {column}::text, ',' ORDER BY {pk}), '') FROM {table}"
                )
    return " UNION ALL ".join(parts)


def row_versions() -> tuple:
    """Every versioned row's version: an edit refused must not have bumped one."""
    with connection.cursor() as cursor:
        cursor.execute(_versions_sql())
        return tuple(sorted(cursor.fetchall()))


def unescaped(text: str) -> bool:
    return "<script>alert('phb')" in text or "<img src=x onerror" in text


def hostile_run(client, name: str, url: str, *, page_url: str = "", expected=(), follow_check=True):
    """Posts Hypothesis's variations of the form on `page_url` (by default `url`) to `url`; returns how many
    it tried. `expected`: audit actions a refused post writes by design (a failed sign-in)."""
    page_url = page_url or url
    page = client.get(page_url, follow=True)
    assert page.status_code == 200, f"{name}: {page_url} gave {page.status_code}"
    if page.redirect_chain and url == page_url:  # a page that moves its token out of the address
        url = page_url = page.redirect_chain[-1][0]
    baseline = form_on(page.content.decode(), url)
    assert baseline is not None, f"{name}: no form on {page_url} posts to {url}"
    assert resolve(url).view_name == name, f"{name}: the page sent the run to {url} instead"
    # The one-time form token (phb.once) is left out of the variations, so every post reaches the form's
    # own checks; the duplicate submissions below send it.
    token = baseline.pop(ONCE_FIELD, None)
    baseline = baseline or dict(STRAY)  # a button: what a hostile client adds to it

    @settings(
        max_examples=MAX_EXAMPLES,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(choices=st.fixed_dictionaries({k: st.one_of(st.just(_KEEP), st.just(_DROP), value) for k in baseline}))
    def post(choices):
        EXAMPLES[name] += 1
        data = {k: baseline[k] if v is _KEEP else v for k, v in choices.items() if v is not _DROP}
        before, versions = stored(expected), row_versions()
        response = client.post(url, data)
        assert response.status_code < 500, (name, data)
        assert safe_answer(response), (name, data)
        if response.status_code != 302 or refused_with_a_message(response):
            assert stored(expected) == before, f"{name}: a refused post stored something: {data}"
            assert row_versions() == versions, f"{name}: a refused post changed a row: {data}"
        if response.status_code == 302:
            assert on_this_site(response.url), f"{name}: redirected off the site to {response.url!r}: {data}"
            if follow_check:
                landed = client.get(response.url)
                assert landed.status_code < 500, (name, data)
                assert safe_answer(landed), (name, data)

    post()
    page = client.get(page_url)
    if page.status_code == 200:  # the same form twice, as a double click sends it: never a 500
        fresh = form_on(page.content.decode(), url)  # none once the form has done its work (signed off)
        for _ in range(2 if fresh is not None else 0):
            EXAMPLES[name] += 1
            assert client.post(url, fresh).status_code < 500
    assert token is None or len(token) >= 20
    return EXAMPLES[name]


# The world each form is posted in: real objects made as the services make them.


@pytest.fixture
def world(alice, bob, priya, leo, jane, pat):
    from tests import page_data

    w = page_data.World(team=alice.teams.first(), coordinator=alice, approver=priya, lead=leo)
    w.jane, w.pat = jane, pat
    return w


def _draft(w):
    from careplans.tests.factories import complete_plan

    return complete_plan(person=w.jane, coordinator=w.coordinator)


def _active(w):
    from tests import page_data

    return page_data.approve(w, _draft(w))


CASES = {
    "people:add": ("alice", lambda w: reverse("people:add")),
    "people:edit": ("alice", lambda w: reverse("people:edit", kwargs={"pk": w.jane.pk})),
    "eligibility:new": ("alice", lambda w: reverse("eligibility:new", kwargs={"person_pk": w.jane.pk})),
    "eligibility:decide": ("priya", "referral"),
    "budgets:assessment_new": ("alice", "assessment_new"),
    "budgets:assessment_edit": ("alice", "assessment_edit"),
    "budgets:service_add": ("alice", "service_add"),
    "budgets:service_edit": ("alice", "service_edit"),
    "budgets:budget_new": ("alice", "budget_new"),
    "budgets:sign_off": ("priya", "sign_off"),
    "budgets:tariff_new": ("leo", lambda w: reverse("budgets:tariff_new")),
    "budgets:tariff_edit": ("leo", "tariff_edit"),
    "careplans:new": ("alice", "plan_new"),
    "careplans:edit": ("alice", lambda w: reverse("careplans:edit", kwargs={"pk": _draft(w).pk})),
    "careplans:outcome_add": ("alice", lambda w: reverse("careplans:outcome_add", kwargs={"version_pk": _draft(w).pk})),
    "careplans:item_add": ("alice", lambda w: reverse("careplans:item_add", kwargs={"version_pk": _draft(w).pk})),
    "careplans:decide": ("priya", "decide"),
    "careplans:end": ("alice", lambda w: reverse("careplans:end", kwargs={"pk": _active(w).pk})),
    "careplans:ending_decide": ("priya", "ending_decide"),
    "careplans:review_record": ("alice", "review_record"),
    "careplans:review_request": (
        "alice",
        lambda w: reverse("careplans:review_request", kwargs={"pk": _active(w).plan_id}),
    ),
    "portal:invite": ("alice", lambda w: reverse("portal:invite", kwargs={"person_pk": w.jane.pk})),
    "portal:reply": ("alice", "staff_messages"),
    "portal:messages": ("pat", lambda w: reverse("portal:messages", kwargs={"pk": w.jane.pk})),
    "portal:accept": (None, "accept"),
    "login": (None, lambda w: reverse("login")),
    "accounts:password_reset": (None, lambda w: reverse("accounts:password_reset")),
    "accounts:password_reset_confirm": (None, "password_reset_confirm"),
    "twofactor:reauth": ("alice", lambda w: reverse("twofactor:reauth")),
    # The buttons and the forms behind them.
    "budgets:service_remove": ("alice", "service_remove"),
    "careplans:outcome_edit": ("alice", "outcome_edit"),
    "careplans:item_edit": ("alice", "item_edit"),
    "careplans:outcome_remove": ("alice", "outcome_remove"),
    "careplans:item_remove": ("alice", "item_remove"),
    "careplans:submit": ("alice", "submit"),
    "careplans:amend": ("alice", "amend"),
    "careplans:assign": ("priya", "assign"),
    "careplans:message_retry": ("leo", "message_retry"),
    "portal:revoke": ("alice", "revoke"),
    "portal:cancel_invitation": ("alice", "cancel_invitation"),
    "portal:resend_invitation": ("alice", "resend_invitation"),
    "accounts:lockout_unlock": ("leo", "lockout_unlock"),
    "accounts:stay_signed_in": (  # the session timeout warning's button, on every signed-in page
        "alice",
        lambda w: (reverse("casework:caseload"), reverse("accounts:stay_signed_in")),
    ),
    # The second factor: each page as the staff member at the step it is for (see SIGN_IN).
    "twofactor:enrol": ("alice", lambda w: reverse("twofactor:enrol")),
    "twofactor:verify": ("alice", lambda w: reverse("twofactor:verify")),
    "twofactor:verify_recovery": ("alice", lambda w: reverse("twofactor:verify_recovery")),
    "twofactor:remove": ("alice", lambda w: reverse("twofactor:remove")),
    "twofactor:new_recovery_codes": ("alice", lambda w: reverse("twofactor:new_recovery_codes")),
    "twofactor:password_change": ("alice", lambda w: reverse("twofactor:password_change")),
    "twofactor:reset": ("leo", lambda w: reverse("twofactor:reset", kwargs={"pk": w.coordinator.pk})),
    # Payment runs: Priya (finance) makes one, and confirms or cancels one Leo made.
    "payments:runs": ("priya", lambda w: _payments_due(w)),
    "payments:confirm": ("priya", lambda w: _waiting_run(w, "confirm")),
    "payments:cancel": ("priya", lambda w: _waiting_run(w, "cancel")),
    # The NHS England return: Leo marks the last quarter finished submitted (its quarter a hidden field).
    "reports:return_submit": ("leo", lambda w: (reverse("reports:return"), reverse("reports:return_submit"))),
    # Repayments and stopping: Priya proposes; Alice records Jane's response; Leo decides or withdraws what
    # Priya proposed.
    "payments:reclaim_new": ("priya", lambda w: _plan_page(w, "reclaim_new")),
    "payments:stop_new": ("priya", lambda w: _plan_page(w, "stop_new")),
    "payments:reclaim_response": ("alice", lambda w: _reclaim(w, "reclaim_response", responded=False)),
    "payments:reclaim_decide": ("leo", lambda w: _reclaim(w, "reclaim_decide")[1]),
    "payments:reclaim_withdraw": ("leo", lambda w: _reclaim(w, "reclaim_withdraw")[1]),
    # Money in use: Alice adds statements and spending to Jane's plan and matches it, holds and resumes her
    # payments; Priya records an invoice; Pat adds a statement or a receipt in the portal. The columns step is
    # opened after an upload whose columns are not known (_upload_first keeps the file in the session).
    "payments:statement_add": ("alice", lambda w: _plan_page(w, "statement_add")),
    "payments:statement_columns": ("alice", lambda w: _plan_page(w, "statement_columns")),
    "payments:transaction_add": ("alice", lambda w: _plan_page(w, "transaction_add")),
    "payments:transaction_match": ("alice", lambda w: _to_match(w)),
    "payments:hold": ("alice", lambda w: _plan_page(w, "hold")),
    "payments:resume": ("alice", lambda w: _held(w)),
    "payments:invoice": ("priya", lambda w: _plan_page(w, "invoice")),
    "portal:statement_add": ("pat", lambda w: _portal_page(w, "statement_add")),
    "portal:statement_columns": ("pat", lambda w: _portal_page(w, "statement_columns")),
    "portal:receipt_add": ("pat", lambda w: _portal_page(w, "receipt_add")),
}
# Audit events a refused post writes by design.
_FACTOR_REFUSED = (AuditAction.FACTOR_FAILED, AuditAction.LOCKED_OUT, AuditAction.SIGN_OUT)
EXPECTED_AUDIT = {
    "login": (AuditAction.SIGN_IN_FAILED, AuditAction.LOCKED_OUT),
    "accounts:password_reset": (AuditAction.ASK_PASSWORD_RESET,),
    "twofactor:reauth": _FACTOR_REFUSED,
    "twofactor:enrol": _FACTOR_REFUSED,
    "twofactor:verify": _FACTOR_REFUSED,
    "twofactor:verify_recovery": _FACTOR_REFUSED,
}


def _payments_due(w) -> str:
    """The payment runs page for Priya, with the finance permission, and a plan whose payments are due."""
    from tests import page_data

    page_data.finance(w.approver)
    _active(w)
    return reverse("payments:runs")


def _waiting_run(w, button: str) -> tuple[str, str]:
    """(the run's page, its button) for a run Leo made and Priya, with the finance permission, may decide."""
    from django.utils import timezone

    from payments import services as payment_services
    from tests import page_data

    page_data.finance(w.approver)
    _active(w)
    run = payment_services.run_create(due_by=timezone.localdate(), acting_user=page_data.finance(w.lead))
    return reverse("payments:run", kwargs={"pk": run.pk}), reverse(f"payments:{button}", kwargs={"pk": run.pk})


def _reclaim(w, button: str, *, responded: bool = True) -> tuple[str, str]:
    """(the repayment's page, one of its forms) for a repayment of Jane's plan that Priya proposed."""
    from tests import page_data

    action = page_data.reclaim(w, _active(w), responded=responded)
    page = reverse("payments:reclaim", kwargs={"pk": action.pk})
    return page, reverse(f"payments:{button}", kwargs={"pk": action.pk})


def _plan_page(w, name: str) -> str:
    return reverse(f"payments:{name}", kwargs={"plan_id": _active(w).plan_id})


def _portal_page(w, name: str) -> str:
    _active(w)
    return reverse(f"portal:{name}", kwargs={"pk": w.jane.pk})


def _to_match(w) -> tuple[str, str]:
    """(the plan's statements, the match form of its one transaction to match)."""
    from tests import page_data

    active = _active(w)
    spent = page_data.spending(w, active, 1).transactions.get()
    return reverse("payments:statements", kwargs={"plan_id": active.plan_id}), reverse(
        "payments:transaction_match", kwargs={"pk": spent.pk}
    )


def _held(w) -> str:
    from payments import holds

    hold = holds.hold_payments(
        plan=_active(w).plan, starts_on=timezone.localdate(), reason="In hospital", acting_user=w.coordinator
    )
    return reverse("payments:resume", kwargs={"pk": hold.pk})


# A statement whose columns are not known: the upload keeps it in the session and asks for its columns.
UNKNOWN_COLUMNS = "When,What,How much\n{today},ACME CARE LTD,-45.50\n"


def _upload_first(name: str):
    """Signs in, then uploads a statement with columns of its own to the newest plan's upload page (the columns
    step's file, kept in the session)."""

    def sign_in(client, user):
        from django.core.files.uploadedfile import SimpleUploadedFile

        from careplans.models import SupportPlan
        from phb.once import new_token

        client.force_login(user)
        plan = SupportPlan.objects.order_by("-created_at").first()
        kwargs = {"plan_id": plan.pk} if name.startswith("payments:") else {"pk": plan.person_id}
        data = UNKNOWN_COLUMNS.format(today=timezone.localdate().isoformat()).encode()
        answer = client.post(
            reverse(name.replace("statement_columns", "statement_add"), kwargs=kwargs),
            {
                "statement_file": SimpleUploadedFile("statement.csv", data, content_type="text/csv"),
                "source_name": "Current account",
                "source_kind": "bank",
                ONCE_FIELD: new_token(),
            },
        )
        assert answer.status_code == 302 and answer.url.endswith("/columns/"), answer

    return sign_in


def _password_only(client, user):
    """Signed in with the password, the second factor not given yet (an authenticator set up before)."""
    from twofactor import services as factor_services

    client.force_login(user, second_factor=False)
    factor_services.recovery_codes_issue(user=user)
    TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=True)


def _recently_confirmed(client, user):
    """Signed in with both factors within the last minutes, as "confirm it is you" leaves the session."""
    from twofactor import session

    client.force_login(user)
    stored_session = client.session
    stored_session[session.PASSWORD_AT] = stored_session[session.FACTOR_AT] = time.time()
    stored_session.save()


# How each case's persona signs in (client.force_login(user) unless named here).
SIGN_IN = {
    "twofactor:enrol": lambda client, user: client.force_login(user, second_factor=False),  # first sign-in
    "twofactor:verify": _password_only,
    "twofactor:verify_recovery": _password_only,
    "twofactor:remove": _recently_confirmed,
    "twofactor:new_recovery_codes": _recently_confirmed,
    "twofactor:password_change": _recently_confirmed,
    "twofactor:recovery_codes": _recently_confirmed,
    "payments:statement_columns": _upload_first("payments:statement_columns"),
    "portal:statement_columns": _upload_first("portal:statement_columns"),
}


def url_for(case: str, w) -> str:
    import budgets.tests.factories as budget_factories
    from budgets import services as budget_services
    from careplans import reviews
    from careplans.models import ReviewStatus
    from eligibility.tests.factories import IPCCohortFactory, referral
    from tests import page_data

    how = CASES[case][1]
    if callable(how):
        return how(w)
    if how == "referral":
        screening = referral(person=w.jane, coordinator=w.coordinator)
        screening.cohorts.add(IPCCohortFactory(code="hostile", name="Hostile cohort", needs_decision=True))
        return reverse("eligibility:decide", kwargs={"pk": screening.pk})
    if how in ("assessment_new",):
        budget_factories.make_eligible(person=w.jane, coordinator=w.coordinator)
        return reverse("budgets:assessment_new", kwargs={"person_pk": w.jane.pk})
    if how in ("assessment_edit", "service_add", "budget_new", "service_edit", "sign_off"):
        assessment = page_data.assessment_with_services(w, w.jane, 2)
        if how == "assessment_edit":
            return reverse("budgets:assessment_edit", kwargs={"pk": assessment.pk})
        if how == "service_add":
            return reverse("budgets:service_add", kwargs={"assessment_pk": assessment.pk})
        if how == "budget_new":
            return reverse("budgets:budget_new", kwargs={"assessment_pk": assessment.pk})
        if how == "service_edit":
            return reverse("budgets:service_edit", kwargs={"pk": assessment.services.first().pk})
        budget = page_data.budget_from(w, assessment, sign_off=True)
        return reverse("budgets:budget", kwargs={"pk": budget.pk}), reverse(
            "budgets:sign_off", kwargs={"pk": budget.pk}
        )
    if how == "tariff_edit":
        tariff = budget_factories.make_tariff(lead=w.lead)
        return reverse("budgets:tariff_edit", kwargs={"pk": tariff.pk})
    if how == "plan_new":
        from careplans.tests.factories import budgeted

        budgeted(person=w.jane, coordinator=w.coordinator)
        return reverse("careplans:new", kwargs={"person_pk": w.jane.pk})
    if how == "decide":
        submitted = page_data.submit(w, _draft(w))
        return reverse("careplans:decide", kwargs={"pk": submitted.pk})
    if how == "review_record":
        active = _active(w)
        review = active.plan.reviews.filter(status=ReviewStatus.DUE).first()
        assert review is not None and reviews
        return reverse("careplans:review_record", kwargs={"pk": review.pk})
    if how == "staff_messages":  # the reply form on the thread (a refused reply goes back to it too)
        page_data.messages(w, w.jane, 1, patient=w.pat)
        return (
            reverse("portal:staff_messages", kwargs={"person_pk": w.jane.pk}),
            reverse("portal:reply", kwargs={"person_pk": w.jane.pk}),
        )
    if how == "password_reset_confirm":
        from django.contrib.auth.tokens import default_token_generator
        from django.utils.encoding import force_bytes
        from django.utils.http import urlsafe_base64_encode

        user = w.pat
        return reverse(
            "accounts:password_reset_confirm",
            kwargs={
                "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
                "token": default_token_generator.make_token(user),
            },
        )
    if how == "accept":
        invitation = page_data.invitations(w, w.jane, 1)
        return reverse("portal:accept", kwargs={"token": invitation.token})
    assert budget_services
    return _button_url(how, w)


def _button_url(how: str, w):
    """(the page, the URL its button or form posts to) for the buttons."""
    from axes.models import AccessAttempt

    from careplans.models import DecisionEmail
    from people.models import PortalAccess
    from tests import page_data

    if how == "service_remove":  # the page that asks first holds the form
        assessment = page_data.assessment_with_services(w, w.jane, 2)
        return reverse("budgets:service_remove", kwargs={"pk": assessment.services.first().pk})
    if how == "ending_decide":  # the refusal's form (the page's larger one); confirming is a button beside it
        ending = page_data.ask_to_end(w, _active(w))
        return reverse("careplans:ending_decide", kwargs={"pk": ending.pk})
    if how in ("outcome_edit", "item_edit", "outcome_remove", "item_remove", "submit"):
        draft = _draft(w)
        if how == "submit":  # the submit button is on "check the plan before you submit it"
            return reverse("careplans:check", kwargs={"pk": draft.pk}), reverse(
                "careplans:submit", kwargs={"pk": draft.pk}
            )
        row = (draft.outcomes if how.startswith("outcome") else draft.items).first()
        return reverse(f"careplans:{how}", kwargs={"pk": row.pk})  # the edit and remove pages hold their forms
    if how == "amend":
        active = _active(w)
        return reverse("careplans:version", kwargs={"pk": active.pk}), reverse(
            "careplans:amend", kwargs={"pk": active.plan_id}
        )
    if how == "assign":
        submitted = page_data.submit(w, _draft(w))
        return reverse("careplans:queue"), reverse("careplans:assign", kwargs={"pk": submitted.pk})
    if how == "message_retry":
        page_data.failed_messages(w, 2)
        failed = DecisionEmail.objects.filter(failed_at__isnull=False).first()
        return reverse("careplans:failed_messages"), reverse(
            "careplans:message_retry", kwargs={"kind": "decision", "pk": failed.pk}
        )
    if how == "revoke":
        access = PortalAccess.objects.get(user=w.pat, person=w.jane)
        return reverse("people:detail", kwargs={"pk": w.jane.pk}), reverse(
            "portal:revoke", kwargs={"access_pk": access.pk}
        )
    if how in ("cancel_invitation", "resend_invitation"):
        invitation = page_data.invitations(w, w.jane, 1)
        return reverse("people:detail", kwargs={"pk": w.jane.pk}), reverse(
            f"portal:{how}", kwargs={"invitation_pk": invitation.pk}
        )
    if how == "lockout_unlock":
        page_data.lockouts(w, 1)
        attempt = AccessAttempt.objects.order_by("pk").first()
        return reverse("accounts:lockouts"), reverse("accounts:lockout_unlock", kwargs={"attempt_id": attempt.pk})
    raise AssertionError(how)


@pytest.mark.parametrize("case", list(CASES))
def test_hostile_input_never_breaks_stores_or_echoes_a_form(case, client, world, request):
    persona = CASES[case][0]
    urls = url_for(case, world)
    page_url, url = urls if isinstance(urls, tuple) else (urls, urls)
    if persona is not None:
        SIGN_IN.get(case, type(client).force_login)(client, request.getfixturevalue(persona))
    tried = hostile_run(client, case, url, page_url=page_url, expected=EXPECTED_AUDIT.get(case, ()))
    assert tried >= MAX_EXAMPLES


def test_hostile_input_in_the_caseload_search_is_never_a_500_or_echoed_raw(client, alice, jane):
    client.force_login(alice)

    @settings(max_examples=MAX_EXAMPLES * 2, deadline=None, database=None, derandomize=True)
    @given(q=st.one_of(st.sampled_from(HOSTILE), st.text(max_size=60)))
    def search(q):
        EXAMPLES["casework:caseload (search)"] += 1
        response = client.get(reverse("casework:caseload"), {"q": q})
        assert response.status_code < 500, q
        assert not unescaped(response.content.decode(errors="replace")), q

    search()


def test_hostile_input_a_stale_version_token_is_refused_and_stores_nothing(client, alice, jane):
    """Someone saved since the form was opened: the post is refused, naming them, and nothing is written."""
    url = reverse("people:edit", kwargs={"pk": jane.pk})
    client.force_login(alice)
    data = form_on(client.get(url).content.decode(), url)
    assert data["version"] == "1"
    from people.models import Person

    Person.objects.filter(pk=jane.pk).update(version=2, updated_by=alice)
    before = stored()
    response = client.post(url, {**data, "given_name": "Janet"})
    assert response.status_code == 200
    assert "was changed by Alice Adams" in response.content.decode()
    assert stored() == before


def test_the_checks_themselves_see_a_raw_script_and_a_stored_row(jane):
    """The run's checks can fail: a raw script is seen (its escaped form is not), a new row is counted, and a
    bumped version is seen."""
    from django.utils.html import escape

    from people.tests.factories import PersonFactory

    assert unescaped(f"<p>{SCRIPT}</p>")
    assert not unescaped(f"<p>{escape(SCRIPT)}</p>")
    before = stored()
    PersonFactory(care_team=jane.care_team)
    assert stored() != before
    versions = row_versions()
    assert any(label == "people.Person.version" and f"{jane.pk}:1" in rows for label, rows in versions)
    type(jane).objects.filter(pk=jane.pk).update(version=2)
    assert row_versions() != versions


# Query strings: the pages that read their address's query, on GET.

# Asked of every such page besides its own filter form's fields: the pagination, where to go next, the
# caseload search and the comparison's versions (a page ignores what it does not read).
COMMON_PARAMS = ("page", "next", "q", "from", "to", "when")


def _own_person_pages(name):
    return lambda w: reverse(name, kwargs={"pk": w.jane.pk})


QUERY_CASES = {
    "login": (None, lambda w: reverse("login")),  # its `next`
    # The search, the filters (stage, engagement support, route, next review), the sort and the tab.
    "casework:caseload": ("alice", lambda w: reverse("casework:caseload")),
    # The PHB team's ?plans= (a coordinator's ?show= is tried by casework/tests/test_trays.py too).
    "casework:home": ("priya", lambda w: reverse("casework:home")),
    "people:history": ("alice", _own_person_pages("people:history")),
    "eligibility:queue": ("priya", lambda w: reverse("eligibility:queue")),
    "budgets:sign_off_queue": ("priya", lambda w: reverse("budgets:sign_off_queue")),
    "budgets:tariffs": ("leo", lambda w: reverse("budgets:tariffs")),
    "careplans:compare": ("alice", "compare"),
    "careplans:edit": ("alice", lambda w: reverse("careplans:edit", kwargs={"pk": _draft(w).pk})),  # ?section=
    "careplans:queue": ("priya", lambda w: reverse("careplans:queue")),
    "careplans:reviews_due": ("alice", lambda w: reverse("careplans:reviews_due")),
    "careplans:plan_reviews": ("alice", lambda w: _reviewed_plan(w)),
    "careplans:failed_messages": ("leo", lambda w: reverse("careplans:failed_messages")),
    "careplans:endings": ("priya", lambda w: reverse("careplans:endings")),
    "accounts:lockouts": ("leo", lambda w: reverse("accounts:lockouts")),
    "portal:reviews": ("pat", _own_person_pages("portal:reviews")),
    "portal:messages": ("pat", _own_person_pages("portal:messages")),
    "portal:staff_messages": ("alice", lambda w: reverse("portal:staff_messages", kwargs={"person_pk": w.jane.pk})),
    "audit:trail": ("leo", lambda w: reverse("audit:trail")),
    "audit:export": ("leo", lambda w: reverse("audit:export")),
    "audit:mine": ("alice", lambda w: reverse("audit:mine")),
    "twofactor:staff": ("leo", lambda w: reverse("twofactor:staff")),
    "twofactor:enrol": ("alice", lambda w: reverse("twofactor:enrol")),
    "twofactor:verify": ("alice", lambda w: reverse("twofactor:verify")),
    "twofactor:verify_recovery": ("alice", lambda w: reverse("twofactor:verify_recovery")),
    "twofactor:reauth": ("alice", lambda w: reverse("twofactor:reauth")),
    "twofactor:recovery_codes": ("alice", lambda w: reverse("twofactor:recovery_codes")),
    "payments:runs": ("priya", lambda w: _payments_due(w)),
    "payments:run": ("priya", lambda w: _waiting_run(w, "confirm")[0]),
    "payments:schedule": ("alice", lambda w: reverse("payments:schedule", kwargs={"plan_id": _active(w).plan_id})),
    "payments:reclaims": ("alice", lambda w: _plan_page(w, "reclaims")),
    "payments:statements": ("alice", lambda w: _to_match(w)[0]),
    "portal:statements": ("pat", lambda w: _portal_page(w, "statements")),
    "reports:return": ("leo", lambda w: reverse("reports:return")),
    "reports:return_csv": ("leo", lambda w: reverse("reports:return_csv")),
    "reports:outcomes": ("alice", lambda w: reverse("reports:outcomes")),
    "reports:outcomes_csv": ("leo", lambda w: reverse("reports:outcomes_csv")),
    "reports:dashboard": ("alice", lambda w: reverse("reports:dashboard")),
    "reports:export_caseload": ("leo", lambda w: reverse("reports:export_caseload")),
    "reports:export_plans": ("leo", lambda w: reverse("reports:export_plans")),
    "reports:export_reviews": ("leo", lambda w: reverse("reports:export_reviews")),
}


def _compare(w) -> str:
    """A plan agreed twice, its two versions compared (the page's query names them)."""
    from tests import page_data

    active = page_data.plan_history(w, w.jane, versions=2, rows=1)
    earlier = active.plan.versions.get(number=active.number - 1)
    return f"{reverse('careplans:compare', kwargs={'pk': active.plan_id})}?from={earlier.pk}&to={active.pk}"


def _reviewed_plan(w) -> str:
    """The reviews of a plan with two reviews done (its `page` read; the trend shown)."""
    from tests import page_data

    active = _active(w)
    page_data.completed_reviews(w, active, 2)
    return reverse("careplans:plan_reviews", kwargs={"pk": active.plan_id})


# The filter form a page's query is filled from, when it is not on the page itself.
FILTER_PAGE = {
    "audit:export": "audit:trail",
    "reports:return_csv": "reports:return",
    "reports:outcomes_csv": "reports:outcomes",
    "reports:export_caseload": "casework:caseload",
    "reports:export_plans": "careplans:queue",
    "reports:export_reviews": "careplans:reviews_due",
}
# Real values the run keeps or replaces, where a filter's blank would leave a branch untried: a person typed
# by NHS number (the trail moves to their record's id) and a person's id (the export names them).
QUERY_VALUES = {
    "people:history": lambda w: {"views": "shown", "sort": "when"},
    "casework:caseload": lambda w: {"show": "team", "stage": "new", "review": "overdue", "sort": "-next"},
    "casework:home": lambda w: {"show": "team", "plans": "mine"},
    "audit:trail": lambda w: {"nhs_number": w.jane.nhs_number, "action": AuditAction.VIEW.value, "sort": "when"},
    # Each list's filters and sorts (phb.listing): a valid value of each, for the run to keep, drop or spoil.
    "eligibility:queue": lambda w: {"route": "ipc", "team": str(w.jane.care_team_id), "sort": "name"},
    "budgets:sign_off_queue": lambda w: {"support": "substantial", "sort": "-amount"},
    "budgets:tariffs": lambda w: {"sort": "price"},
    "careplans:queue": lambda w: {"assigned": "me", "over_budget": "on", "sort": "-total"},
    "careplans:endings": lambda w: {"reason": "money_misused", "sort": "ends"},
    "careplans:reviews_due": lambda w: {"when": "overdue", "sort": "-due"},
    "accounts:lockouts": lambda w: {"whose": "staff", "sort": "tries"},
    "careplans:failed_messages": lambda w: {"kind": "reminder", "sort": "failed"},
    "twofactor:staff": lambda w: {"role": "lead", "app": "missing", "sort": "-name"},
    "audit:mine": lambda w: {"action": AuditAction.VIEW.value, "sort": "when"},
    "audit:export": lambda w: {"person": str(w.jane.pk), "user": w.coordinator.email},
    "reports:return": lambda w: {"quarter": "2026-27-q2"},
    "reports:dashboard": lambda w: {
        "team": str(w.jane.care_team_id),
        "route": "ipc",
        "coordinator": str(w.coordinator.pk),
        "start_day": "1",
        "start_month": "4",
        "start_year": "2026",
    },
    "reports:export_caseload": lambda w: {"stage": "new", "support": "substantial", "money": "any", "sort": "-name"},
    "reports:export_plans": lambda w: {"assigned": "nobody", "team": str(w.jane.care_team_id), "sort": "-total"},
    "reports:export_reviews": lambda w: {"when": "all", "team": str(w.jane.care_team_id), "sort": "-due"},
    "reports:return_csv": lambda w: {"quarter": "2026-27-q2"},
    "reports:outcomes": lambda w: {
        "team": str(w.jane.care_team_id),
        "start_day": "1",
        "start_month": "4",
        "start_year": "2026",
    },
    "reports:outcomes_csv": lambda w: {
        "team": str(w.jane.care_team_id),
        "end_day": "30",
        "end_month": "9",
        "end_year": "2026",
    },
}
# Audit events a GET writes by design besides views.
QUERY_AUDIT = {
    "audit:export": (AuditAction.EXPORT,),
    "reports:return_csv": (AuditAction.EXPORT,),
    "reports:outcomes_csv": (AuditAction.EXPORT,),
    "reports:export_caseload": (AuditAction.EXPORT,),
    "reports:export_plans": (AuditAction.EXPORT,),
    "reports:export_reviews": (AuditAction.EXPORT,),
}


def _new_codes(client):
    """The recovery codes page shows codes once: each example is a page that has some to show."""
    from twofactor import session

    stored_session = client.session
    stored_session[session.NEW_CODES] = ["a" * 10] * 10
    stored_session.save()


BEFORE_EACH = {"twofactor:recovery_codes": _new_codes}
# How each query case's persona signs in, where it is not as for the page's form (SIGN_IN): the factor
# steps for someone who has given the factor already, which send them on to `next`.
QUERY_SIGN_IN = {"twofactor:verify": None, "twofactor:verify_recovery": None}


@pytest.mark.parametrize("case", list(QUERY_CASES))
def test_hostile_query_strings_never_break_store_or_echo_a_page(case, client, world, request):
    persona, url_of = QUERY_CASES[case]
    url = _compare(world) if url_of == "compare" else url_of(world)
    sign_in = QUERY_SIGN_IN.get(case, SIGN_IN.get(case)) or type(client).force_login
    if persona is not None:
        sign_in(client, request.getfixturevalue(persona))
    before_each = BEFORE_EACH.get(case, lambda client: None)
    filter_url = reverse(FILTER_PAGE[case]) if case in FILTER_PAGE else url
    before_each(client)
    page = client.get(filter_url)
    # The page itself, or (the factor steps, for someone past them) the redirect it answers with.
    assert page.status_code == (302 if case in QUERY_SIGN_IN else 200), f"{case}: {filter_url} gave {page.status_code}"
    own = form_on(page.content.decode(), filter_url.split("?")[0], method="get") if page.status_code == 200 else None
    url, _, query = url.partition("?")
    params = {**dict.fromkeys(COMMON_PARAMS, ""), **(own or {}), **dict(parse_qsl(query))}
    params.update(QUERY_VALUES.get(case, lambda w: {})(world))
    expected = QUERY_AUDIT.get(case, ())

    @settings(
        max_examples=MAX_EXAMPLES,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(choices=st.fixed_dictionaries({k: st.one_of(st.just(_KEEP), st.just(_DROP), value) for k in params}))
    def ask(choices):
        EXAMPLES[f"{case} (query)"] += 1
        query = {k: params[k] if v is _KEEP else v for k, v in choices.items() if v is not _DROP}
        before_each(client)
        before, versions = stored(expected), row_versions()
        response = client.get(url, query)
        assert response.status_code < 500, (case, query)
        assert safe_answer(response), (case, query)
        assert stored(expected) == before, f"{case}: a GET stored something: {query}"
        assert row_versions() == versions, f"{case}: a GET changed a row: {query}"
        if response.status_code == 302:
            assert on_this_site(response.url), f"{case}: redirected off the site to {response.url!r}: {query}"
            landed = client.get(response.url)
            assert landed.status_code < 500, (case, query)
            assert safe_answer(landed), (case, query)

    ask()
    assert EXAMPLES[f"{case} (query)"] >= MAX_EXAMPLES


# Completeness: every URL pattern that takes a POST or reads its query string is in the run above.

# Patterns left out on purpose, each with its reason.
EXCLUDED = {
    "logout": "Django's own sign-out: a button with no fields; its `next` is checked by Django against the host",
    "twofactor:passkey_remove": "a button with no fields (the passkey's number is in the address, an int converter)",
    # The passkey ceremonies take JSON, not a form: hostile answers are posted by hypothesis in
    # twofactor/tests/test_passkeys.py (no 500, nothing stored, the failure audited).
    "twofactor:passkey_add_begin": "JSON ceremony with no fields; twofactor/tests/test_passkeys.py",
    "twofactor:passkey_add_complete": "JSON ceremony; hostile answers in twofactor/tests/test_passkeys.py",
    "twofactor:passkey_verify_begin": "JSON ceremony with no fields; twofactor/tests/test_passkeys.py",
    "twofactor:passkey_verify_complete": "JSON ceremony; hostile answers, `next`: twofactor/tests/test_passkeys.py",
}


@functools.cache
def _source(thing) -> str:
    return inspect.getsource(thing)


@functools.cache
def _project_code(view) -> str:
    """The source a view runs that is the project's own: the view (its decorators too), and every function
    or class of the project it names, followed through (a shared helper reading `next`, say). For a
    class-based view: each of its classes from the project."""
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    venv = os.path.join(root, ".venv")

    def ours(thing) -> bool:
        try:
            where = inspect.getsourcefile(thing) or ""
        except TypeError:
            return False
        return where.startswith(root) and not where.startswith(venv)

    seen, sources = set(), []

    def visit(thing):
        thing = inspect.unwrap(thing)
        if id(thing) in seen or not ours(thing):
            return
        seen.add(id(thing))
        sources.append(_source(thing))
        if inspect.isclass(thing):
            for member in vars(thing).values():
                if inspect.isfunction(member):
                    visit(member)
            return
        module = sys.modules.get(thing.__module__)
        codes = [thing.__code__]
        while codes:
            code = codes.pop()
            codes += [c for c in code.co_consts if isinstance(c, types.CodeType)]
            for name in code.co_names:
                found = getattr(module, name, None)
                if inspect.isfunction(found) or inspect.isclass(found):
                    visit(found)

    view_class = getattr(view, "view_class", None)
    for cls in view_class.__mro__ if view_class else ():
        visit(cls)
    if view_class is None:
        visit(view)
    return "\n".join(sources)


def takes_post(view) -> bool:
    view_class = getattr(view, "view_class", None)
    if view_class is not None:
        return hasattr(view_class, "post") and "post" in view_class.http_method_names
    if "@require_GET" in _source(inspect.unwrap(view)):  # a shared helper may read POST; not here
        return False
    code = _project_code(view)
    return any(sign in code for sign in ("require_POST", '"POST"', "request.POST"))


def reads_query(view) -> bool:
    view_class = getattr(view, "view_class", None)
    if view_class is not None and getattr(view_class, "redirect_field_name", None):  # Django's `next`
        return True
    return ".GET" in _project_code(view)


def unlisted_forms() -> list[str]:
    """Patterns that take a POST and are not in CASES, or read the query and are not in QUERY_CASES, and
    are not EXCLUDED: each with what is missing."""
    missing = []
    for route, name, view in url_patterns():
        if route.startswith(ADMIN_PREFIX) or name in EXCLUDED:  # the admin: the access matrix walks it
            continue
        if takes_post(view) and name not in CASES:
            missing.append(f"{name} (POST)")
        if reads_query(view) and name not in QUERY_CASES:
            missing.append(f"{name} (query string)")
    return sorted(missing)


def check_every_form_is_in_the_hostile_run() -> None:
    missing = unlisted_forms()
    assert not missing, (
        f"URL patterns that take input and are not in the hostile-input run ({__name__}): {missing}. Add each to "
        "CASES (a form or button: its persona and the page that shows it) or QUERY_CASES (a query string), or to "
        "EXCLUDED with the reason."
    )


def test_every_form_and_query_string_is_in_the_hostile_run():
    check_every_form_is_in_the_hostile_run()
    names = {name for _, name, _ in url_patterns()}
    stale = sorted((set(CASES) | set(QUERY_CASES) | set(EXCLUDED)) - names)
    assert not stale, f"Hostile-input cases for names that are not URL patterns: {stale}"


def _a_new_form(request):
    if request.method == "POST":
        return HttpResponse("saved")
    return HttpResponse("<form method='post'></form>")


def _a_new_filter(request):
    return HttpResponse(request.GET.get("status", ""))


def _a_new_page(request):
    return HttpResponse("")


def test_a_form_missing_from_the_hostile_run_fails_the_check(monkeypatch):
    """A new page with a form (or a filter in its query) and no case fails; a plain page does not."""
    import phb.urls

    urlconf = types.ModuleType("tests.urls_with_an_unlisted_form")
    urlconf.urlpatterns = [
        *phb.urls.urlpatterns,
        path("unlisted-form/", _a_new_form, name="unlisted_form"),
        path("unlisted-filter/", _a_new_filter, name="unlisted_filter"),
        path("plain/", _a_new_page, name="plain_page"),
    ]
    monkeypatch.setitem(sys.modules, urlconf.__name__, urlconf)
    with override_settings(ROOT_URLCONF=urlconf.__name__):
        assert unlisted_forms() == ["unlisted_filter (query string)", "unlisted_form (POST)"]
        with pytest.raises(AssertionError, match=r"not in the hostile-input run .*'unlisted_filter \(query string\)'"):
            check_every_form_is_in_the_hostile_run()
        monkeypatch.setitem(EXCLUDED, "unlisted_form", "a reason")
        monkeypatch.setitem(QUERY_CASES, "unlisted_filter", ("alice", lambda w: "/unlisted-filter/"))
        check_every_form_is_in_the_hostile_run()


@pytest.mark.parametrize("name", ["twofactor:verify", "twofactor:verify_recovery"])
@pytest.mark.parametrize("back", ["foo", "name with a NUL\x00", "casework:caseload"])
def test_a_next_that_is_not_a_path_goes_to_the_default_not_a_500(client, alice, name, back):
    """The factor pages send someone who has given the factor on to `next`: a bare word there was taken for
    a URL pattern's name (a 500, NoReverseMatch, found by this run); now only a path on this site is."""
    client.force_login(alice)
    answer = client.get(reverse(name), {"next": back})
    assert answer.status_code == 302 and answer["Location"] == reverse("home")
    assert client.get(reverse(name), {"next": "/reviews/"})["Location"] == "/reviews/"


def test_the_checks_see_a_refused_button_a_redirect_off_the_site_and_a_formula_in_a_csv(client, world):
    """A button's refusal (a redirect with an error message) is told from its success, so the run checks
    that nothing was stored; a redirect elsewhere and a CSV cell a spreadsheet would run are seen."""
    from tests import page_data

    service = page_data.assessment_with_services(world, world.jane, 1).services.first()
    client.force_login(world.coordinator)
    url = reverse("budgets:service_remove", kwargs={"pk": service.pk})
    assert refused_with_a_message(client.post(url, {"version": service.version + 1}))
    assert not refused_with_a_message(client.post(url, {"version": service.version}))
    assert on_this_site("/people/") and not on_this_site("https://evil.example/") and not on_this_site("//evil.example")
    assert not safe_answer(HttpResponse("When,Who\r\n2026-01-01,=HYPERLINK(1)\r\n", content_type="text/csv"))
    assert safe_answer(HttpResponse("When,Who\r\n2026-01-01,'=HYPERLINK(1)\r\n", content_type="text/csv"))
