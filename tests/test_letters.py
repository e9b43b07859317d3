"""Every letter the service makes, and the plan the person keeps, as the person reads them: the ICB's name,
address, telephone, e-mail and logo from settings; one font, page numbers included; a short letter on one page
and the closing lines never alone on a last page; how weekly and 4-weekly amounts become yearly ones, in words
built from the constants the arithmetic uses; why a budget ends and how its money is managed, said to the person.
(The screening reasons in the person's words: eligibility/tests/test_letter_wording.py.)"""

import datetime
import io
from decimal import Decimal

import pytest
from django.template.loader import render_to_string
from django.urls import reverse
from pypdf import PdfReader

from budgets.letters import WEEKLY_WORDS
from careplans import approval, rules, services
from careplans.letters import END_REASON_WORDS, MONEY_OPTION_WORDS, decision_letter_context, yearly_words
from careplans.models import EndReason, Letter, LetterKind, PlanVersion, Status
from careplans.tests.factories import complete_plan
from phb import letterhead, pdf
from phb.money import DAYS_IN_FOUR_WEEKS, DAYS_IN_WEEK, DAYS_IN_YEAR

pytestmark = pytest.mark.django_db

# A PNG among the static files, so the logo is an image that can be counted in the PDF (an SVG is drawn as shapes).
PNG_LOGO = "nhsuk/assets/images/nhsuk-icon-180.png"


def pages(content: bytes) -> list[str]:
    return [" ".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(content)).pages]


def text(content: bytes) -> str:
    return " ".join(pages(content))


def fonts(content: bytes) -> set[str]:
    found = set()
    for page in PdfReader(io.BytesIO(content)).pages:
        for font in (page["/Resources"].get("/Font") or {}).values():
            found.add(str(font.get_object()["/BaseFont"]).split("+")[-1])
    return found


def agreed_again(draft, coordinator):
    return services.plan_update(
        version=draft,
        expected_revision=draft.revision,
        acting_user=coordinator,
        agreed_on=datetime.date.today(),
        agreement_method="signed",
    )


def every_document(client, jane, alice, priya) -> dict[str, bytes]:
    """The screening letter, the budget letter, the plan, and the plan's four decision letters, for Jane."""
    draft = complete_plan(person=jane, coordinator=alice)
    screening = jane.screenings.latest("created_at")
    client.force_login(alice)
    documents = {
        "screening letter": client.get(reverse("eligibility:letter", kwargs={"pk": screening.pk})).content,
        "budget letter": client.get(reverse("budgets:letter", kwargs={"pk": draft.budget_version.pk})).content,
        "plan": client.get(reverse("careplans:pdf", kwargs={"pk": draft.pk})).content,
    }
    draft = PlanVersion.objects.get(pk=draft.pk)
    approval.plan_return(
        version=services.plan_submit(version=draft, acting_user=alice), reason="Name the taxi firm.", acting_user=priya
    )
    again = agreed_again(PlanVersion.objects.get(plan=draft.plan, status=Status.DRAFT), alice)
    active = approval.plan_approve(
        version=services.plan_submit(version=again, acting_user=alice),
        financially_appropriate=True,
        clinically_appropriate=True,
        acting_user=priya,
    )
    change = agreed_again(services.plan_amend(plan=active.plan, acting_user=alice), alice)
    approval.plan_decline(
        version=services.plan_submit(version=change, acting_user=alice),
        reason="Link the gym to an outcome.",
        acting_user=priya,
    )
    approval.plan_end(
        version=active,
        reason=EndReason.MOVED_AWAY,
        ended_on=datetime.date.today() + datetime.timedelta(days=30),
        note="",
        unspent_to_repay=Decimal("120.50"),
        acting_user=alice,
    )
    for letter in Letter.objects.filter(person=jane):
        documents[f"{letter.kind} letter"] = bytes(letter.pdf)
    assert len(documents) == 7
    return documents


def test_every_letter_and_the_plan_carry_the_icbs_name_contacts_and_logo_and_one_font(
    client, settings, jane, alice, priya
):
    settings.ORGANISATION_NAME = "West Yorkshire Test ICB"
    settings.ORGANISATION_PHONE = "0113 496 0999"
    settings.ORGANISATION_EMAIL = "budgets@wy-test.example.nhs.uk"
    settings.ORGANISATION_ADDRESS = ["PHB Office", "2 Test Row", "Wakefield", "WF1 9ZZ"]
    settings.ORGANISATION_LOGO = PNG_LOGO
    for name, content in every_document(client, jane, alice, priya).items():
        first = pages(content)[0]
        for words in ("West Yorkshire Test ICB", "0113 496 0999", "budgets@wy-test.example.nhs.uk", "2 Test Row"):
            assert words in first, f"{name}: {words} is not at the top"
        reader = PdfReader(io.BytesIO(content))
        assert len(reader.pages[0].images) == 1, f"{name}: the logo is not drawn"
        # One sans-serif font throughout, the page numbers included (they were in a serif font).
        assert fonts(content) <= {"Liberation-Sans", "Liberation-Sans-Bold"}, f"{name}: {fonts(content)}"
        if name != f"{LetterKind.RETURN} letter":  # to the coordinator, not the person
            assert "another format" in text(content), name


def test_the_default_logo_is_a_static_file_the_pdf_fetcher_serves(client, monkeypatch, jane, alice):
    asked = []
    fetch = pdf.StaticFilesOnly.fetch

    def recording(self, url, headers=None):
        response = fetch(self, url, headers)  # raises RefusedFetch for anything but a static file
        asked.append(url)
        return response

    monkeypatch.setattr(pdf.StaticFilesOnly, "fetch", recording)
    complete_plan(person=jane, coordinator=alice)
    client.force_login(alice)
    screening = jane.screenings.latest("created_at")
    assert client.get(reverse("eligibility:letter", kwargs={"pk": screening.pk})).status_code == 200
    logo = letterhead.letterhead()["organisation_logo"]
    assert logo.startswith("file://") and logo.endswith("/static/img/organisation-logo.svg")
    assert asked == [logo]
    assert letterhead.logo_path().read_bytes().lstrip().startswith(b"<svg")


