"""Indicative budgets: both figures, a chosen one, sign-off when needed, immutable versions, the letter."""

import datetime
import io
from decimal import Decimal

import pytest
from django.urls import reverse
from pypdf import PdfReader

from budgets import services
from budgets.models import BudgetVersion, SignOff
from budgets.selectors import budget_unusable_reason
from budgets.tests.factories import make_tariff, points_table
from phb.errors import ServiceError
from phb.models import AppendOnlyError, AuditAction, AuditEvent

pytestmark = pytest.mark.django_db


def calculate(assessment, user, **overrides):
    values = {
        "method": "costed",
        "adjustment": Decimal("0"),
        "adjustment_reason": "",
        "council_share_means_tested": False,
    }
    values.update(overrides)
    return services.budget_version_create(assessment=assessment, acting_user=user, **values)


def test_it_shows_both_figures_side_by_side_with_breakdowns_and_flags(client, alice, tariff, with_services):
    client.force_login(alice)
    response = client.get(reverse("budgets:budget_new", kwargs={"assessment_pk": with_services.pk}))
    page = response.content.decode()
    sheet = response.context["sheet"]
    # £20 x 10 hours a week x 365/7 = £10,428.57; block and council services are shown, not counted.
    assert sheet.costed.total == Decimal("10428.57")
    # 8 domains at moderate (4 points) x £250 = £8,000.00
    assert sheet.ras.total == Decimal("8000.00")
    assert "£10,428.57" in page and "£8,000.00" in page
    assert "Day centre" in page and "Council home care" in page
    assert sheet.costed.council_share == Decimal("4692.86")


def test_the_worksheet_and_the_saved_budget_say_how_weekly_and_4_weekly_costs_become_yearly(
    client, alice, tariff, with_services
):
    from budgets.calculate import PERIODS_PER_YEAR, Period

    week, four_weeks = PERIODS_PER_YEAR[Period.WEEK], PERIODS_PER_YEAR[Period.FOUR_WEEKS]
    client.force_login(alice)
    version = calculate(with_services, alice)
    for url in (
        reverse("budgets:budget_new", kwargs={"assessment_pk": with_services.pk}),
        reverse("budgets:budget", kwargs={"pk": version.pk}),
    ):
        page = client.get(url).content.decode()
        assert "a year has 365 days" in page
        assert f"a cost a week is multiplied by {week.numerator} and divided by {week.denominator}" in page
        assert f"every 4 weeks is multiplied by {four_weeks.numerator} and divided by {four_weeks.denominator}" in page
    # The words are the arithmetic's: £20 x 10 hours a week, multiplied by 365 and divided by 7.
    assert (week.numerator, week.denominator, four_weeks.denominator) == (365, 7, 28)
    assert version.costed_total == Decimal("10428.57")


def test_it_saves_numbered_versions_and_audits_them(alice, tariff, with_services):
    first = calculate(with_services, alice)
    second = calculate(with_services, alice, method="ras")
    assert (first.number, second.number) == (1, 2)
    assert (first.annual_amount, second.annual_amount) == (Decimal("10428.57"), Decimal("8000.00"))
    assert first.sign_off == SignOff.NOT_NEEDED
    assert AuditEvent.objects.filter(action=AuditAction.CREATE, object_type="budgets.budgetversion").count() == 2


def test_it_picks_the_higher_or_lower_and_says_which(alice, tariff, with_services):
    higher = calculate(with_services, alice, method="higher")
    lower = calculate(with_services, alice, method="lower")
    assert higher.annual_amount == Decimal("10428.57")
    assert "cost of current services" in higher.method_explanation
    assert lower.annual_amount == Decimal("8000.00")
    assert "resource allocation" in lower.method_explanation


@pytest.mark.parametrize(
    ("adjustment", "needs_sign_off"),
    [("1042.85", False), ("1042.86", True), ("-1042.86", True), ("0", False)],
)
def test_an_adjustment_over_ten_percent_needs_sign_off(alice, tariff, with_services, adjustment, needs_sign_off):
    version = calculate(with_services, alice, adjustment=Decimal(adjustment), adjustment_reason="Extra support")
    assert (version.sign_off == SignOff.AWAITING) is needs_sign_off
    assert (budget_unusable_reason(version) is None) is not needs_sign_off


