"""The reports' pages: the NHS England quarterly return (page, CSV, marking it submitted) and the outcomes
report (page and CSV). Each asks reports.access first and is an audit event; the figures come from the
selectors (returns, outcomes), never worked out here."""

from django.contrib import messages
from django.db import connection
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import urlencode
from django.views.decorators.http import require_GET, require_POST

from phb import audit
from phb.downloads import csv_download
from phb.errors import ServiceError
from phb.models import AuditAction
from phb.once import once
from reports import access, services
from reports.charts import committed_chart, stages_chart
from reports.dashboard import COUNTED, kept_dashboard
from reports.forms import DashboardForm, PeriodForm, QuarterForm
from reports.models import SubmittedReturn
from reports.outcomes import TITLE as OUTCOMES_TITLE
from reports.outcomes import outcomes_csv, outcomes_report, shown_tables
from reports.quarters import Quarter
from reports.returns import (
    ALL_COLUMNS_LABEL,
    COLUMNS,
    DEFINITIONS,
    MANAGED_LABELS,
    MEASURE_LABELS,
    MEASURES,
    file_name,
    quarterly_return,
    return_csv,
)


def _measure_tables(result, changed: dict) -> list[dict]:
    """The return as the page shows it: a table for each measure (a row a category, a column for each way the
    money is managed and their total), each figure with what was submitted where that differs (changed:
    services.changed_since)."""
    labels = [MANAGED_LABELS[managed] for managed in COLUMNS] + [ALL_COLUMNS_LABEL]
    tables = []
    for index, measure in enumerate(MEASURES):
        first = index * len(labels)  # the measure's first figure in Row.cells
        rows = []
        for row in (*result.rows, result.total):
            cells = [
                {"label": labels[column], "value": value, "was": changed.get((row.category, first + column))}
                for column, value in enumerate(row[measure].cells)
            ]
            rows.append({"label": row.label, "total": row.category is None, "cells": cells})
        tables.append({"measure": measure, "label": MEASURE_LABELS[measure], "rows": rows})
    return tables


@require_GET
def return_page(request):
    """The NHS England quarterly return for a quarter: the figures, what each means, the CSV, and (for a lead,
    once the quarter is over) marking it submitted."""
    access.require_return(request.user)
    today = timezone.localdate()
    form = QuarterForm(request.GET or None, today=today)
    quarter = form.chosen()
    result = quarterly_return(quarter, today=today)
    submitted = SubmittedReturn.objects.select_related("submitted_by").filter(quarter=quarter.code).first()
    refusal = access.submit_refusal(request.user, quarter, today=today, submitted=submitted)
    audit.record(
        actor=request.user, action=AuditAction.VIEW, summary=f"Viewed the NHS England return for {quarter.short_label}"
    )
    changed = services.changed_since(result, submitted)
    tables = _measure_tables(result, changed)
    context = {
        "form": form,
        "quarter": quarter,
        "result": result,
        "tables": tables,
        "columns": [MANAGED_LABELS[managed] for managed in COLUMNS] + [ALL_COLUMNS_LABEL],
        # Each paragraph starts with what it defines: "Year to date: everyone whose plan ...".
        "definitions": [paragraph.partition(": ")[::2] for paragraph in DEFINITIONS],
        "submitted": submitted,
        "changed": bool(changed),
        "may_submit": not refusal,
        "refusal": refusal,
        "query": urlencode({"quarter": quarter.code}),
    }
    return render(request, "reports/return.html", context)


@require_GET
def return_download(request):
    """The quarter's return as CSV in the return's layout (the figures as they are now)."""
    access.require_return(request.user)
    today = timezone.localdate()
    quarter = QuarterForm(request.GET or None, today=today).chosen()
    result = quarterly_return(quarter, today=today)
    audit.record(
        actor=request.user,
        action=AuditAction.EXPORT,
        summary=f"Downloaded the NHS England return for {quarter.short_label} (CSV)",
    )
    return csv_download(return_csv(result), file_name(result))


@require_POST
@once
def return_submit(request):
    """Marks the chosen quarter's return submitted (a lead, once the quarter is over): its figures are kept."""
    access.require_return(request.user)
    try:
        quarter = Quarter.from_code(request.POST.get("quarter", ""))
    except ValueError as error:
        messages.error(request, str(error))
        return redirect("reports:return")
    try:
        services.submit_return(quarter=quarter, acting_user=request.user)
    except ServiceError as error:
        messages.error(request, str(error))
    else:
        messages.success(
            request,
            f"The return for {quarter.short_label} is marked submitted. Its figures are kept as they are now: "
            "any later change to the records shows on this page as a difference.",
        )
    return redirect(f"{redirect('reports:return').url}?{urlencode({'quarter': quarter.code})}")


