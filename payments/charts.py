"""Charts of the money in use, drawn on the server as SVG: no JavaScript, no charting library.

Two charts, for the staff plan's money page and the portal's:
- spending over the plan year: money planned to be spent from the account against money spent, added up
  month by month, as two lines (planned dashed and grey, spent solid and blue), each labelled in words at its
  end, with £ and month labels on the axes;
- spending by item: one horizontal bar for each item, its amount written beside it.

Each Chart carries its SVG (role="img" with a <title> and <desc>), a one-sentence summary and the same figures
as a table, so nothing is said by colour or shape alone. The SVG is built with xml.etree, which escapes every
word (item names are typed by people), and scales to the width it is given (viewBox, width 100%), down to a
320 px screen.

The figures the spending chart draws (`months`) are pure, over the plain values of payments.balance:
- a point for each calendar month of the plan year (the first and last cut at the year's start and end);
- planned by a month's end: what payments.balance plans for the account's items by that day (an item bought
  from the account: its annual cost × the days so far / the year's days; a one-off paid into the account: when
  due), added up over the items;
- spent by a month's end: the spend less refunds from the account dated from the year's start to that day
  (matched to an item or not), for the months begun by `on`; the month `on` falls in is counted to `on`.
"""

import datetime
import math
import xml.etree.ElementTree as ET
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

from django.utils.safestring import SafeString, mark_safe

from payments.balance import Balance, Projection, Transaction, TransactionKind, balance, year_start
from payments.periods import ONE_DAY, days_between, plan_year_end
from payments.rules import ZERO, Line
from phb.money import pounds
from phb.words import MONTHS, long_date

if TYPE_CHECKING:  # the money page's figures (payments.selectors imports this module)
    from payments.selectors import MoneyView

# NHS.UK colours: https://service-manual.nhs.uk/design-system/styles/colour
BLUE = "#005eb8"
PURPLE = "#330072"
GREY = "#425563"
TEXT = "#212b32"
GRID = "#d8dde0"
FONT = "Frutiger W01, Arial, sans-serif"

# The spending chart's drawing area, in the viewBox's units: room on the left for £ labels, on the right for the
# lines' names, below for the months (a 320-unit width is drawn near its own size on a phone, so text stays legible).
LINE_WIDTH, LINE_HEIGHT = 320, 230
LEFT, RIGHT, TOP, BOTTOM = 60, 58, 14, 38
# The bar chart: one row of a label above its bar for each item, with room after the longest bar for its amount.
BAR_WIDTH, BAR_ROW, BAR_HEIGHT, BAR_ROOM = 320, 50, 20, 90
LABEL_CHARACTERS = 40  # a longer item name is cut with "…" in the picture (the table has it whole)


@dataclass(frozen=True)
class MonthPoint:
    """Planned and spent, added up from the year's start to the end of a month (spent to `spent_to`, or None
    for a month not yet begun)."""

    start: datetime.date
    end: datetime.date
    planned: Decimal
    spent: Decimal | None
    spent_to: datetime.date | None


@dataclass(frozen=True)
class Bar:
    label: str
    amount: Decimal
    colour: str = BLUE


@dataclass(frozen=True)
class Cell:
    heading: str  # the column's heading (shown beside the value on a narrow screen)
    text: str
    numeric: bool = False


@dataclass(frozen=True)
class Chart:
    id: str  # unique on the page: the SVG's <title> and <desc> ids start with it
    svg: SafeString
    summary: str
    caption: str
    headings: tuple[Cell, ...]
    rows: tuple[tuple[Cell, ...], ...]


# The figures ---------------------------------------------------------------------------------------------------


def _month_end(day: datetime.date) -> datetime.date:
    return (day.replace(day=28) + datetime.timedelta(days=4)).replace(day=1) - ONE_DAY


def net_spend(transactions: Sequence[Transaction], start: datetime.date, end: datetime.date) -> Decimal:
    """Spend less refunds dated from start to end (both included)."""
    total = ZERO
    for t in transactions:
        if start <= t.on <= end:
            if t.kind == TransactionKind.SPEND:
                total += t.amount
            elif t.kind == TransactionKind.REFUND:
                total -= t.amount
    return total


def months(
    lines: Sequence[Line],
    transactions: Sequence[Transaction],
    on: datetime.date,
    *,
    item_annual: Mapping[str, Decimal],
    account_items: Collection[str],
) -> list[MonthPoint]:
    """Planned against spent from the account, added up to the end of each month of the plan year (the
    module's docstring gives the rules). account_items: the keys of the items bought from the account."""
    if not lines:
        return []
    start = year_start(lines)
    end = plan_year_end(start)
    points = []
    first = start.replace(day=1)
    while first <= end:
        month_start, month_end = max(first, start), min(_month_end(first), end)
        planned = balance(lines, [], month_end, item_annual=item_annual).items
        spent_to = min(month_end, on) if month_start <= on else None
        points.append(
            MonthPoint(
                start=month_start,
                end=month_end,
                planned=sum((i.planned for i in planned if i.item in account_items), ZERO),
                spent=net_spend(transactions, start, spent_to) if spent_to else None,
                spent_to=spent_to,
            )
        )
        first = _month_end(first) + ONE_DAY
    return points