def test_a_budget_above_the_ceiling_needs_sign_off(alice, with_services, settings):
    settings.BUDGET_SIGN_OFF_ABOVE = Decimal("10000.00")
    version = calculate(with_services, alice)
    assert version.sign_off == SignOff.AWAITING
    assert "more than £10,000.00" in version.sign_off_reasons[0]


def test_an_adjustment_needs_a_reason(client, alice, tariff, with_services):
    client.force_login(alice)
    response = client.post(
        reverse("budgets:budget_new", kwargs={"assessment_pk": with_services.pk}),
        {"method": "costed", "adjustment": "500"},
    )
    assert response.context["form"].errors["adjustment_reason"] == ["Enter the reason for the adjustment"]
    assert not BudgetVersion.objects.exists()


def test_without_a_tariff_only_the_costed_figure_can_be_chosen(client, alice, with_services):
    client.force_login(alice)
    url = reverse("budgets:budget_new", kwargs={"assessment_pk": with_services.pk})
    assert "No tariff is in force today" in client.get(url).content.decode()
    response = client.post(url, {"method": "ras"})
    assert "No tariff is in force" in response.context["form"].errors["method"][0]
    assert client.post(url, {"method": "costed"}).status_code == 302


def test_it_flags_where_to_look(alice, tariff, assessment):
    # No services: costed is £0 and differs from the RAS figure; also no services recorded.
    version = calculate(assessment, alice, method="ras")
    assert [f["code"] for f in version.flags] == ["ras_costed_differ", "no_services"]


def test_sign_off_is_by_someone_else_in_the_phb_team_and_happens_once(client, alice, priya, leo, tariff, with_services):
    version = calculate(with_services, alice, adjustment=Decimal("5000"), adjustment_reason="Night support")
    with pytest.raises(ServiceError):
        services.budget_version_sign_off(version=version, approve=True, note="", acting_user=alice)
    client.force_login(priya)
    response = client.post(reverse("budgets:sign_off", kwargs={"pk": version.pk}), {"decision": "sign_off"})
    assert response["Location"] == reverse("budgets:sign_off_queue")
    version.refresh_from_db()
    assert (version.sign_off, version.signed_off_by) == (SignOff.SIGNED_OFF, priya)
    event = AuditEvent.objects.get(object_id=str(version.pk), action=AuditAction.SIGN_OFF)
    assert (event.actor, event.changes["sign_off"]) == (priya, ["awaiting", "signed_off"])
    with pytest.raises(ServiceError, match="Priya Patel already dealt with this budget"):
        services.budget_version_sign_off(version=version, approve=False, note="No", acting_user=leo)


def test_returning_a_budget_needs_a_reason(client, alice, priya, tariff, with_services):
    version = calculate(with_services, alice, adjustment=Decimal("5000"), adjustment_reason="Night support")
    client.force_login(priya)
    response = client.post(reverse("budgets:sign_off", kwargs={"pk": version.pk}), {"decision": "return"})
    assert response.context["form"].errors["note"] == ["Enter the reason for returning the budget"]
    version.refresh_from_db()
    assert version.sign_off == SignOff.AWAITING


def test_the_letter_waits_for_sign_off_then_gives_yearly_and_weekly_amounts(
    client, alice, priya, tariff, with_services
):
    version = calculate(with_services, alice, adjustment=Decimal("2000"), adjustment_reason="Support at night")
    client.force_login(alice)
    url = reverse("budgets:letter", kwargs={"pk": version.pk})
    response = client.get(url, follow=True)
    assert "must sign off this budget before the person is told" in response.content.decode()
    services.budget_version_sign_off(version=version, approve=True, note="", acting_user=priya)
    response = client.get(url)
    text = " ".join(" ".join(p.extract_text().split()) for p in PdfReader(io.BytesIO(response.content)).pages)
    # £12,428.57 a year x 7 / 365 = £238.356... = £238.36 a week
    assert "£12,428.57 a year" in text
    assert "£238.36 a week" in text
    assert "Support at night" in text


