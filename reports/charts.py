"""The dashboard's charts, drawn on the server as SVG: no JavaScript, no charting library.

One kind of chart, a horizontal bar for each category (people at each journey stage, budgets committed by money
option), following the NHS and government guidance on charts (NHS.UK colours, the Analysis Function's "Data
visualisation: charts", NHSBSA's playbook):
- horizontal bars, so long category names fit on a phone; the bars keep the categories' own order where they have
  one (the journey's stages), and start at zero;
- direct labels: each category's name written above its bar and its value at the bar's end, so no legend is needed
  and nothing is said by colour alone (every bar is the same NHS blue);
- a text alternative that serves the same purpose: role="img" with a <title> and <desc> (aria-labelledby) naming
  every value, a one-sentence summary of what matters, and the same figures as a table;
- scaled to the width it is given (viewBox, width 100%), down to a 320 px screen.

Each chart is a payments.charts.Chart (its SVG, summary, caption, table headings and rows), so the money page's
include (templates/payments/includes/chart.html) shows it, and `empty` says there was nothing to draw: then the
summary says so in words and there is no picture at all rather than an empty one.

The SVG is built with xml.etree through payments.charts' own pieces (which escape every word: a care team's name
may hold "<" or "&"); only what is built here is marked safe.
"""

import xml.etree.ElementTree as ET
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.utils.safestring import mark_safe

from payments.charts import (
    BAR_HEIGHT,
    BAR_ROW,
    BAR_WIDTH,
    BLUE,
    GREY,
    Cell,
    Chart,
    cut_label,
    svg_markup,
    svg_number,
    svg_root,
    svg_text,
)
from phb.money import pounds

# Room after the longest bar for its value, in the viewBox's units: about 7.5 units a character at 13 px.
CHARACTER_WIDTH = 7.5


@dataclass(frozen=True)
class Bar:
    label: str
    value: int | Decimal


@dataclass(frozen=True)
class BarChart(Chart):
    empty: bool = False


def count_words(value: int | Decimal) -> str:
    return f"{value:,}"


def bar_chart(
    bars: Sequence[Bar],
    *,
    chart_id: str,
    title: str,
    summary: str,
    heading: str,
    value_heading: str,
    words: Callable[[int | Decimal], str] = count_words,
    nothing: str = "Nothing to show.",
) -> BarChart:
    """One horizontal bar for each category, its name above it and its value (in `words`) at its end, with the
    same figures as a table (`heading`: the categories' column; `value_heading`: the values'). With no bars, or
    every value zero, no picture: the summary is `nothing`."""
    headings = (Cell(heading, heading), Cell(value_heading, value_heading, numeric=True))
    if not bars or not any(bar.value for bar in bars):
        return BarChart(chart_id, mark_safe(""), nothing, title, headings, (), empty=True)  # noqa: S308 (nothing)
    height = 8 + BAR_ROW * len(bars)
    described = "; ".join(f"{bar.label}: {words(bar.value)}" for bar in bars)
    svg = svg_root(chart_id, BAR_WIDTH, height, title, f"A bar chart, one bar for each: {described}.")
    largest = max(max(bar.value for bar in bars), 1)
    room = BAR_WIDTH - 6 - CHARACTER_WIDTH * max(len(words(bar.value)) for bar in bars)
    # The picture's parts are hidden from screen readers: the title and description name every value.
    drawn = ET.SubElement(svg, "g", {"aria-hidden": "true"})
    for n, bar in enumerate(bars):
        top = 8 + n * BAR_ROW
        svg_text(drawn, 0, top + 13, cut_label(bar.label), size=13, **{"class": "bar-label"})
        width = room * float(max(bar.value, 0)) / float(largest)
        rect = {
            "x": "0",
            "y": svg_number(top + 19),
            "width": svg_number(width),
            "height": str(BAR_HEIGHT),
            "fill": BLUE,
        }
        ET.SubElement(drawn, "rect", {**rect, "class": "bar", "data-value": str(bar.value)})
        ET.SubElement(drawn, "line", {"x1": "0", "x2": "0", "y1": svg_number(top + 17), "y2": svg_number(top + 41)})
        drawn[-1].set("stroke", GREY)
        svg_text(drawn, width + 6, top + 34, words(bar.value), size=13, **{"class": "bar-value"})
    rows = tuple((Cell(heading, bar.label), Cell(value_heading, words(bar.value), numeric=True)) for bar in bars)
    return BarChart(chart_id, svg_markup(svg), summary, title, headings, rows)


def most_sentence(bars: Sequence[Bar], *, most: Callable[[str, str], str], words=count_words) -> str:
    """The largest bar in a sentence, through `most(value in words, label)`; bars tying for the largest are named
    together ("5 each", "A and B")."""
    largest = max(bar.value for bar in bars)
    top = [bar.label for bar in bars if bar.value == largest]
    if len(top) == 1:
        return most(words(largest), top[0])
    names = ", ".join(top[:-1]) + f" and {top[-1]}"
    return most(f"{words(largest)} each", names)


# The dashboard's charts -------------------------------------------------------------------------------------------


def stages_chart(dashboard, *, chart_id: str = "dashboard-stages") -> BarChart:
    """People at each journey stage, in journey order; stages nobody is at are left out of the picture and the
    table alike (the summary says so)."""
    bars = [Bar(figure.label, figure.people) for figure in dashboard.stages if figure.people]
    if not bars:
        summary = ""
    else:
        summary = most_sentence(bars, most=lambda value, label: f"Most people ({value}) are at {label}.")
        if len(bars) < len(dashboard.stages):
            summary += " Stages with nobody at them are not shown."
    return bar_chart(
        bars,
        chart_id=chart_id,
        title="People at each stage of the journey",
        summary=summary,
        heading="Stage",
        value_heading="People",
        nothing="Nothing to show: nobody matches these filters.",
    )


def committed_chart(dashboard, *, chart_id: str = "dashboard-committed") -> BarChart:
    """Budgets committed a year by how the money is managed (every option, £0 included)."""
    bars = [Bar(option.label, option.amount) for option in dashboard.committed.by_option]
    summary = ""
    if any(bar.value for bar in bars):
        summary = most_sentence(
            bars, words=pounds, most=lambda value, label: f"The most money a year ({value}) is managed as: {label}."
        )
    return bar_chart(
        bars,
        chart_id=chart_id,
        title="Budgets committed a year, by how the money is managed",
        summary=summary,
        heading="How the money is managed",
        value_heading="A year",
        words=pounds,
        nothing="Nothing to show: no plan is in force for these filters.",
    )