def left_sentence(money: Balance, ahead: Projection | None, year_end: datetime.date | None, *, you: bool) -> str:
    """One sentence: what is left, and where it is heading at the present rate of spending."""
    if money.balance < 0:
        now = f"{'Your account is' if you else 'The account is'} {pounds(-money.balance)} overdrawn"
    else:
        now = f"{'You have ' if you else ''}{pounds(money.balance)} left"
    if ahead is None:
        return f"{now}."
    rate = "at the rate you are spending" if you else "at this rate"
    if ahead.runs_out_on is not None:
        return f"{now}; {rate} it lasts until {long_date(ahead.runs_out_on - ONE_DAY)}."
    return (
        f"{now}; {rate} {pounds(ahead.left_at_year_end)} will be left when the plan year ends on {long_date(year_end)}."
    )


# Drawing -------------------------------------------------------------------------------------------------------


def svg_number(value: float) -> str:
    """A coordinate, to a tenth of a unit."""
    return f"{value:.1f}".rstrip("0").rstrip(".")


def _step(top: Decimal) -> int:
    """A round step for the £ axis: 4 or 5 steps reach `top` (1, 2, 2.5 or 5 times a power of ten)."""
    target = max(int(top), 4) / 4
    power = 1
    while True:
        for factor in (1, 2, 2.5, 5):
            step = int(power * factor)
            if step >= target and step == power * factor:
                return step
        power *= 10


def svg_root(chart_id: str, width: int, height: int, title: str, desc: str) -> ET.Element:
    svg = ET.Element(
        "svg",
        {
            "xmlns": "http://www.w3.org/2000/svg",
            "viewBox": f"0 0 {width} {height}",
            "width": "100%",
            "role": "img",
            "aria-labelledby": f"{chart_id}-title {chart_id}-desc",
            "focusable": "false",
            "font-family": FONT,
            "data-testid": f"{chart_id}-svg",
        },
    )
    ET.SubElement(svg, "title", {"id": f"{chart_id}-title"}).text = title
    ET.SubElement(svg, "desc", {"id": f"{chart_id}-desc"}).text = desc
    return svg


def svg_text(parent, x: float, y: float, words: str, *, size: int = 13, anchor: str = "start", **more) -> ET.Element:
    attributes = {"x": svg_number(x), "y": svg_number(y), "font-size": str(size), "fill": TEXT, "text-anchor": anchor}
    element = ET.SubElement(parent, "text", {**attributes, **more})
    element.text = words
    return element


def svg_markup(svg: ET.Element) -> SafeString:
    # xml.etree escapes every text and attribute it writes, so the markup is safe to put in the page.
    return mark_safe(ET.tostring(svg, encoding="unicode"))  # noqa: S308


def _axis_pounds(amount: int) -> str:
    """An amount on the £ axis: whole pounds, and millions shortened ("£1.5m")."""
    if amount >= 1_000_000:
        return f"£{amount / 1_000_000:g}m"
    return f"£{amount:,}"


