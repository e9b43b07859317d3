"""The money charts (payments.charts): pure figures month by month, and SVG that parses as XML, with a point
for each month, a bar for each item, its words in place, and the same numbers in its table as in the picture.

No database: the schedule is payments.rules' own (the £7,300-a-year direct payment of test_balance.py, £560.00
every 4 weeks from 1 April 2026), and an item "pa" bought from it at £7,300 a year.
"""

import datetime
import xml.etree.ElementTree as ET
from decimal import Decimal

import pytest
from django.template.loader import render_to_string

from careplans.rules import MoneyOption, PaymentFrequency
from payments import charts
from payments.balance import Balance, Projection, Transaction, TransactionKind, balance, projection
from payments.charts import Bar, bar_chart, left_sentence, months, spending_chart
from payments.rules import ScheduleFacts, Stream, schedule
from phb.money import pounds

D = Decimal
SVG = "{http://www.w3.org/2000/svg}"
LINES = schedule(
    ScheduleFacts(
        start=datetime.date(2026, 4, 1),
        frequency=PaymentFrequency.FOUR_WEEKLY,
        streams=(Stream(MoneyOption.DIRECT_PAYMENT, D("7300.00")),),
    )
)
ANNUAL = {"pa": D("7300.00")}


def day(text: str) -> datetime.date:
    return datetime.date.fromisoformat(text)


def spend(on, amount, kind=TransactionKind.SPEND, item="pa"):
    return Transaction(day(on), D(amount), kind, item)


SPENT = [
    spend("2026-04-10", "300.00"),
    spend("2026-05-15", "200.00", item=None),
    spend("2026-05-20", "50.00", TransactionKind.REFUND),
    spend("2026-04-01", "560.00", TransactionKind.PAYMENT_IN, None),  # money in: not spending
]


def points(on="2026-06-30", transactions=SPENT):
    return months(LINES, transactions, day(on), item_annual=ANNUAL, account_items={"pa"})


def parsed(chart) -> ET.Element:
    return ET.fromstring(str(chart.svg))  # noqa: S314 - our own markup, parsed to check it


def by_class(svg: ET.Element, tag: str, name: str) -> list[ET.Element]:
    return [element for element in svg.iter(f"{SVG}{tag}") if element.get("class") == name]


def words(svg: ET.Element) -> list[str]:
    return [element.text for element in svg.iter(f"{SVG}text")]


# The figures


def test_it_adds_up_planned_and_spent_to_the_end_of_each_month():
    found = points()
    assert [(p.start, p.end) for p in found[:2]] == [
        (day("2026-04-01"), day("2026-04-30")),
        (day("2026-05-01"), day("2026-05-31")),
    ]
    assert len(found) == 12 and found[-1].end == day("2027-03-31")
    # £7,300 × 30 / 365 = £600 by 30 April, × 61 / 365 = £1,220 by 31 May, the whole £7,300 by 31 March.
    assert [p.planned for p in found[:2]] + [found[-1].planned] == [D("600.00"), D("1220.00"), D("7300.00")]
    # Spent less refunds, matched to the item or not; money in is not spending.
    assert [p.spent for p in found[:4]] == [D("300.00"), D("450.00"), D("450.00"), None]
    assert found[2].spent_to == day("2026-06-30") and found[1].spent_to == day("2026-05-31")


def test_a_plan_year_that_starts_mid_month_has_a_part_month_at_each_end():
    lines = schedule(
        ScheduleFacts(
            start=datetime.date(2026, 4, 15),
            frequency=PaymentFrequency.MONTHLY,
            streams=(Stream(MoneyOption.DIRECT_PAYMENT, D("1200.00")),),
        )
    )
    found = months(lines, [], day("2026-04-20"), item_annual={"pa": D("1200.00")}, account_items={"pa"})
    assert len(found) == 13
    assert (found[0].start, found[0].end) == (day("2026-04-15"), day("2026-04-30"))
    assert (found[-1].start, found[-1].end) == (day("2027-04-01"), day("2027-04-14"))
    assert found[0].spent == D("0.00") and found[0].spent_to == day("2026-04-20") and found[1].spent is None


def test_notional_items_are_not_planned_spending_from_the_account():
    assert points()[-1].planned == D("7300.00")
    only_notional = months(LINES, [], day("2026-06-30"), item_annual=ANNUAL, account_items=set())
    assert {p.planned for p in only_notional} == {D("0.00")}


# The sentence


def _balance(amount) -> Balance:
    return Balance(*([day("2026-06-30")] + [D("0.00")] * 5 + [D(amount)] + [D("0.00")] * 7 + [()]))


