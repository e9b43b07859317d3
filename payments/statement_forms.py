"""Forms for statements and spend, used by the staff pages and the portal. Validation only: the services decide
(payments.statement_services), and read the file's type from its content, never from its name."""

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Layout
from django import forms

from payments import statement_services as services
from payments import statements
from payments.balance import TransactionKind
from payments.models import TRANSACTION_KIND_LABELS, SourceKind
from phb.forms import NHSMessagesMixin, PoundsField
from phb.money import MAX_AMOUNT
from phb.nhsuk import Field, NHSDateField

NEW_SOURCE = "new"
NOT_IN_PLAN = "not_in_plan"


def _helper(layout=None) -> FormHelper:
    helper = FormHelper()
    helper.form_tag = False
    if layout is not None:
        helper.layout = layout
    return helper


def _read(upload, what: str) -> bytes:
    """The uploaded file's bytes, refused (before reading) when bigger than the limit."""
    if upload.size > services.max_upload_bytes():
        raise forms.ValidationError(services.too_big_message(what))
    data = upload.read(services.max_upload_bytes() + 1)
    if len(data) > services.max_upload_bytes():
        raise forms.ValidationError(services.too_big_message(what))
    if not data:
        raise forms.ValidationError(f"The {what} is empty. Choose the file again.")
    return data


