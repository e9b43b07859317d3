"""No page shows people what the database stores instead of words: a choice's stored value where it
differs from its label ("right_to_have" for "Right to have"), a model field's name ("agreed_on"), a
record's id (a UUID), Django's empty choice ("---------") or an abbreviation lower-cased with its
label ("submitted to the phb team").

Every page of tests/test_page_queries.PAGES (each URL pattern that serves a page, with the persona who
uses it and the rows it lists) is built with a few rows of everything and opened, and the text a person
sees is scanned: the page's text and the words screen readers read, never its links, form values or other
attributes (ids belong there). tests/test_page_queries fails on a URL pattern that is not a page there
or has no reason, so a new page is scanned here too. PDFs (letters, the plan) are not scanned.
"""

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings
from django.db import models, transaction
from django.test import override_settings
from django.urls import reverse

from people.tests import personas
from tests import page_data as data
from tests.test_page_queries import PAGES, Page, Visit, opened, stand_in_letters

pytestmark = pytest.mark.django_db

# Rows of everything: enough for every kind of outcome (social, daily living, physical health), item and
# review answer the page builders make, few enough to keep the run short.
ROWS = 3
PROJECT = Path(settings.BASE_DIR).resolve()
# Stored values that are also plain English words of three letters or fewer: a page may say them.
ENGLISH = {"day", "end", "due"}
UUID = re.compile(r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b", re.IGNORECASE)
DASHES = "---------"
# Abbreviations the labels write in capitals; lower-cased, a label was lower-cased whole (|lower).
LOWERED = re.compile(r"(?<![\w./@-])(phb|nhs|ipc|gp)(?![\w./@-])")


def _project_models():
    for model in apps.get_models():
        path = Path(apps.get_app_config(model._meta.app_label).path).resolve()
        if path.is_relative_to(PROJECT) and not path.is_relative_to(PROJECT / ".venv"):
            yield model


def _is_code(value: str) -> bool:
    """A stored value that is not a word a sentence could hold: with an underscore or a digit
    ("nhs_spot", "4_weeks"), or an abbreviation ("ipc", "chc", "cc", "ras")."""
    return bool(re.search(r"[_\d]", value)) or (len(value) <= 3 and value.isalpha() and value not in ENGLISH)


def stored_codes() -> dict[str, str]:
    """{stored value: what it is} for every choice of the project's models whose value is a code and differs
    from its label, and {field name: what it is} for every field name with an underscore."""
    codes = {}
    for model in _project_models():
        for field in model._meta.get_fields():
            where = f"{model._meta.label}.{field.name}"
            if "_" in field.name and not field.auto_created:
                codes.setdefault(field.name, f"the field name {where}")
            for value, label in getattr(field, "flatchoices", None) or []:
                text = str(value)
                if isinstance(value, str) and text != str(label) and _is_code(text):
                    codes.setdefault(text, f"a stored value of {where} (its label is {str(label)!r})")
    return codes


CODES = stored_codes()
CODE = re.compile(
    r"(?<![\w-])(" + "|".join(re.escape(code) for code in sorted(CODES, key=len, reverse=True)) + r")(?![\w-])"
)


class VisibleText(HTMLParser):
    """The text of a page as people see or hear it: text nodes (the title, screen-reader-only text and
    options included), never attributes, scripts or styles."""

    HIDDEN = {"script", "style", "template"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.hidden = 0
        self.parts = []

    def handle_starttag(self, tag, attrs):
        if tag in self.HIDDEN:
            self.hidden += 1

    def handle_endtag(self, tag):
        if tag in self.HIDDEN and self.hidden:
            self.hidden -= 1

    def handle_data(self, data):
        if not self.hidden:
            self.parts.append(data)


def visible_text(html: str) -> str:
    parser = VisibleText()
    parser.feed(html)
    return " ".join(" ".join(parser.parts).split())


def _around(text: str, match: re.Match) -> str:
    return "…" + text[max(0, match.start() - 60) : match.end() + 60] + "…"


def raw_words(text: str) -> list[str]:
    """Every stored code, field name, id, empty choice or lower-cased abbreviation in the text, with where."""
    found = [f"{m[0]!r}, {CODES[m[0]]}: {_around(text, m)}" for m in CODE.finditer(text)]
    found += [f"an id {m[0]}: {_around(text, m)}" for m in UUID.finditer(text)]
    found += [f"Django's empty choice: {_around(text, m)}" for m in re.finditer(re.escape(DASHES), text)]
    found += [f"{m[0]!r} lower-cased: {_around(text, m)}" for m in LOWERED.finditer(text)]
    return found


@pytest.fixture(scope="module")
def records(django_db_setup, django_db_blocker):
    """A whole record with ROWS rows of everything (tests/page_data.whole_record), built once for the pages
    that read it; each test runs in its own savepoint inside this transaction."""
    from people.tests.factories import CareTeamFactory, UserFactory
    from phb.roles import Role

    with (
        django_db_blocker.unblock(),
        override_settings(PASSWORD_HASHERS=personas.FAST_PASSWORD_HASHERS),
        pytest.MonkeyPatch.context() as patch,
        transaction.atomic(),
    ):
        stand_in_letters(patch)
        north = CareTeamFactory(name="North Leeds community team")
        world = data.World(
            team=north,
            coordinator=UserFactory(username="alice", first_name="Alice", last_name="Adams", teams=[north]),
            approver=UserFactory(username="priya", first_name="Priya", last_name="Patel", role=Role.APPROVER),
            lead=UserFactory(username="leo", first_name="Leo", last_name="Lewis", role=Role.LEAD),
        )
        yield {ROWS: data.whole_record(world, ROWS)}
        transaction.set_rollback(True)


@pytest.fixture
def w(north, alice, priya, leo, monkeypatch, records) -> data.World:
    stand_in_letters(monkeypatch)
    world = data.World(team=north, coordinator=alice, approver=priya, lead=leo)
    world.records = records
    return world


def compare_every_kind_of_field(w, n):
    """Two versions of a plan whose outcome and item differ in every kind of field: a choice (part of life,
    category, how often, how the money is managed), a date, money, a number and the outcomes served."""
    import datetime
    from decimal import Decimal

    from careplans.models import Outcome, SupportItem

    active = data.plan_history(w, data.person(w), versions=1, rows=2)
    draft = data.amend(w, active.plan)
    first, second = draft.outcomes.order_by("created_at", "id")
    Outcome.objects.filter(pk=first.pk).update(domain="mental_health", target_date=datetime.date(2026, 10, 1))
    item = draft.items.get(money_option="notional")
    SupportItem.objects.filter(pk=item.pk).update(
        frequency="year",
        category="equipment",
        money_option="third_party",
        third_party_organisation="Leeds Care Trust",
        unit_cost=Decimal("12.50"),
        quantity=Decimal("2.5"),
    )
    item.outcomes.set([first])
    url = reverse("careplans:compare", kwargs={"pk": active.plan_id})
    return Visit(w.coordinator, f"{url}?from={active.pk}&to={draft.pk}")


EXTRA = [Page("compare versions, every kind of field", "careplans:compare", "fields", compare_every_kind_of_field)]


# Pages with no rows to build, opened by someone not signed in.
SIGNED_OUT = ["login", "accounts:password_reset", "accounts:password_reset_done"]


# Pages that fail today, each with why, for pages being written in this issue by others. Strict: a page
# listed here that passes fails the test, so the entry is removed when the page is fixed.
EXPECTED_TO_FAIL: dict[str, str] = {}


@pytest.mark.parametrize("page", PAGES + EXTRA, ids=[page.id for page in PAGES + EXTRA])
def test_no_page_shows_a_stored_code_field_name_or_id(client, w, page, request):
    if page.id in EXPECTED_TO_FAIL:
        request.applymarker(pytest.mark.xfail(reason=EXPECTED_TO_FAIL[page.id], strict=True))
    response, _ = opened(client, page.build(w, ROWS))
    found = raw_words(visible_text(response.content.decode()))
    assert not found, f"{page.id} ({page.route}) shows people:\n" + "\n".join(found)


@pytest.mark.parametrize("name", SIGNED_OUT)
def test_no_signed_out_page_shows_a_stored_code(client, name):
    response, _ = opened(client, Visit(None, reverse(name)))
    assert not raw_words(visible_text(response.content.decode()))


# The scan itself


def test_the_scan_sees_codes_field_names_ids_and_dashes_in_text_and_never_in_attributes():
    page = (
        '<a href="/people/0b6f8a35-7c64-4b5c-9a0e-3d3f3a3d3f3a/" data-route="right_to_have">Jane Smith</a>'
        '<input type="radio" value="nhs_spot"><label>NHS, bought per unit</label>'
        "<script>var route = 'ipc';</script>"
    )
    assert raw_words(visible_text(page)) == []
    for shown in [
        "<td>right_to_have</td>",
        "<td>ipc</td>",
        "<li>agreed_on: none → 1 April 2026</li>",
        "<li>Outcome 0b6f8a35-7c64-4b5c-9a0e-3d3f3a3d3f3a</li>",
        '<label class="nhsuk-radios__label">---------</label>',
        "<p>Version 2 of this plan is submitted to the phb team.</p>",
        '<span class="nhsuk-u-visually-hidden">physical_health</span>',
    ]:
        assert raw_words(visible_text(shown)), shown


def test_plain_words_that_are_also_stored_values_are_not_codes():
    """ "week", "active", "other" and the like are values and words: only codes are looked for."""
    assert raw_words(visible_text("<p>£120.00 a week. Active. Other. Due by 1 May 2026. The end.</p>")) == []
    assert {"right_to_have", "ipc", "nhs_spot", "physical_health", "agreed_on", "money_option"} <= set(CODES)
    assert not {"week", "active", "other", "due", "end"} & set(CODES)


def test_every_choice_field_of_the_project_is_looked_at():
    """The codes come from the models themselves: a new choice with a code is scanned for at once."""
    choice_fields = [
        field
        for model in _project_models()
        for field in model._meta.get_fields()
        if isinstance(field, models.Field) and field.choices
    ]
    assert len(choice_fields) > 20
    assert "very_high" in CODES and "4_weeks" in CODES