def test_a_saved_version_cannot_be_changed_or_deleted(alice, with_services):
    version = calculate(with_services, alice)
    version.annual_amount = Decimal("1")
    with pytest.raises(AppendOnlyError):
        version.save()
    with pytest.raises(AppendOnlyError):
        version.delete()


def test_editing_the_tariff_does_not_change_a_saved_version(alice, leo, tariff, with_services):
    version = calculate(with_services, alice, method="ras")
    services.tariff_update(
        tariff=tariff,
        expected_version=tariff.version,
        acting_user=leo,
        effective_from=tariff.effective_from,
        price_per_point=Decimal("500.00"),
        points=points_table(scale=2),
        notes="Doubled",
    )
    version.refresh_from_db()
    assert version.annual_amount == Decimal("8000.00")
    assert version.inputs["tariff"]["price_per_point"] == "250.00"
    assert version.ras_lines[0]["amount"] == "1000.00"
    newer = calculate(with_services, alice, method="ras")
    assert newer.annual_amount == Decimal("32000.00")


def test_a_new_calculation_uses_the_tariff_in_force_on_its_date(alice, leo, tariff, with_services):
    make_tariff(lead=leo, effective_from=datetime.date(2026, 4, 1), price="300.00")
    before = calculate(with_services, alice, method="ras", on=datetime.date(2026, 3, 31))
    after = calculate(with_services, alice, method="ras", on=datetime.date(2026, 4, 1))
    assert (before.annual_amount, after.annual_amount) == (Decimal("8000.00"), Decimal("9600.00"))
    assert before.tariff == tariff


@pytest.mark.parametrize("persona", ["charlie", "pat"])
def test_budgets_are_hidden_outside_the_team(client, request, alice, with_services, persona):
    version = calculate(with_services, alice)
    client.force_login(request.getfixturevalue(persona))
    assert client.get(reverse("budgets:budget", kwargs={"pk": version.pk})).status_code == 404
    assert client.get(reverse("budgets:letter", kwargs={"pk": version.pk})).status_code == 404


@pytest.mark.parametrize("persona", ["alice", "charlie", "pat"])
def test_only_the_phb_team_sees_the_sign_off_queue_and_signs_off(client, request, alice, with_services, persona):
    version = calculate(with_services, alice, adjustment=Decimal("5000"), adjustment_reason="Night support")
    client.force_login(request.getfixturevalue(persona))
    assert client.get(reverse("budgets:sign_off_queue")).status_code == 404
    assert (
        client.post(reverse("budgets:sign_off", kwargs={"pk": version.pk}), {"decision": "sign_off"}).status_code == 404
    )
    version.refresh_from_db()
    assert version.sign_off == SignOff.AWAITING


@pytest.mark.parametrize("persona", ["alice", "priya", "pat"])
def test_only_the_lead_maintains_tariffs(client, request, tariff, persona):
    client.force_login(request.getfixturevalue(persona))
    assert client.get(reverse("budgets:tariffs")).status_code == 404
    assert client.get(reverse("budgets:tariff_edit", kwargs={"pk": tariff.pk})).status_code == 404


def tariff_form(**overrides):
    data = {
        "effective_from_day": "1",
        "effective_from_month": "4",
        "effective_from_year": "2027",
        "price_per_point": "275",
    }
    for domain, levels in points_table().items():
        for level, points in levels.items():
            data[f"points_{domain}_{level}"] = str(points)
    data.update(overrides)
    return data


def test_the_lead_sets_up_a_tariff_and_a_missing_level_is_refused(client, leo, tariff):
    client.force_login(leo)
    response = client.post(reverse("budgets:tariff_new"), tariff_form(points_housing_high=""))
    assert response.context["form"].errors["points_housing_high"] == [
        "Enter points for high need in housing and safety"
    ]
    response = client.post(reverse("budgets:tariff_new"), tariff_form())
    assert response.status_code == 302
    duplicate = client.post(reverse("budgets:tariff_new"), tariff_form())
    assert "A tariff already starts on this date" in duplicate.context["form"].errors["effective_from"][0]