@pytest.mark.parametrize(
    ("amount", "runs_out", "left", "you", "expected"),
    [
        ("2140.00", "2027-03-15", "-50.00", False, "£2,140.00 left; at this rate it lasts until 14 March 2027."),
        (
            "2140.00",
            None,
            "310.00",
            False,
            "£2,140.00 left; at this rate £310.00 will be left when the plan year ends on 31 March 2027.",
        ),
        (
            "2140.00",
            None,
            "310.00",
            True,
            "You have £2,140.00 left; at the rate you are spending £310.00 will be left when the plan year ends "
            "on 31 March 2027.",
        ),
        (
            "-20.00",
            "2026-07-01",
            "-900.00",
            True,
            "Your account is £20.00 overdrawn; at the rate you are spending it lasts until 30 June 2026.",
        ),
    ],
)
def test_it_sums_up_what_is_left_in_one_sentence(amount, runs_out, left, you, expected):
    ahead = Projection(day("2026-04-08"), 0, day(runs_out) if runs_out else None, D(left))
    assert left_sentence(_balance(amount), ahead, day("2027-03-31"), you=you) == expected


def test_the_sentence_agrees_with_the_projection():
    on = day("2026-06-30")
    heavy = [spend("2026-06-20", "2000.00")]
    ahead = projection(LINES, heavy, on)
    sentence = left_sentence(balance(LINES, heavy, on), ahead, day("2027-03-31"), you=False)
    assert sentence == f"{pounds(D('240.00'))} left; at this rate it lasts until 10 July 2026."
    assert ahead.runs_out_on == day("2026-07-11")


# The spending chart


def test_the_spending_chart_is_svg_with_a_point_for_each_month_and_its_lines_named():
    chart = spending_chart(points(), chart_id="money-spending", summary="£1,790.00 left.")
    svg = parsed(chart)
    assert svg.tag == f"{SVG}svg" and svg.get("role") == "img" and svg.get("width") == "100%"
    assert svg.get("viewBox") == "0 0 320 230"
    assert svg.get("aria-labelledby") == "money-spending-title money-spending-desc"
    title, desc = svg.find(f"{SVG}title"), svg.find(f"{SVG}desc")
    assert title.get("id") == "money-spending-title" and "1 April 2026 to 31 March 2027" in title.text
    assert "£7,300.00 by 31 March 2027" in desc.text and "£450.00 by 30 June 2026" in desc.text
    assert len(by_class(svg, "circle", "planned-point")) == 12
    assert len(by_class(svg, "circle", "spent-point")) == 3  # April, May and June to 30 June
    # Two lines told apart by shape (dashed and solid) and named in words, not by a legend or colour alone.
    assert by_class(svg, "polyline", "planned")[0].get("stroke-dasharray")
    assert by_class(svg, "polyline", "spent")[0].get("stroke-dasharray") is None
    assert [label.text for label in by_class(svg, "text", "line-label")] == ["Planned", "Spent"]
    assert len(by_class(svg, "polyline", "planned")[0].get("points").split()) == 13  # from £0 at the start
    assert [label.text for label in by_class(svg, "text", "x-label")] == ["Apr", "Jun", "Aug", "Oct", "Dec", "Feb"]
    assert {"2026", "2027"} <= set(words(svg))
    assert [label.text for label in by_class(svg, "text", "y-label")] == ["£0", "£2,000", "£4,000", "£6,000", "£8,000"]


def test_the_spending_table_has_the_charts_numbers():
    chart = spending_chart(points(on="2026-06-20"), chart_id="money-spending", summary="")
    svg = parsed(chart)
    planned = [pounds(D(point.get("data-amount"))) for point in by_class(svg, "circle", "planned-point")]
    spent = [pounds(D(point.get("data-amount"))) for point in by_class(svg, "circle", "spent-point")]
    assert [row[1].text for row in chart.rows] == planned
    assert [row[2].text for row in chart.rows[:3]] == spent[:2] + [f"{spent[2]} (to 20 June 2026)"]
    assert {row[2].text for row in chart.rows[3:]} == {"Not yet"}
    assert [row[0].text for row in chart.rows][:2] == ["April 2026", "May 2026"]


def test_before_the_year_starts_only_the_planned_line_is_drawn():
    svg = parsed(spending_chart(points(on="2026-03-01", transactions=[]), chart_id="c", summary=""))
    assert not by_class(svg, "circle", "spent-point") and not by_class(svg, "polyline", "spent")
    assert "nothing has been spent yet" in svg.find(f"{SVG}desc").text


