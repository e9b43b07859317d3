"""Statements and spending as staff pages: a plan's transactions with what is still to match, adding a statement
(and, for a CSV file whose columns are not known, choosing which column is which), typing a transaction in with
its receipt, matching spend to the plan, and a receipt's download.

Who may add and match is payments.statement_access.statement_refusal: the pages show their buttons exactly when
it allows and the services ask it again. Seeing the page is seeing the plan (careplans.access.get_plan_for_user).

The flows (upload, columns, typed, receipt) are written once here and used by the portal's pages too
(portal.statement_views), with their own templates and words.

Between the upload and the columns step the file is kept in the user's session (base64, at most
PAYMENTS_MAX_UPLOAD_MB, one file a session, removed once imported or when another is uploaded): nothing is
written to disk and the person does not choose the file twice.
"""

import base64
import binascii
import secrets
from collections.abc import Callable

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from careplans import access as plan_access
from payments import statement_services as services
from payments import statements
from payments.balance import TransactionKind
from payments.models import Receipt, Statement, StatementSource, Transaction
from payments.statement_access import get_receipt_for_user, get_transaction_for_user, statement_refusal
from payments.statement_forms import ColumnsForm, MatchForm, StatementUploadForm, TypedTransactionForm
from people.access import require_staff
from phb import audit
from phb.errors import ServiceError
from phb.models import AuditAction
from phb.money import pounds
from phb.once import once
from phb.pagination import page_of
from phb.refusals import refuse_role
from phb.words import long_date

PENDING = "payments_statement_upload"
TO_MATCH, ALL = "to_match", "all"
SHOW_CHOICES = {TO_MATCH: "Still to match", ALL: "All transactions"}
KIND_TAG_COLOURS = {
    TransactionKind.PAYMENT_IN: "green",
    TransactionKind.SPEND: "blue",
    TransactionKind.REFUND: "aqua-green",
    TransactionKind.RECOVERY: "grey",
}


# Reading ---------------------------------------------------------------------------------------------------------


def to_match(queryset):
    """Spend not yet matched to an item or marked as not in the plan (the partial index transaction_to_match)."""
    return queryset.filter(kind=TransactionKind.SPEND, item_key__isnull=True, not_in_plan=False)


def transactions_of(plan):
    """The plan's transactions, newest first, each with its receipt's name and type (never its content)."""
    return (
        Transaction.objects.filter(plan=plan)
        .select_related("receipt")
        .defer("receipt__content")
        .order_by("-on", "-added_at", "-id")
    )


def transaction_rows(page, items) -> list[dict]:
    labels = {str(item.key): services.item_label(item) for item in items}
    rows = []
    for tx in page:
        if tx.item_key:
            matched = labels.get(str(tx.item_key), "An item no longer in the plan")
        elif tx.not_in_plan:
            matched = "Not in the plan"
        else:
            matched = ""
        rows.append(
            {
                "tx": tx,
                "colour": KIND_TAG_COLOURS[TransactionKind(tx.kind)],
                "money_out": tx.kind in (TransactionKind.SPEND, TransactionKind.RECOVERY),
                "matched": matched,
                "to_match": tx.kind == TransactionKind.SPEND and not tx.item_key and not tx.not_in_plan,
                "matchable": tx.kind in (TransactionKind.SPEND, TransactionKind.REFUND),
            }
        )
    return rows


def imported_message(statement: Statement) -> str:
    """What an import added, and what it did not add again: rows we already had, and money already typed in by
    hand (statement.typed_by_hand, set by statement_services.import_statement)."""
    typed = getattr(statement, "typed_by_hand", 0)
    if statement.added == 0:
        by_hand = f", {typed} of them typed in by hand" if typed else ""
        return (
            f"We already had every transaction in this file ({statement.already_seen}{by_hand}). Nothing new was "
            "added, and the statement is recorded as received."
        )
    noun = "transaction" if statement.added == 1 else "transactions"
    said = [f"Statement added: {statement.added} new {noun}."]
    seen = statement.already_seen - typed
    if seen:
        said.append(f"{seen} we already had {'was' if seen == 1 else 'were'} not added again.")
    if typed:
        said.append(f"{typed} already typed in by hand {'was' if typed == 1 else 'were'} not added again.")
    return " ".join(said)


# The flows, shared with the portal -------------------------------------------------------------------------------


def _keep_pending(request, plan, form, data: bytes) -> None:
    source = form.cleaned_data.get("chosen_source")
    request.session[PENDING] = {
        "plan": str(plan.pk),
        "token": secrets.token_urlsafe(8),
        "name": form.file_name()[:255],
        "data": base64.b64encode(data).decode("ascii"),
        "source": str(source.pk) if source else "",
        "source_name": (form.cleaned_data.get("source_name") or "")[:100],
        "source_kind": form.cleaned_data.get("source_kind") or "",
    }


