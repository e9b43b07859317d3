"""Every kind of letter the service makes passes GOV.UK Notify's precompiled-letter checks (tests/notify_api.py,
`letter_failures`): A4 portrait, the person's postal address, name first, alone in the envelope's window, and no
text outside the areas Notify prints. The address is as long as the record allows (a second address line; for the
letter after a death, the family line and a representative), and the ICB's letterhead as long as a real one."""

import datetime
from decimal import Decimal

import pytest
from django.template import engines
from django.utils import timezone

from careplans import approval, services
from careplans.models import EndReason, Letter, LetterKind
from careplans.tests.factories import approved_plan, complete_plan
from payments import reclaims
from payments.models import AfterStopping, MoneyAction
from people.tests.factories import PersonFactory
from phb import letterhead, pdf
from phb.words import long_date
from tests.notify_api import address_lines, letter_failures, text_positions
from tests.page_data import finance
from tests.test_letters import every_document

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2026, 12, 1)
SECOND_LINE = {"address_line_1": "Flat 12, Example Court", "address_line_2": "14 Long Lane"}
# The return letter goes to the coordinator inside the ICB, so it is never posted (Notify would want an address).
NOT_POSTED = "return letter"


def postal_address(person, *first_lines: str) -> list[str]:
    return [*first_lines, person.address_line_1, person.address_line_2, person.town, person.postcode]


def payments_letters(north, alice, priya, leo) -> tuple[object, dict[str, bytes]]:
    """The letters proposing a repayment and a stopping of direct payments, and a decision, to Jo Money."""
    jo = PersonFactory(given_name="Jo", family_name="Money", care_team=north, lead_coordinator=alice, **SECOND_LINE)
    plan = approved_plan(person=jo, coordinator=alice, approver=priya).plan
    maker, checker = finance(priya), finance(leo)
    today = timezone.localdate()
    repay = reclaims.propose_reclaim(
        plan=plan,
        amount=Decimal("300.00"),
        reasons="The account holds £2,400 more than the plan needs.",
        from_period=reclaims.payment_periods(plan, on=today)[0][0],
        acting_user=maker,
    )
    stop = reclaims.propose_stop(
        plan=plan,
        effective_on=reclaims.respond_by_for(today) + datetime.timedelta(days=1),
        after_stopping=AfterStopping.NOTIONAL,
        reasons="Money spent on a holiday.",
        acting_user=maker,
    )
    MoneyAction.objects.filter(pk=repay.pk).update(respond_by=today - datetime.timedelta(days=1))  # no answer came
    repay.refresh_from_db()
    decided = reclaims.decide(
        action=repay, agree=False, decision_reasons="Saved for a wheelchair.", acting_user=checker
    )
    return jo, {
        "repayment letter": bytes(repay.letter_pdf),
        "stopping letter": bytes(stop.letter_pdf),
        "repayment decision letter": bytes(decided.decision_letter_pdf),
    }


@pytest.fixture
def every_letter(client, north, jane, alice, priya, leo) -> dict[str, tuple[list[str], bytes]]:
    """Each kind of letter as the service makes it: its name -> (the address it is posted to, the PDF)."""
    type(jane).objects.filter(pk=jane.pk).update(**SECOND_LINE)
    jane.refresh_from_db()
    documents = every_document(client, jane, alice, priya)  # the screening, budget and four decision letters
    del documents["plan"]  # a document the person keeps, not a letter
    letters = {name: (postal_address(jane, jane.full_name), content) for name, content in documents.items()}

    edith = PersonFactory(
        given_name="Edith", family_name="Clarke", care_team=north, lead_coordinator=alice, **SECOND_LINE
    )
    type(edith).objects.filter(pk=edith.pk).update(representative_name="Tom Clarke")
    edith.refresh_from_db()
    version = approved_plan(person=edith, coordinator=alice, approver=priya)
    approval.plan_end(
        version=version, reason=EndReason.DIED, ended_on=TODAY, note="", unspent_to_repay=None, acting_user=alice
    )
    letters["letter after a death"] = (
        postal_address(edith, "To the family or representative of Edith Clarke", "Tom Clarke"),
        bytes(Letter.objects.get(person=edith, kind=LetterKind.ENDING).pdf),
    )

    jo, money_letters = payments_letters(north, alice, priya, leo)
    letters.update({name: (postal_address(jo, jo.full_name), content) for name, content in money_letters.items()})
    assert len(letters) == 10
    return letters


