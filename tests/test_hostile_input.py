"""Hostile input on every form: random and hostile values posted to every form-taking view as its permitted persona.

Each case opens the page as the persona who may use it, reads the form the page shows (every input, text area,
select and radio group, with the values the page fills in), then Hypothesis posts variations of it: any field
kept, left out, or replaced by a hostile value (100,000 characters, NUL bytes, right-to-left and combining
characters, emoji, negative, huge, NaN and 1e309 numbers, other scripts' digits, impossible dates, HTML,
script, SQL-looking text, stale or forged version numbers). For every post:
- no server error (nothing a user can type is a 500);
- a refused post (the form shown again) stores nothing: no new or changed rows (counted per table) and no
  audit event other than views;
- nothing posted is rendered unescaped: no raw `<script` from the input in the answer, nor in the page a
  successful post leads to.
Then the valid form is posted twice (a duplicate submission): no 500 either time.

The number of examples per form is printed at the end of the run (conftest.py's terminal summary).
Set HOSTILE_EXAMPLES to try more (the default keeps the run short).
"""

import os
from collections import Counter
from html.parser import HTMLParser

import pytest
from django.apps import apps
from django.db import connection
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from phb.models import AuditAction, AuditEvent

try:
    from phb.once import FIELD as ONCE_FIELD
except ImportError:  # before one-time form tokens
    ONCE_FIELD = "once"

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
_KEEP, _DROP = object(), object()
value = st.one_of(
    st.sampled_from(HOSTILE),
    st.text(max_size=40),
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
    st.decimals(allow_nan=True, allow_infinity=True, places=3).map(str),
)


class FormReader(HTMLParser):
    """The fields of the page's own POST form (not the sign-out button's), with the values it fills in."""

    def __init__(self, action: str):
        super().__init__(convert_charrefs=True)
        self.action = action
        self.forms: list[dict] = []
        self.current: dict | None = None
        self.textarea: str | None = None
        self.select: str | None = None
        self.first_option: dict[str, str] = {}

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            ours = (a.get("method") or "").lower() == "post" and a.get("action", "") in ("", self.action)
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


def form_on(page: str, url: str) -> dict:
    """The fields of the page's form that posts to `url` ({} when the page shows none)."""
    reader = FormReader(url)
    reader.feed(page)
    forms = [f for f in reader.forms if f]
    if not forms:
        return {}
    data = max(forms, key=len)
    data.pop("csrfmiddlewaretoken", None)
    return data


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


def row_versions() -> tuple:
    """Every versioned row's version: an edit refused must not have bumped one."""
    found = []
    for model in apps.get_models():
        names = {f.name for f in model._meta.concrete_fields}
        for column in ("version", "revision"):
            if column in names and model._meta.app_label in {"people", "budgets", "careplans"}:
                found.append(tuple(model.objects.order_by("pk").values_list("pk", column)))
    return tuple(found)


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
    assert baseline, f"{name}: no form on {page_url} posts to {url}"
    # The one-time form token (phb.once) is left out of the variations, so every post reaches the form's
    # own checks; the duplicate submissions below send it.
    token = baseline.pop(ONCE_FIELD, None)

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
        assert not unescaped(response.content.decode(errors="replace")), (name, data)
        if response.status_code != 302:
            assert stored(expected) == before, f"{name}: a refused post stored something: {data}"
            assert row_versions() == versions, f"{name}: a refused post changed a row: {data}"
        elif follow_check:
            landed = client.get(response.url)
            assert landed.status_code < 500, (name, data)
            assert not unescaped(landed.content.decode(errors="replace")), (name, data)

    post()
    page = client.get(page_url)
    if page.status_code == 200:  # the same form twice, as a double click sends it: never a 500
        fresh = form_on(page.content.decode(), url)  # none once the form has done its work (signed off)
        for _ in range(2 if fresh else 0):
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
    "password_reset": (None, lambda w: reverse("accounts:password_reset")),
    "password_reset_confirm": (None, "password_reset_confirm"),
    "twofactor:reauth": ("alice", lambda w: reverse("twofactor:reauth")),
}
# Audit events a refused post writes by design.
EXPECTED_AUDIT = {
    "login": (AuditAction.SIGN_IN_FAILED, AuditAction.LOCKED_OUT),
    "password_reset": (AuditAction.ASK_PASSWORD_RESET,),
    "twofactor:reauth": (AuditAction.FACTOR_FAILED, AuditAction.LOCKED_OUT, AuditAction.SIGN_OUT),
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
    raise AssertionError(case)


@pytest.mark.parametrize("case", list(CASES))
def test_hostile_input_never_breaks_stores_or_echoes_a_form(case, client, world, request):
    persona = CASES[case][0]
    urls = url_for(case, world)
    page_url, url = urls if isinstance(urls, tuple) else (urls, urls)
    if persona is not None:
        client.force_login(request.getfixturevalue(persona))
    tried = hostile_run(client, case, url, page_url=page_url, expected=EXPECTED_AUDIT.get(case, ()))
    assert tried >= MAX_EXAMPLES


def test_hostile_input_in_the_caseload_search_is_never_a_500_or_echoed_raw(client, alice, jane):
    client.force_login(alice)

    @settings(max_examples=MAX_EXAMPLES * 2, deadline=None, database=None, derandomize=True)
    @given(q=st.one_of(st.sampled_from(HOSTILE), st.text(max_size=60)))
    def search(q):
        EXAMPLES["people:caseload (search)"] += 1
        response = client.get(reverse("people:caseload"), {"q": q})
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
    """The run's two checks can fail: a raw script is seen (its escaped form is not), and a new row is counted."""
    from django.utils.html import escape

    from people.tests.factories import PersonFactory

    assert unescaped(f"<p>{SCRIPT}</p>")
    assert not unescaped(f"<p>{escape(SCRIPT)}</p>")
    before = stored()
    PersonFactory(care_team=jane.care_team)
    assert stored() != before