def _pending(request, plan) -> dict | None:
    kept = request.session.get(PENDING)
    if not isinstance(kept, dict) or kept.get("plan") != str(plan.pk):
        return None
    try:
        kept["bytes"] = base64.b64decode(kept.get("data", ""), validate=True)
    except (binascii.Error, ValueError, TypeError):
        return None
    return kept


def _forget_pending(request) -> None:
    request.session.pop(PENDING, None)


def upload_flow(request, *, plan, render_page: Callable, done_url: str, columns_url: str):
    """The upload form: imported at once when the file can be read; a CSV file whose columns are not known is
    kept and the columns step asked."""
    sources = list(StatementSource.objects.filter(plan=plan).order_by("name"))
    posted = request.method == "POST"
    form = StatementUploadForm(request.POST if posted else None, request.FILES if posted else None, sources=sources)
    if posted and form.is_valid():
        data = form.cleaned_data["statement_file"]
        try:
            statement = services.import_statement(
                plan=plan,
                data=data,
                file_name=form.file_name(),
                acting_user=request.user,
                source=form.cleaned_data["chosen_source"],
                source_name=form.cleaned_data.get("source_name") or "",
                source_kind=form.cleaned_data.get("source_kind") or "",
            )
        except services.NeedsMapping:
            _keep_pending(request, plan, form, data)
            return redirect(columns_url)
        except ServiceError as error:
            form.add_error("statement_file", str(error))
        else:
            _forget_pending(request)
            messages.success(request, imported_message(statement))
            return redirect(done_url)
    return render_page(form)


def columns_flow(request, *, plan, render_page: Callable, done_url: str, restart_url: str):
    """Which column is which, for the CSV file kept from the upload; then the import, and the mapping remembered
    for the account or card."""
    pending = _pending(request, plan)
    if pending is None:
        messages.info(request, "Choose the statement file again.")
        return redirect(restart_url)
    try:
        headers, rows = statements.read_table(pending["bytes"])
    except statements.StatementError as error:
        _forget_pending(request)
        messages.error(request, str(error))
        return redirect(restart_url)
    source = StatementSource.objects.filter(plan=plan, pk=pending["source"]).first() if pending["source"] else None
    form = ColumnsForm(request.POST if request.method == "POST" else None, headers=list(headers))
    if request.method == "POST" and form.is_valid():
        try:
            statement = services.import_statement(
                plan=plan,
                data=pending["bytes"],
                file_name=pending["name"],
                acting_user=request.user,
                source=source,
                mapping=form.cleaned_data["mapping"],
                source_name=pending["source_name"],
                source_kind=pending["source_kind"],
            )
        except ServiceError as error:
            form.add_error(None, str(error))
        else:
            _forget_pending(request)
            messages.success(request, imported_message(statement))
            return redirect(done_url)
    sample = [[str(cell) for cell in row] for row in list(rows)[:3]]
    columns = [
        {"name": header, "values": [row[i][:100] for row in sample if i < len(row)]} for i, header in enumerate(headers)
    ]
    return render_page(form, {"columns": columns, "file_name": pending["name"]})


def typed_flow(request, *, plan, render_page: Callable, done_url: str, kinds=services.TYPED_KINDS):
    posted = request.method == "POST"
    form = TypedTransactionForm(request.POST if posted else None, request.FILES if posted else None, kinds=kinds)
    if posted and form.is_valid():
        try:
            added = services.add_by_hand(
                plan=plan,
                on=form.cleaned_data["on"],
                amount=form.cleaned_data["amount"],
                kind=form.cleaned_data["kind"],
                description=form.cleaned_data["description"],
                acting_user=request.user,
                receipt=form.cleaned_data["receipt"],
            )
        except ServiceError as error:
            form.add_error("receipt" if "receipt" in str(error).lower() else None, str(error))
        else:
            with_receipt = ", with its receipt" if added.receipt_id else ""
            messages.success(
                request,
                f"Added: {added.get_kind_display().lower()} {pounds(added.amount)} on {long_date(added.on)}"
                f"{with_receipt}.",
            )
            return redirect(done_url)
    return render_page(form)


def receipt_response(receipt: Receipt, user, *, summary: str = "Viewed a receipt") -> HttpResponse:
    """The receipt as a download, every time recorded as a view. Never shown inline: the browser is told the type
    read from the content when it was kept, and not to guess another."""
    audit.record(
        actor=user,
        action=AuditAction.VIEW,
        obj=receipt,
        person_id=receipt.plan.person_id,
        summary=f"{summary} ({receipt.size:,} bytes)",
    )
    response = HttpResponse(bytes(receipt.content), content_type=receipt.content_type)
    response["Content-Disposition"] = content_disposition_header(as_attachment=True, filename=receipt.file_name)
    response["X-Content-Type-Options"] = "nosniff"
    return response