def spending_chart(points: Sequence[MonthPoint], *, chart_id: str, summary: str, you: bool = False) -> Chart:
    """Planned against spent, added up by month, as two labelled lines with the same figures as a table."""
    start, end = points[0].start, points[-1].end
    spent = [p for p in points if p.spent is not None]
    year_words = f"{long_date(start)} to {long_date(end)}"
    planned_words = f"planned spending (the dashed line) adds up to {pounds(points[-1].planned)} by {long_date(end)}"
    if spent:
        spent_words = (
            f"spending so far (the solid line) adds up to {pounds(spent[-1].spent)} by {long_date(spent[-1].spent_to)}"
        )
    else:
        spent_words = "nothing has been spent yet"
    svg = svg_root(
        chart_id,
        LINE_WIDTH,
        LINE_HEIGHT,
        f"Money planned and spent{' from your account' if you else ' from the account'}, {year_words}",
        f"A line chart of money added up month by month: {planned_words}; {spent_words}.",
    )
    plot_width, plot_height = LINE_WIDTH - LEFT - RIGHT, LINE_HEIGHT - TOP - BOTTOM
    floor = TOP + plot_height
    days = days_between(start, end)
    highest = max([p.planned for p in points] + [p.spent for p in spent] + [Decimal(1)])
    step = _step(highest)
    top = step * -(-math.ceil(highest) // step)  # the first step at or above the highest amount

    def x(day: datetime.date) -> float:  # the end of the day
        return LEFT + plot_width * days_between(start, day) / days

    def y(amount: Decimal) -> float:
        return TOP + plot_height * (1 - float(amount) / top)

    grid = ET.SubElement(svg, "g", {"aria-hidden": "true"})
    for amount in range(0, top + 1, step):
        ET.SubElement(
            grid,
            "line",
            {"x1": str(LEFT), "x2": str(LEFT + plot_width), "y1": svg_number(y(amount)), "y2": svg_number(y(amount))}
            | {"stroke": GREY if amount == 0 else GRID, "stroke-width": "1"},
        )
        svg_text(grid, LEFT - 5, y(amount) + 4, _axis_pounds(amount), size=12, anchor="end", **{"class": "y-label"})
    # Every month is a point; with more than 7 months every other one is named, so the names fit a phone.
    every = 2 if len(points) > 7 else 1
    for n, point in enumerate(points):
        middle = (x(point.start - ONE_DAY) + x(point.end)) / 2
        if n % every == 0:
            month = MONTHS[point.start.month - 1][:3]
            svg_text(grid, middle, floor + 16, month, size=12, anchor="middle", **{"class": "x-label"})
            if n == 0 or any(p.start.month == 1 for p in points[max(n - every + 1, 1) : n + 1]):
                svg_text(grid, middle, floor + 31, str(point.start.year), size=12, anchor="middle")
    origin = (x(start - ONE_DAY), y(ZERO))
    planned_xy = [origin] + [(x(p.end), y(p.planned)) for p in points]
    spent_xy = [origin] + [(x(p.spent_to), y(p.spent)) for p in spent]
    lines = ET.SubElement(svg, "g", {"aria-hidden": "true"})
    ET.SubElement(
        lines,
        "polyline",
        {
            "points": " ".join(f"{svg_number(a)},{svg_number(b)}" for a, b in planned_xy),
            "fill": "none",
            "stroke": GREY,
            "stroke-width": "2.5",
            "stroke-dasharray": "7 5",
            "class": "planned",
        },
    )
    for point, (a, b) in zip(points, planned_xy[1:], strict=True):
        ET.SubElement(
            lines,
            "circle",
            {"cx": svg_number(a), "cy": svg_number(b), "r": "3", "fill": "#ffffff", "stroke": GREY, "stroke-width": "2"}
            | {"class": "planned-point", "data-amount": str(point.planned)},
        )
    ends = [("Planned", *planned_xy[-1], True)]
    if spent:
        ET.SubElement(
            lines,
            "polyline",
            {
                "points": " ".join(f"{svg_number(a)},{svg_number(b)}" for a, b in spent_xy),
                "fill": "none",
                "stroke": BLUE,
                "stroke-width": "3",
                "class": "spent",
            },
        )
        for point, (a, b) in zip(spent, spent_xy[1:], strict=True):
            ET.SubElement(
                lines,
                "circle",
                {"cx": svg_number(a), "cy": svg_number(b), "r": "3.5", "fill": BLUE, "class": "spent-point"}
                | {"data-amount": str(point.spent)},
            )
        ends.append(("Spent", *spent_xy[-1], spent[-1].spent_to == end))
    # Each line named in words at its end (not by colour or a legend). At the year's end the names go to the
    # right of the last points, where no line is, kept 14 apart; a spending line that stops earlier is named
    # just after its last point, moved off the planned line or the £0 line when either passes close by.
    at_end = [(name, end_y + 4) for name, _, end_y, at_year_end in ends if at_year_end]
    if len(at_end) == 2 and abs(at_end[0][1] - at_end[1][1]) < 14:
        (high, high_y), (low, low_y) = sorted(at_end, key=lambda end: end[1])
        middle = (high_y + low_y) / 2
        at_end = [(high, middle - 7), (low, middle + 7)]
    places = dict(at_end)
    for name, end_x, end_y, at_year_end in ends:
        colour = BLUE if name == "Spent" else TEXT
        if not at_year_end:
            planned_there = y(next(p.planned for p in points if p.end >= spent[-1].spent_to))
            if end_y > floor - 10 or (end_y < planned_there and planned_there - end_y < 16):
                places[name] = end_y - 7
            elif abs(planned_there - end_y) < 16:
                places[name] = end_y + 17
            else:
                places[name] = end_y + 4
        svg_text(lines, end_x + 6, places[name], name, anchor="start", **{"class": "line-label", "fill": colour})
    headings = (
        Cell("Month", "Month"),
        Cell("Planned", "Planned by the end of the month", numeric=True),
        Cell("Spent", "Spent by the end of the month, after refunds", numeric=True),
    )
    rows = tuple(
        (
            Cell("Month", f"{MONTHS[p.start.month - 1]} {p.start.year}"),
            Cell("Planned", pounds(p.planned), numeric=True),
            Cell(
                "Spent",
                "Not yet"
                if p.spent is None
                else pounds(p.spent) + ("" if p.spent_to == p.end else f" (to {long_date(p.spent_to)})"),
                numeric=True,
            ),
        )
        for p in points
    )
    caption = f"Money planned and spent, added up month by month, {year_words}"
    return Chart(chart_id, svg_markup(svg), summary, caption, headings, rows)


def cut_label(label: str) -> str:
    return label if len(label) <= LABEL_CHARACTERS else label[: LABEL_CHARACTERS - 1].rstrip() + "…"


def bar_chart(bars: Sequence[Bar], *, chart_id: str, title: str, summary: str, heading: str = "Item") -> Chart:
    """One horizontal bar for each item, its amount written beside it, with the same figures as a table."""
    height = 8 + BAR_ROW * len(bars)
    described = "; ".join(f"{bar.label}: {pounds(bar.amount)}" for bar in bars)
    svg = svg_root(chart_id, BAR_WIDTH, height, title, f"A bar chart, one bar for each: {described}.")
    longest = max([bar.amount for bar in bars] + [Decimal(1)])
    room = BAR_WIDTH - BAR_ROOM
    drawn = ET.SubElement(svg, "g", {"aria-hidden": "true"})
    for n, bar in enumerate(bars):
        top = 8 + n * BAR_ROW
        svg_text(drawn, 0, top + 13, cut_label(bar.label), size=13, **{"class": "bar-label"})
        width = room * float(max(bar.amount, ZERO) / longest)
        ET.SubElement(
            drawn,
            "rect",
            {
                "x": "0",
                "y": svg_number(top + 19),
                "width": svg_number(width),
                "height": str(BAR_HEIGHT),
                "fill": bar.colour,
            }
            | {"class": "bar", "data-amount": str(bar.amount)},
        )
        ET.SubElement(drawn, "line", {"x1": "0", "x2": "0", "y1": svg_number(top + 17), "y2": svg_number(top + 41)})
        drawn[-1].set("stroke", GREY)
        svg_text(drawn, width + 6, top + 34, pounds(bar.amount), size=13, **{"class": "bar-amount"})
    headings = (Cell(heading, heading), Cell("Spent", "Spent", numeric=True))
    rows = tuple((Cell(heading, bar.label), Cell("Spent", pounds(bar.amount), numeric=True)) for bar in bars)
    return Chart(chart_id, svg_markup(svg), summary, title, headings, rows)


# The money page's two charts -------------------------------------------------------------------------------------


def spent_sentence(view: "MoneyView") -> str:
    """To the person: what they have spent this plan year, against what their plan expected by now."""
    spent = [point for point in view.months if point.spent is not None]
    if not spent:
        return "Your plan year has not started yet."
    planned = sum((row.planned for row in view.items if row.key in view.account_items), ZERO)
    return (
        f"By {long_date(spent[-1].spent_to)} you have spent {pounds(spent[-1].spent)} this plan year, after "
        f"refunds. Your plan expected about {pounds(planned)}."
    )


def money_charts(view: "MoneyView", *, you: bool) -> tuple[Chart | None, Chart | None]:
    """The spending chart and the spending-by-item chart for a plan's money (None when there is nothing to
    draw: no schedule yet, or nothing bought from the account)."""
    if not view.has_schedule:
        return None, None
    spending = None
    if view.account_items and view.months:
        if you:  # the person's page leads with what is left: the chart's sentence is how spending compares
            summary = spent_sentence(view)
        else:
            summary = left_sentence(view.balance, view.projection, view.year_end, you=False)
        spending = spending_chart(view.months, chart_id="money-spending", summary=summary, you=you)
    by_item = None
    if view.spend_by_item:
        bars = [Bar(row.name, row.amount, row.colour) for row in view.spend_by_item]
        spent_on_items = [row for row in view.spend_by_item if row.is_item and row.amount > 0]
        if spent_on_items:
            most = max(spent_on_items, key=lambda row: row.amount)
            summary = (
                f"Most {'of your spending' if you else 'spending'} on one item was on {most.name}: "
                f"{pounds(most.amount)} so far this plan year."
            )
        elif any(row.amount > 0 for row in view.spend_by_item):
            summary = f"None of {'your' if you else 'the'} spending is matched to an item in the plan yet."
        else:
            summary = f"{'You have not spent anything' if you else 'Nothing has been spent'} yet this plan year."
        by_item = bar_chart(
            bars, chart_id="money-items", title="Spending by item, this plan year so far", summary=summary
        )
    return spending, by_item
