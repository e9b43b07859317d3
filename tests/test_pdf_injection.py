"""Hostile text in every field people type that reaches a letter or the plan PDF: nothing is fetched, and the
text appears in the PDF as text.

Every text field of the person, their screening, budget, plan (version, outcomes, items), the decisions'
reasons and notes, and the coordinator's name holds markup that would read a local file into the PDF
(`<img src="file:///etc/passwd">`, `<link rel=attachment href=…>`) or call an internal address
(`@import url(http://127.0.0.1:PORT/)`, a real socket that records any connection). Each letter and plan
PDF is then downloaded through its page, by staff and through the portal.
"""

import datetime
import io
import re
from decimal import Decimal

import pytest
from django.db import models
from django.urls import reverse
from pypdf import PdfReader

from budgets import services as budget_services
from budgets.models import BudgetVersion
from careplans import approval, services
from careplans.models import Letter, LetterKind, Outcome, PlanVersion, Status, SupportItem
from careplans.tests.factories import complete_plan
from eligibility.models import Screening
from people.models import Person, User
from phb import pdf
from phb.tests.test_pdf_fetcher import Listener

pytestmark = pytest.mark.django_db

# Fields no one types free text into (checked formats) or that never reach a document.
NOT_FREE_TEXT = {"nhs_number", "postcode", "phone", "password", "username", "method_explanation"}
# Names are kept to 80 characters here: a person's full name longer than 173 characters does not fit the
# decision e-mail's subject (200), so returning or declining their plan fails before any letter is made.
SHORTER = {"given_name": 80, "family_name": 80}


def pieces(port: int) -> list[str]:
    return [
        '<img src="file:///etc/passwd">',
        '<link rel=attachment href="file:///etc/passwd">',
        f"<style>@import url(http://127.0.0.1:{port}/);</style>",
    ]


def hostile(port: int, max_length: int | None, start: int) -> str:
    """As many of the pieces as fit in the field, starting at a different one for each field."""
    all_pieces = pieces(port)
    text = ""
    for k in range(len(all_pieces)):
        piece = all_pieces[(start + k) % len(all_pieces)]
        if max_length is None or len(text) + len(piece) <= max_length:
            text += piece
    return text


def free_text_fields(model) -> list[models.Field]:
    return [
        field
        for field in model._meta.concrete_fields
        if isinstance(field, (models.CharField, models.TextField))
        and not isinstance(field, models.EmailField)
        and not field.choices
        and field.name not in NOT_FREE_TEXT
    ]


def fill(model, pk, port: int) -> list[str]:
    """Every free-text field of the row made hostile (directly: this is about documents, not forms)."""
    fields = free_text_fields(model)
    values = {field.name: hostile(port, SHORTER.get(field.name, field.max_length), n) for n, field in enumerate(fields)}
    assert all(values.values()), f"a field of {model.__name__} is too short for any piece: {values}"
    model.objects.filter(pk=pk).update(**values)
    return [f"{model.__name__}.{name}" for name in values]


def flat(text: str) -> str:
    return re.sub(r"\s+", "", text)


def agreed_afresh(draft, coordinator):
    """A new draft (a returned plan's copy, or a change), agreed again by the person."""
    return services.plan_update(
        version=draft,
        expected_revision=draft.revision,
        acting_user=coordinator,
        agreed_on=datetime.date.today(),
        agreement_method="signed",
    )


@pytest.fixture
def listener():
    server = Listener()
    yield server
    server.close()


@pytest.fixture
def asked(monkeypatch):
    """Every URL any PDF asks the fetcher for (none, when every value is escaped)."""
    urls = []
    fetch = pdf.StaticFilesOnly.fetch

    def recording(self, url, headers=None):
        urls.append(url)
        return fetch(self, url, headers)

    monkeypatch.setattr(pdf.StaticFilesOnly, "fetch", recording)
    return urls