def test_every_letter_the_service_posts_passes_notifys_checks(every_letter):
    for name, (address, content) in every_letter.items():
        if name == NOT_POSTED:
            continue
        assert letter_failures(content) == [], name
        assert address_lines(content) == address, name


def test_the_letter_to_a_coordinator_keeps_to_notifys_areas_though_it_is_not_posted(every_letter):
    _, content = every_letter[NOT_POSTED]
    assert letter_failures(content) == ["not-enough-address-lines"]  # "To: Alice Adams, care coordinator"


def test_a_letter_over_two_pages_passes_on_both(jane, alice, priya):
    declined = approval.plan_decline(
        version=services.plan_submit(version=complete_plan(person=jane, coordinator=alice), acting_user=alice),
        reason="\n".join(f"Line {n} of the reason for this decision." for n in range(30)),
        acting_user=priya,
    )
    content = bytes(Letter.objects.get(plan_version=declined).pdf)
    assert text_positions(content, page=1), "the letter is on one page"
    assert letter_failures(content) == []


def test_a_longer_letterhead_stays_in_the_services_own_area(settings, jane, alice, priya):
    """An ICB's name and address as long as real ones run to, and its logo: every line of the letterhead, the date
    and the NHS number start right of 125 mm and end above 95 mm, in the area Notify keeps for the service."""
    settings.ORGANISATION_NAME = "NHS West Yorkshire Integrated Care Board"
    settings.ORGANISATION_ADDRESS = ["Personal health budget team", "White Rose House", "West Parade", "WF1 1LT"]
    settings.ORGANISATION_EMAIL = "wyicb-wak.personalhealthbudgets@nhs.net"
    settings.ORGANISATION_LOGO = "nhsuk/assets/images/nhsuk-icon-180.png"
    version = approval.plan_approve(
        version=services.plan_submit(version=complete_plan(person=jane, coordinator=alice), acting_user=alice),
        financially_appropriate=True,
        clinically_appropriate=True,
        acting_user=priya,
    )
    content = bytes(Letter.objects.get(plan_version=version).pdf)
    assert letter_failures(content) == []
    right = " ".join(text for text, left, _, base in text_positions(content) if left >= 125 and base <= 95)
    dated = long_date(timezone.localdate())  # the letter's date: the day it was made
    for words in ("Care Board", "White Rose House", "Telephone:", "@nhs.net", "NHS number:", dated):
        assert words in right, words


def letter_to(lines: list[str], context: dict) -> bytes:
    """The base letter with this address block, as a letter that adds nothing but its address would be."""
    template = engines["django"].from_string(
        '{% extends "letters/base.html" %}{% block address %}<p>' + "<br>".join(lines) + "</p>{% endblock %}"
        "{% block heading %}A letter{% endblock %}{% block body %}<p>Dear Jane Smith,</p>{% endblock %}"
    )
    return pdf.html_to_pdf(template.render(context))


def test_the_window_holds_7_lines_the_most_notify_reads_and_an_eighth_runs_out_of_it(jane, alice, priya):
    context = {**letterhead.letterhead(), "today": TODAY, "person": jane}
    seven = ["Jane Smith", "c/o Sam Smith", "Flat 12", "Example Court", "14 Long Lane", "Leeds", "LS1 4AP"]
    assert letter_failures(letter_to(seven, context)) == []
    assert address_lines(letter_to(seven, context)) == seven
    eight = [*seven[:-2], "West Yorkshire", *seven[-2:]]
    assert letter_failures(letter_to(eight, context)) == ["content-outside-printable-area", "not-a-real-uk-postcode"]