# Staff pages -----------------------------------------------------------------------------------------------------


def _plan_for_staff(request, plan_id, *, adding: bool = False):
    require_staff(request.user)
    plan = plan_access.get_plan_for_user(request.user, plan_id)
    if adding and statement_refusal(request.user, plan):
        refuse_role()
    return plan


def _list_url(plan) -> str:
    return reverse("payments:statements", kwargs={"plan_id": plan.pk})


@require_GET
def plan_statements(request, plan_id):
    """A plan's statements and spending: every transaction (or only spend still to match), newest first, each
    still to match with the form that matches it."""
    plan = _plan_for_staff(request, plan_id)
    refusal = statement_refusal(request.user, plan)
    show = request.GET.get("show")
    show = show if show in SHOW_CHOICES else TO_MATCH
    transactions = transactions_of(plan)
    listed = to_match(transactions) if show == TO_MATCH else transactions
    # Not counted: "previous" and "next" are enough, and a long history is not counted on every visit.
    page = page_of(listed, request.GET.get("page"), params={"show": show}, counted=False)
    audit.record(
        actor=request.user,
        action=AuditAction.VIEW,
        obj=plan,
        person_id=plan.person_id,
        summary=f"Viewed the plan's statements and spending ({SHOW_CHOICES[show].lower()})",
    )
    items = services.items_in_force(plan)
    context = {
        "plan": plan,
        "person": plan.person,
        "page": page,
        "rows": transaction_rows(page, items),
        "show": show,
        "filters": [(value, label, value == show) for value, label in SHOW_CHOICES.items()],
        "may_add": not refusal,
        "refusal": refusal,
        "match_choices": MatchForm(items=items).fields["match"].choices,
        "statements": list(Statement.objects.filter(plan=plan).select_related("source", "added_by")[:5]),
    }
    return render(request, "payments/statements/list.html", context)


def _staff_page(request, plan, template, **extra):
    def render_page(form, more=None):
        context = {"plan": plan, "person": plan.person, "form": form, **extra, **(more or {})}
        return render(request, template, context)

    return render_page


def _adding(request, plan_id, flow, template: str, **urls):
    """What the staff pages that add share: the plan (with the right to add to it), then the flow with the staff
    page, back to the list of every transaction when done. urls: the flow's other URLs, by the name of the page
    (given the plan)."""
    plan = _plan_for_staff(request, plan_id, adding=True)
    return flow(
        request,
        plan=plan,
        render_page=_staff_page(request, plan, template),
        done_url=_list_url(plan) + "?show=all",
        **{argument: reverse(name, kwargs={"plan_id": plan.pk}) for argument, name in urls.items()},
    )


@require_http_methods(["GET", "POST"])
@once
def statement_add(request, plan_id):
    return _adding(
        request, plan_id, upload_flow, "payments/statements/add.html", columns_url="payments:statement_columns"
    )


@require_http_methods(["GET", "POST"])
@once
def statement_columns(request, plan_id):
    return _adding(
        request, plan_id, columns_flow, "payments/statements/columns.html", restart_url="payments:statement_add"
    )


@require_http_methods(["GET", "POST"])
@once
def transaction_add(request, plan_id):
    return _adding(request, plan_id, typed_flow, "payments/statements/typed.html")


@require_POST
@once
def transaction_match(request, pk):
    """Match one transaction from the list; back to the list either way, with what happened."""
    require_staff(request.user)
    tx = get_transaction_for_user(request.user, pk)
    if statement_refusal(request.user, tx.plan):
        refuse_role()  # sees the plan but may not match its spending (the page shows them no form)
    back = _list_url(tx.plan)
    form = MatchForm(request.POST, items=services.items_in_force(tx.plan))
    if not form.is_valid():
        messages.error(request, form.errors["match"][0])
        return redirect(back)
    item_key, not_in_plan = form.matched()
    try:
        also = services.match(transaction=tx, item_key=item_key, not_in_plan=not_in_plan, acting_user=request.user)
    except ServiceError as error:
        messages.error(request, str(error))
        return redirect(back)
    what = "marked as not in the plan" if not_in_plan else "matched"
    more = f" {also} more from the same payee were matched to the same item." if also else ""
    messages.success(request, f"{pounds(tx.amount)} on {long_date(tx.on)} {what}.{more}")
    return redirect(back)


@require_GET
def receipt_download(request, pk):
    require_staff(request.user)
    return receipt_response(get_receipt_for_user(request.user, pk), request.user)