def test_the_line_names_keep_apart_when_both_lines_end_together():
    on_plan = [spend("2027-03-31", "7300.00")]  # spent exactly what was planned, on the last day
    svg = parsed(spending_chart(points(on="2027-03-31", transactions=on_plan), chart_id="c", summary=""))
    planned, spent = (float(label.get("y")) for label in by_class(svg, "text", "line-label"))
    assert abs(planned - spent) >= 13


@pytest.mark.parametrize(
    ("highest", "step"), [("1", 1), ("7300.00", 2000), ("10000", 2500), ("999999", 250000), ("3", 1)]
)
def test_the_pounds_axis_takes_round_steps(highest, step):
    assert charts._step(D(highest)) == step


def test_the_pounds_axis_shortens_millions():
    assert [charts._axis_pounds(n) for n in (0, 2500, 250000, 1500000)] == ["£0", "£2,500", "£250,000", "£1.5m"]


# The bar chart


BARS = [
    Bar("Personal assistant", D("1250.00")),
    Bar("Taxi to choir <and back> & home", D("0.00")),
    Bar("A very long name for an item that goes on and on past the edge", D("75.50")),
    Bar("Refunded more than spent", D("-10.00")),
]


def test_the_bar_chart_has_a_bar_for_each_item_with_its_amount_written():
    chart = bar_chart(BARS, chart_id="money-items", title="Spending by item", summary="")
    svg = parsed(chart)  # the item names' < and & are escaped: it parses
    assert svg.get("role") == "img" and svg.find(f"{SVG}title").text == "Spending by item"
    bars = by_class(svg, "rect", "bar")
    assert len(bars) == 4
    assert [text.text for text in by_class(svg, "text", "bar-amount")] == [
        "£1,250.00",
        "£0.00",
        "£75.50",
        "\u2212£10.00",
    ]
    labels = [text.text for text in by_class(svg, "text", "bar-label")]
    assert labels[1] == "Taxi to choir <and back> & home"
    assert labels[2].endswith("…") and len(labels[2]) <= charts.LABEL_CHARACTERS
    widths = [float(bar.get("width")) for bar in bars]
    assert widths[0] == charts.BAR_WIDTH - charts.BAR_ROOM and widths[1] == 0 and widths[3] == 0
    assert widths[2] == pytest.approx(widths[0] * 75.5 / 1250, abs=0.1)
    assert "Personal assistant: £1,250.00" in svg.find(f"{SVG}desc").text


def test_the_bar_table_has_the_charts_numbers_and_whole_names():
    chart = bar_chart(BARS, chart_id="money-items", title="Spending by item", summary="")
    amounts = [pounds(D(bar.get("data-amount"))) for bar in by_class(parsed(chart), "rect", "bar")]
    assert [row[1].text for row in chart.rows] == amounts
    assert [row[0].text for row in chart.rows] == [bar.label for bar in BARS]


def test_the_chart_partial_shows_the_summary_picture_and_table_in_a_details():
    chart = bar_chart(BARS[:1], chart_id="money-items", title="Spending by item", summary="Spent £1,250.00.")
    html = render_to_string("payments/includes/chart.html", {"chart": chart})
    assert "Spent £1,250.00." in html and 'role="img"' in html
    assert 'class="nhsuk-details"' in html and "Show the figures as a table" in html
    assert html.count('<tr role="row" class="nhsuk-table__row">') == 1
    svg = html[html.index("<svg") : html.index("</svg>") + len("</svg>")]
    ET.fromstring(svg)  # noqa: S314 - still well formed once in the page


# The money page's charts, from its figures


def _view(bars, account_items=frozenset()):
    from types import SimpleNamespace

    from payments.selectors import SpendRow

    rows = tuple(SpendRow(name, D(amount), is_item=is_item) for name, amount, is_item in bars)
    return SimpleNamespace(has_schedule=True, account_items=account_items, months=(), spend_by_item=rows)


@pytest.mark.parametrize(
    ("bars", "you", "summary"),
    [
        (
            [("Personal assistant", "250.00", True), ("Taxi", "30.00", True), ("Not matched", "900.00", False)],
            False,
            "Most spending on one item was on Personal assistant: £250.00 so far this plan year.",
        ),
        (
            [("Personal assistant", "0.00", True), ("Not matched", "900.00", False)],
            True,
            "None of your spending is matched to an item in the plan yet.",
        ),
        ([("Personal assistant", "0.00", True)], True, "You have not spent anything yet this plan year."),
    ],
)
def test_the_spending_by_item_summary_names_the_item_most_was_spent_on(bars, you, summary):
    spending, by_item = charts.money_charts(_view(bars), you=you)
    assert spending is None  # nothing bought from the account: no spending chart
    assert by_item.summary == summary and len(by_item.rows) == len(bars)