def test_the_sign_off_queue_uses_the_same_queries_for_2_and_12_budgets(
    client, alice, priya, north, tariff, django_assert_max_num_queries
):
    from budgets.tests.factories import add_service, make_assessment, make_eligible
    from people.tests.factories import PersonFactory

    def add(n):
        for _ in range(n):
            person = PersonFactory(care_team=north, date_of_birth=datetime.date(1950, 5, 5))
            make_eligible(person=person, coordinator=alice)
            assessment = make_assessment(person=person, coordinator=alice)
            add_service(assessment=assessment, coordinator=alice)
            calculate(assessment, alice, adjustment=Decimal("5000"), adjustment_reason="Night support")

    client.force_login(priya)
    add(2)
    with django_assert_max_num_queries(20) as few:
        client.get(reverse("budgets:sign_off_queue"))
    add(10)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(reverse("budgets:sign_off_queue"))
    assert len(response.context["versions"]) == 12


def test_a_superseded_budget_leaves_the_queue_and_cannot_be_signed_off_or_told(client, alice, priya, with_services):
    old = calculate(with_services, alice, adjustment=Decimal("5000"), adjustment_reason="Night support")
    calculate(with_services, alice)
    client.force_login(priya)
    assert list(client.get(reverse("budgets:sign_off_queue")).context["versions"]) == []
    with pytest.raises(ServiceError, match="newer budget"):
        services.budget_version_sign_off(version=old, approve=True, note="", acting_user=priya)
    response = client.get(reverse("budgets:letter", kwargs={"pk": old.pk}), follow=True)
    assert "A newer budget has been worked out" in response.content.decode()


def test_no_budget_or_letter_once_the_person_is_no_longer_eligible(client, alice, with_services):
    from eligibility import services as eligibility_services

    version = calculate(with_services, alice)
    eligibility_services.screening_create(
        person=with_services.person,
        screened_on=datetime.date(2026, 2, 1),
        funding="none",
        hospital_inpatient=False,
        section_117="section_2_only",
        wheelchair=False,
        commissioned_package=False,
        acting_user=alice,
    )
    with pytest.raises(ServiceError, match="not eligible"):
        calculate(with_services, alice)
    client.force_login(alice)
    response = client.get(reverse("budgets:letter", kwargs={"pk": version.pk}), follow=True)
    assert "not eligible for a personal health budget now" in response.content.decode()
    assert response["Content-Type"].startswith("text/html")


def test_a_newer_budget_takes_an_older_one_off_the_sign_off_queue_and_says_so(client, alice, priya, with_services):
    from budgets.models import SignOff
    from phb.models import AuditEvent

    old = calculate(with_services, alice, adjustment=Decimal("5000"), adjustment_reason="Night support")
    assert old.sign_off == SignOff.AWAITING
    new = calculate(with_services, alice, adjustment=Decimal("5000"), adjustment_reason="Night support, again")
    old.refresh_from_db()
    assert old.sign_off == SignOff.SUPERSEDED
    assert old.signed_off_by is None
    client.force_login(priya)
    assert [v.pk for v in client.get(reverse("budgets:sign_off_queue")).context["versions"]] == [new.pk]
    created = AuditEvent.objects.filter(object_id=str(new.pk)).get()
    assert created.changes["replaced_before_sign_off"] == [None, [old.number]]
    with pytest.raises(ServiceError, match="newer budget"):
        services.budget_version_sign_off(version=old, approve=True, note="", acting_user=priya)


def test_the_person_page_says_why_a_budget_needs_no_sign_off(client, alice, tariff, with_services, settings):
    import re

    settings.BUDGET_SIGN_OFF_ADJUSTMENT_SHARE = Decimal("0.15")  # the words follow the settings that decide it
    settings.BUDGET_SIGN_OFF_ABOVE = Decimal("60000")
    calculate(with_services, alice)
    client.force_login(alice)
    page = client.get(reverse("people:detail", kwargs={"pk": with_services.person_id})).content.decode()
    said = re.search(r'data-testid="budget-sign-off">(.*?)</span>', page).group(1)
    assert said == (
        "No PHB team sign-off needed: any adjustment is 15% of the starting figure or less, "
        "and the budget is £60,000.00 a year or less"
    )
    assert "(not needed)" not in page
