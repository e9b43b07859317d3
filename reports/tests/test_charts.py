"""The dashboard's charts: an SVG a screen reader can read, the same figures as a table, one summary sentence, labels
escaped, and words instead of a broken picture when there is nothing to draw. Pure: no database."""

import datetime
import xml.etree.ElementTree as ET
from decimal import Decimal

import pytest

from careplans.rules import MoneyOption
from casework.stages import Stage
from reports.charts import Bar, bar_chart, committed_chart, most_sentence, stages_chart
from reports.dashboard import Committed, Dashboard, Money, OptionAmount, Reviews, StageFigure, Wait

SVG = "{http://www.w3.org/2000/svg}"
TODAY = datetime.date(2026, 12, 1)


def figures(people: dict[Stage, int], by_option: dict[MoneyOption, str] | None = None) -> Dashboard:
    by_option = by_option or {}
    return Dashboard(
        today=TODAY,
        people=sum(people.values()),
        stages=tuple(StageFigure(stage, people.get(stage, 0), None, None) for stage in Stage),
        referrals=Wait(0, None),
        sign_offs=Wait(0, None),
        plans=Wait(0, None),
        reviews=Reviews(0, 0, TODAY, TODAY, 0, 0),
        committed=Committed(
            plans=0,
            nhs=Decimal("0.00"),
            council=Decimal("0.00"),
            by_option=tuple(OptionAmount(o, Decimal(by_option.get(o, "0.00"))) for o in MoneyOption),
        ),
        money=Money(TODAY, TODAY, Decimal("0.00"), Decimal("0.00"), Decimal("0.00")),
    )


def parsed(chart) -> ET.Element:
    return ET.fromstring(str(chart.svg))  # noqa: S314 - our own markup, parsed to check it


def table(chart) -> list[tuple[str, str]]:
    return [tuple(cell.text for cell in row) for row in chart.rows]


def test_it_draws_people_at_each_stage_with_the_same_figures_as_a_table():
    chart = stages_chart(figures({Stage.REFERRED: 4, Stage.ACTIVE: 312, Stage.REVIEW_DUE: 27}))
    svg = parsed(chart)
    # Journey order, nobody-stages left out of the picture and the table alike.
    assert table(chart) == [("Referred to the PHB team", "4"), ("Active", "312"), ("Review due", "27")]
    assert [t.text for t in svg.iter(f"{SVG}text") if t.get("class") == "bar-label"] == [
        "Referred to the PHB team",
        "Active",
        "Review due",
    ]
    assert [t.text for t in svg.iter(f"{SVG}text") if t.get("class") == "bar-value"] == ["4", "312", "27"]
    assert [r.get("data-value") for r in svg.iter(f"{SVG}rect")] == ["4", "312", "27"]
    assert [(h.heading, h.text) for h in chart.headings] == [("Stage", "Stage"), ("People", "People")]
    assert not chart.empty


def test_the_summary_names_the_stage_most_people_are_at():
    chart = stages_chart(figures({Stage.REFERRED: 4, Stage.ACTIVE: 312}))
    assert chart.summary == "Most people (312) are at Active. Stages with nobody at them are not shown."


def test_a_tie_for_the_most_names_every_stage_in_it():
    bars = [Bar("Referred", 5), Bar("Active", 5), Bar("Ended", 1)]
    assert most_sentence(bars, most=lambda v, label: f"Most people ({v}) are at {label}.") == (
        "Most people (5 each) are at Referred and Active."
    )


def test_the_longest_bar_is_the_largest_value_and_bars_are_in_proportion():
    chart = stages_chart(figures({Stage.NEW: 10, Stage.ACTIVE: 40}))
    widths = [float(r.get("width")) for r in parsed(chart).iter(f"{SVG}rect")]
    assert widths[1] == max(widths)
    assert widths[0] * 4 == pytest.approx(widths[1], abs=0.2)  # coordinates are written to a tenth
    # Room is left after the longest bar for its value: it stays inside the viewBox.
    assert widths[1] + 6 + 7.5 * len("40") <= 320