def _shown(figures) -> dict:
    """A table of the outcomes report as the page lays it out: each row with its cells (and its total), then
    the columns' totals; each cell with its column's heading, for the narrow screen's stacked layout."""
    table = figures.table
    headings = [*figures.columns, *([figures.total_heading] if table.row_totals else [])]

    def row(label, cells, total=None, bold=False):
        cells = [*cells, *([total] if total is not None else [])]
        return {"label": label, "bold": bold, "cells": list(zip(headings, cells, strict=True))}

    rows = [
        row(label, cells, table.row_totals[index] if table.row_totals else None)
        for index, (label, cells) in enumerate(zip(figures.rows, table.cells, strict=True))
    ]
    if table.column_totals:
        rows.append(row(figures.totals_label, table.column_totals, table.grand_total, bold=True))
    return {"title": figures.title, "row_heading": figures.row_heading, "headings": headings, "rows": rows}


class _NotOnThisDatabase(Exception):
    """The figures are worked out by PostgreSQL's own functions (percentiles, arrays, DISTINCT ON)."""


def works_out_figures() -> bool:
    """Whether this database can work out the dashboard and the outcomes report: PostgreSQL, as in production and
    the tests; not make run's SQLite."""
    return connection.vendor == "postgresql"


def _not_on_this_database(request, title: str):
    return render(request, "reports/not_on_this_database.html", {"title": title})


def _outcomes(request):
    teams = access.teams_seen(request.user)
    if not works_out_figures():
        raise _NotOnThisDatabase
    form = PeriodForm(request.GET or None, today=timezone.localdate(), team_ids=teams)
    start, end = form.period()
    return form, outcomes_report(start=start, end=end, teams=form.teams())


@require_GET
def outcomes_page(request):
    """What people said at their reviews in a period, by part of life and engagement support, small numbers
    hidden. A coordinator's figures are their own care teams'."""
    try:
        form, report = _outcomes(request)
    except _NotOnThisDatabase:
        return _not_on_this_database(request, OUTCOMES_TITLE)
    audit.record(
        actor=request.user,
        action=AuditAction.VIEW,
        summary=f"Viewed the outcomes report: {', '.join(f'{k} {v}' for k, v in form.in_words().items())}",
    )
    query = urlencode({name: value for name, value in request.GET.items() if name != "page"})
    shown = shown_tables(report)
    return render(
        request,
        "reports/outcomes.html",
        {
            "form": form,
            "report": report,
            "shown": shown,
            "overview": _shown(shown.by_domain),
            "by_support": [_shown(figures) for figures in shown.by_support],
            "progress": _shown(shown.progress),
            "satisfaction": _shown(shown.satisfaction),
            "title": OUTCOMES_TITLE,
            "query": query,
        },
    )


@require_GET
def outcomes_download(request):
    try:
        form, report = _outcomes(request)
    except _NotOnThisDatabase:
        return _not_on_this_database(request, OUTCOMES_TITLE)
    audit.record(
        actor=request.user,
        action=AuditAction.EXPORT,
        summary=f"Downloaded the outcomes report (CSV): {', '.join(f'{k} {v}' for k, v in form.in_words().items())}",
    )
    return csv_download(outcomes_csv(report), f"outcomes-{report.start.isoformat()}-to-{report.end.isoformat()}.csv")


@require_GET
def dashboard_page(request):
    """Where everyone is and what needs doing, for the people the user sees (a coordinator's care teams, the PHB
    team's everyone), filtered from the query string so a view of it can be bookmarked."""
    teams = access.teams_seen(request.user)
    if not works_out_figures():
        return _not_on_this_database(request, "Dashboard")
    form = DashboardForm(request.GET or None, today=timezone.localdate(), team_ids=teams)
    figures = kept_dashboard(user=request.user, **form.filters())
    words = form.in_words()
    audit.record(
        actor=request.user,
        action=AuditAction.VIEW,
        summary="Viewed the dashboard" + (": " + ", ".join(f"{k} {v}" for k, v in words.items()) if words else ""),
    )
    stages = [figure for figure in figures.stages if figure.people]
    context = {
        "form": form,
        "figures": figures,
        "stages": stages,
        "waits": [
            ("Referrals to decide", figures.referrals),
            ("Budgets to sign off", figures.sign_offs),
            ("Plans to decide", figures.plans),
        ],
        "stages_chart": stages_chart(figures),
        "committed_chart": committed_chart(figures),
        "counted": COUNTED,
        "sees_return": not access.return_refusal(request.user),
    }
    return render(request, "reports/dashboard.html", context)