def test_a_logo_that_is_not_a_static_file_is_left_out_and_named_at_start_up(settings):
    assert letterhead.logo_is_a_static_file(None) == []
    for outside in ("../phb/settings.py", "/etc/passwd", "img/no-such-logo.svg"):
        settings.ORGANISATION_LOGO = outside
        assert letterhead.letterhead()["organisation_logo"] == ""
        assert [warning.id for warning in letterhead.logo_is_a_static_file(None)] == ["phb.W001"]


def test_a_short_letter_is_one_page(client, jane, alice, priya):
    documents = every_document(client, jane, alice, priya)
    for name in ("screening letter", "budget letter", "approval letter", "decline letter", "ending letter"):
        assert len(pages(documents[name])) == 1, name


def test_the_closing_lines_never_sit_alone_on_a_last_page(jane, alice, priya):
    """A decline letter with a longer and longer reason: whenever the letter runs onto a second page, the
    "ask for another format" line is there with "Yours sincerely", never on its own."""
    declined = approval.plan_decline(
        version=services.plan_submit(version=complete_plan(person=jane, coordinator=alice), acting_user=alice),
        reason="A reason.",
        acting_user=priya,
    )
    context = decision_letter_context(declined, today=datetime.date(2026, 11, 30))
    page_counts = set()
    for lines in range(6, 26):
        declined.decision_reason = "\n".join(f"Line {n} of the reason for this decision." for n in range(lines))
        found = pages(pdf.html_to_pdf(render_to_string("careplans/letter_decline.html", context)))
        page_counts.add(len(found))
        last = found[-1]
        assert "another format" in last and "Yours sincerely" in last, (lines, found)
    assert page_counts == {1, 2}, "the reasons tried do not reach the bottom of the first page"


def test_the_budget_letter_says_how_a_week_is_worked_out_from_the_constants(client, jane, alice):
    draft = complete_plan(person=jane, coordinator=alice)
    client.force_login(alice)
    letter = text(client.get(reverse("budgets:letter", kwargs={"pk": draft.budget_version.pk})).content)
    assert f"multiplied by {DAYS_IN_WEEK} and divided by {DAYS_IN_YEAR}" in WEEKLY_WORDS
    assert " ".join(WEEKLY_WORDS.split()) in letter


def test_the_plan_says_how_its_costs_become_yearly_from_the_rules_table(client, jane, alice):
    draft = complete_plan(person=jane, coordinator=alice)  # weekly items and a one-off
    client.force_login(alice)
    plan = text(client.get(reverse("careplans:pdf", kwargs={"pk": draft.pk})).content)
    week = rules.TIMES_A_YEAR[rules.Frequency.WEEK]
    assert f"A cost a week is multiplied by {week.numerator} and divided by {week.denominator}" in plan
    assert "A one-off cost is counted once." in plan
    assert "A cost every 4 weeks" not in plan  # only the kinds of cost the plan has
    four_weeks = rules.TIMES_A_YEAR[rules.Frequency.FOUR_WEEKS]
    assert (four_weeks.numerator, four_weeks.denominator) == (DAYS_IN_YEAR, DAYS_IN_FOUR_WEEKS)
    assert f"multiplied by {DAYS_IN_YEAR} and divided by {DAYS_IN_FOUR_WEEKS} (about 13.04 times a year)" in (
        yearly_words([rules.Frequency.FOUR_WEEKS])
    )


def test_the_approval_letter_says_the_budget_is_what_the_plan_costs_and_what_was_said_before(jane, alice, priya):
    approval.plan_approve(
        version=services.plan_submit(version=complete_plan(person=jane, coordinator=alice), acting_user=alice),
        financially_appropriate=True,
        clinically_appropriate=True,
        acting_user=priya,
    )
    letter = text(bytes(Letter.objects.get(kind=LetterKind.APPROVAL).pdf))
    assert "Your budget is £7,593.57 a year" in letter
    assert "This is what the plan we approved costs. Earlier we told you your budget was likely to be £10,428.57" in (
        letter
    )
    assert " ".join(WEEKLY_WORDS.split()) in letter


def test_every_end_reason_and_way_of_managing_money_is_said_to_the_person():
    # The letter after a death is written to the family in its own words.
    assert set(END_REASON_WORDS) == set(EndReason) - {EndReason.DIED}
    assert set(MONEY_OPTION_WORDS) == set(rules.MoneyOption)
    for words in [*END_REASON_WORDS.values(), *MONEY_OPTION_WORDS.values()]:
        assert " you" in f" {words.lower()}", words


def test_the_ending_letter_after_a_death_is_written_to_the_family(jane, alice, priya):
    active = approval.plan_approve(
        version=services.plan_submit(version=complete_plan(person=jane, coordinator=alice), acting_user=alice),
        financially_appropriate=True,
        clinically_appropriate=True,
        acting_user=priya,
    )
    approval.plan_end(
        version=active,
        reason=EndReason.DIED,
        ended_on=datetime.date.today(),
        note="",
        unspent_to_repay=None,
        acting_user=alice,
    )
    letter = text(bytes(Letter.objects.get(kind=LetterKind.ENDING).pdf))
    assert "To the family or representative of Jane Smith" in letter
    assert "We are very sorry for your loss" in letter
    assert "Your personal health budget ends" not in letter and "If you disagree" not in letter
    assert "The person has died" not in letter