class StatementUploadForm(NHSMessagesMixin, forms.Form):
    """A statement file and the account or card it is from (one of the plan's, or a new one)."""

    statement_file = forms.FileField(
        label="Statement file",
        help_text="A CSV or OFX file downloaded from the bank, the managed account or the prepaid card's website",
        error_messages={"required": "Choose the statement file", "empty": "The statement file is empty"},
    )
    source = forms.ChoiceField(label="Which account or card is this statement from?", widget=forms.RadioSelect)
    source_name = forms.CharField(
        label="Name of the account or card",
        max_length=100,
        required=False,
        help_text="For example, Jo's direct payment account",
    )
    source_kind = forms.ChoiceField(
        label="Kind of account", choices=SourceKind.choices, required=False, widget=forms.RadioSelect
    )

    def __init__(self, *args, sources=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["statement_file"].help_text += f", up to {services.max_upload_bytes() // (1024 * 1024)} MB"
        self.sources = list(sources)
        self.fields["source"].choices = [(str(s.pk), s.name) for s in self.sources] + [
            (NEW_SOURCE, "Another account or card")
        ]
        if not self.sources:
            self.fields["source"].required = False
            self.fields["source"].widget = forms.HiddenInput()
            self.initial.setdefault("source", NEW_SOURCE)
            layout = Layout("statement_file", "source", "source_name", "source_kind")
        else:
            layout = Layout(
                "statement_file",
                Field("source", conditional={NEW_SOURCE: ["source_name", "source_kind"]}),
            )
        self.fields["source"].error_messages["required"] = "Select which account or card the statement is from"
        self.helper = _helper(layout)

    def clean_statement_file(self):
        return _read(self.cleaned_data["statement_file"], "statement file")

    def clean(self):
        cleaned = super().clean()
        choice = cleaned.get("source") or NEW_SOURCE
        if choice == NEW_SOURCE:
            if not (cleaned.get("source_name") or "").strip():
                self.add_error("source_name", "Enter the name of the account or card")
            if not cleaned.get("source_kind"):
                self.add_error("source_kind", "Select the kind of account")
            cleaned["chosen_source"] = None
        else:
            cleaned["chosen_source"] = next((s for s in self.sources if str(s.pk) == choice), None)
        return cleaned

    def file_name(self) -> str:
        upload = self.files.get(self.add_prefix("statement_file"))
        return getattr(upload, "name", "") or ""


DATE_ORDER_LABELS = {"dmy": "Day first, like 31/01/2026", "ymd": "Year first, like 2026-01-31"}
NONE = ""


class ColumnsForm(NHSMessagesMixin, forms.Form):
    """Which column of a CSV statement is which (payments.statements.ColumnMapping). Columns are chosen by their
    place in the file; the mapping keeps their names, as the next statement from the source will have them."""

    date = forms.ChoiceField(label="Date")
    description = forms.ChoiceField(label="Description (who was paid, or what for)")
    amount = forms.ChoiceField(
        label="Amount", required=False, help_text="One column with money out as a minus amount, like -12.50"
    )
    debit = forms.ChoiceField(label="Money out", required=False, help_text="If money out has a column of its own")
    credit = forms.ChoiceField(label="Money in", required=False, help_text="If money in has a column of its own")
    balance = forms.ChoiceField(label="Balance after each transaction", required=False)
    bank_id = forms.ChoiceField(label="The bank's reference for each transaction", required=False)
    date_order = forms.ChoiceField(label="How are the dates written?", widget=forms.RadioSelect)

    COLUMNS = ("date", "description", "amount", "debit", "credit", "balance", "bank_id")

    def __init__(self, *args, headers: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        self.headers = list(headers)
        shown = [(str(i), header or f"Column {i + 1}") for i, header in enumerate(self.headers)]
        for name in self.COLUMNS:
            field = self.fields[name]
            field.choices = [(NONE, "Select a column" if field.required else "Not in this file"), *shown]
        self.fields["date"].error_messages["required"] = "Select the column with the date"
        self.fields["description"].error_messages["required"] = "Select the column with the description"
        self.fields["date_order"].choices = [
            (order, DATE_ORDER_LABELS.get(order, order)) for order in statements.DATE_ORDERS
        ]
        self.fields["date_order"].error_messages["required"] = "Select how the dates are written"
        self.initial.setdefault("date_order", "dmy")
        self.helper = _helper()

    def _header(self, value: str) -> str:
        return self.headers[int(value)] if value not in (None, NONE) else ""

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        mapping = statements.ColumnMapping(
            date=self._header(cleaned["date"]),
            description=self._header(cleaned["description"]),
            amount=self._header(cleaned.get("amount")),
            debit=self._header(cleaned.get("debit")),
            credit=self._header(cleaned.get("credit")),
            balance=self._header(cleaned.get("balance")),
            bank_id=self._header(cleaned.get("bank_id")),
            date_order=cleaned["date_order"],
        )
        for problem in mapping.problems(self.headers):
            self.add_error(None, problem)
        cleaned["mapping"] = mapping
        return cleaned


class TypedTransactionForm(NHSMessagesMixin, forms.Form):
    """One transaction typed in, with its receipt if there is one."""

    kind = forms.ChoiceField(label="What was it?", widget=forms.RadioSelect)
    on = NHSDateField(label="Date", error_label="the date", past_only=True, help_text="For example, 28 11 2026")
    amount = PoundsField(label="Amount", max_value=MAX_AMOUNT, help_text="In pounds, for example 18.50")
    description = forms.CharField(
        label="Who was paid, or what was it for?", max_length=300, help_text="For example, Leeds Swim Club"
    )
    receipt = forms.FileField(
        label="Receipt (optional)",
        required=False,
        help_text="A photo or scan of the receipt: a PDF, JPEG or PNG file",
        error_messages={"empty": "The receipt file is empty"},
    )

    def __init__(self, *args, kinds=services.TYPED_KINDS, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [(kind.value, TRANSACTION_KIND_LABELS[kind]) for kind in kinds]
        self.fields["kind"].error_messages["required"] = "Select what the money was"
        self.fields["amount"].error_messages["required"] = "Enter the amount"
        self.fields["description"].error_messages["required"] = "Enter who was paid, or what it was for"
        self.fields["receipt"].help_text += f", up to {services.max_upload_bytes() // (1024 * 1024)} MB"
        if len(kinds) == 1:
            self.fields["kind"].widget = forms.HiddenInput()
            self.initial["kind"] = kinds[0].value
        self.helper = _helper()

    def clean_amount(self):
        amount = self.cleaned_data["amount"]
        if amount is not None and amount <= 0:
            raise forms.ValidationError("The amount must be more than £0")
        return amount

    def clean_receipt(self):
        upload = self.cleaned_data.get("receipt")
        if not upload:
            return None
        data = _read(upload, "receipt")
        return (upload.name or "receipt", data)


class MatchForm(NHSMessagesMixin, forms.Form):
    """Which item of the plan in force a transaction was for, or that it is not in the plan."""

    match = forms.ChoiceField(label="What was this for?")

    def __init__(self, *args, items=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["match"].choices = [
            ("", "Select an item"),
            *[(str(item.key), services.item_label(item)) for item in items],
            (NOT_IN_PLAN, "Not in the plan"),
        ]
        self.fields["match"].error_messages["required"] = "Select the item this was for, or Not in the plan"
        self.helper = _helper()

    def matched(self) -> tuple[str | None, bool]:
        """(item key, not in the plan) as the service takes them."""
        value = self.cleaned_data["match"]
        return (None, True) if value == NOT_IN_PLAN else (value, False)


SPEND_AND_REFUND = (TransactionKind.SPEND, TransactionKind.REFUND)