def test_the_svg_is_an_image_with_a_title_and_description_a_screen_reader_reads():
    chart = stages_chart(figures({Stage.ACTIVE: 3}), chart_id="stages")
    svg = parsed(chart)
    assert svg.get("role") == "img"
    assert svg.get("aria-labelledby") == "stages-title stages-desc"
    assert svg.find(f"{SVG}title").get("id") == "stages-title"
    assert svg.find(f"{SVG}title").text == "People at each stage of the journey"
    assert svg.find(f"{SVG}desc").text == "A bar chart, one bar for each: Active: 3."
    # The drawing is hidden: the title and description say it all.
    assert svg.find(f"{SVG}g").get("aria-hidden") == "true"


def test_it_scales_to_the_width_it_is_given_down_to_320_pixels():
    svg = parsed(stages_chart(figures({Stage.ACTIVE: 3, Stage.ENDED: 1})))
    assert svg.get("width") == "100%"
    assert svg.get("viewBox").startswith("0 0 320 ")
    assert svg.get("height") is None


def test_every_bar_is_the_same_colour_so_colour_says_nothing():
    svg = parsed(stages_chart(figures({Stage.REVIEW_OVERDUE: 3, Stage.ACTIVE: 9})))
    assert len({r.get("fill") for r in svg.iter(f"{SVG}rect")}) == 1


def test_labels_are_escaped_in_the_picture_and_kept_whole_in_the_table():
    name = 'North & <South> "team"'
    chart = bar_chart(
        [Bar(name, 3)], chart_id="teams", title="People by <team>", summary="s", heading="Team", value_heading="People"
    )
    markup = str(chart.svg)
    assert "<South>" not in markup
    assert "&lt;South&gt;" in markup and "&amp;" in markup
    assert "People by &lt;team&gt;" in markup
    svg = parsed(chart)  # well-formed, and reads back as typed
    assert [t.text for t in svg.iter(f"{SVG}text") if t.get("class") == "bar-label"] == [name]
    assert table(chart) == [(name, "3")]


def test_a_long_label_is_cut_in_the_picture_but_whole_in_the_table():
    name = "A very long name for a care team that goes on and on past forty characters"
    chart = bar_chart([Bar(name, 1)], chart_id="t", title="T", summary="s", heading="Team", value_heading="People")
    drawn = [t.text for t in parsed(chart).iter(f"{SVG}text") if t.get("class") == "bar-label"]
    assert drawn[0].endswith("…") and len(drawn[0]) == 40
    assert table(chart) == [(name, "1")]


def test_nothing_to_draw_says_so_in_words_with_no_picture():
    chart = stages_chart(figures({}))
    assert chart.empty
    assert str(chart.svg) == ""
    assert chart.rows == ()
    assert chart.summary == "Nothing to show: nobody matches these filters."
    committed = committed_chart(figures({}))
    assert committed.empty and str(committed.svg) == ""
    assert committed.summary == "Nothing to show: no plan is in force for these filters."


def test_budgets_committed_are_drawn_in_pounds_by_money_option():
    chart = committed_chart(
        figures({}, {MoneyOption.DIRECT_PAYMENT: "25028.56", MoneyOption.NOTIONAL: "5345.72"}),
    )
    assert table(chart) == [
        ("Direct payment", "£25,028.56"),
        ("Notional budget (the NHS arranges it)", "£5,345.72"),
        ("Third-party budget (an organisation holds the money)", "£0.00"),
    ]
    assert chart.summary == "The most money a year (£25,028.56) is managed as: Direct payment."
    values = [t.text for t in parsed(chart).iter(f"{SVG}text") if t.get("class") == "bar-value"]
    assert values == ["£25,028.56", "£5,345.72", "£0.00"]
    widths = [float(r.get("width")) for r in parsed(chart).iter(f"{SVG}rect")]
    assert widths[2] == 0 and widths[0] + 6 + 7.5 * len("£25,028.56") <= 320


def test_the_chart_fits_the_money_pages_include():
    # The same shape as payments.charts.Chart, so templates/payments/includes/chart.html shows it.
    from payments.charts import Chart

    assert isinstance(stages_chart(figures({Stage.ACTIVE: 1})), Chart)