def test_hostile_text_in_every_field_is_neither_fetched_nor_rendered_as_markup(
    client, listener, asked, jane, alice, priya, pat
):
    port = listener.port
    filled = fill(Person, jane.pk, port) + fill(User, alice.pk, port)
    # A plan with everything, written by Alice; its text fields made hostile while it is a draft.
    draft = complete_plan(person=jane, coordinator=alice)
    filled += fill(PlanVersion, draft.pk, port)
    for outcome in Outcome.objects.filter(plan_version=draft):
        filled += fill(Outcome, outcome.pk, port)
    for item in SupportItem.objects.filter(plan_version=draft):
        filled += fill(SupportItem, item.pk, port)
    screening = Screening.objects.filter(person=jane).latest("created_at")
    filled += fill(Screening, screening.pk, port)
    # A later budget with an adjustment: its reason is in the letter.
    reason = hostile(port, None, 0)
    budget = budget_services.budget_version_create(
        assessment=draft.budget_version.assessment,
        method="costed",
        adjustment=Decimal("10.00"),
        adjustment_reason=reason,
        council_share_means_tested=False,
        acting_user=alice,
    )
    filled.append("BudgetVersion.adjustment_reason")
    assert BudgetVersion.objects.get(pk=budget.pk).adjustment_reason == reason

    # The decisions, each with hostile reasons: returned, approved with conditions, a change declined, ended.
    draft = PlanVersion.objects.get(pk=draft.pk)
    approval.plan_return(
        version=services.plan_submit(version=draft, acting_user=alice), reason=reason, acting_user=priya
    )
    again = agreed_afresh(PlanVersion.objects.get(plan=draft.plan, status=Status.DRAFT), alice)
    active = approval.plan_approve(
        version=services.plan_submit(version=again, acting_user=alice),
        financially_appropriate=True,
        clinically_appropriate=True,
        conditions=reason,
        acting_user=priya,
    )
    change = agreed_afresh(services.plan_amend(plan=active.plan, acting_user=alice), alice)
    approval.plan_decline(
        version=services.plan_submit(version=change, acting_user=alice), reason=reason, acting_user=priya
    )
    approval.plan_end(
        version=active,
        reason="moved_away",
        ended_on=datetime.date.today() + datetime.timedelta(days=30),
        note=reason,
        unspent_to_repay=None,
        acting_user=alice,
    )
    letters = {letter.kind: letter for letter in Letter.objects.filter(person=jane)}
    assert set(letters) == {LetterKind.RETURN, LetterKind.APPROVAL, LetterKind.DECLINE, LetterKind.ENDING}

    staff = {
        "screening letter": reverse("eligibility:letter", kwargs={"pk": screening.pk}),
        "budget letter": reverse("budgets:letter", kwargs={"pk": budget.pk}),
        "plan PDF": reverse("careplans:pdf", kwargs={"pk": active.pk}),
        **{f"{kind} letter": reverse("careplans:letter", kwargs={"pk": letter.pk}) for kind, letter in letters.items()},
    }
    mine = {"pk": jane.pk}
    portal = {
        "portal plan PDF": reverse("portal:plan_pdf", kwargs={**mine, "version_pk": active.pk}),
        "portal screening letter": reverse("portal:screening_letter", kwargs={**mine, "screening_pk": screening.pk}),
        "portal budget letter": reverse("portal:budget_letter", kwargs={**mine, "budget_pk": budget.pk}),
    }
    documents = {}
    client.force_login(alice)
    for name, url in staff.items():
        documents[name] = client.get(url)
    client.force_login(pat)
    for name, url in portal.items():
        documents[name] = client.get(url)

    print(f"Hostile text in {len(filled)} fields: {', '.join(sorted(set(filled)))}")
    for name, response in documents.items():
        assert response.status_code == 200, name
        assert response["Content-Type"] == "application/pdf", name
        reader = PdfReader(io.BytesIO(response.content))
        text = flat(" ".join(page.extract_text() for page in reader.pages))
        assert "root:" not in text, f"{name}: a local file was read into it"
        assert reader.attachments == {}, f"{name}: something was attached"
        assert all(not page.images for page in reader.pages), f"{name}: an image was drawn"
        for piece in pieces(port):
            assert flat(piece) in text, f"{name}: {piece} is not shown as text"
    assert listener.connections == [], "a PDF called the internal address"
    assert not [url for url in asked if "passwd" in url or "127.0.0.1" in url], asked
