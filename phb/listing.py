"""A list page's filters and sort, read from the query string (django-filter), so any view of a list can be
bookmarked: the one way every staff list filters, sorts, keeps its state on its links and says it in words.

A list declares a FilterSet on `ListFilter` with its SORTS (the columns whose headers sort it) and its
filters. A value that is not one of the choices is ignored (the list shows as if it were not given), never
an error page: the form holds only the valid values, and only those are kept on the page's links and
written in the audit trail.

Sort only on indexed columns, or on lists that their filter keeps short (queues of waiting items): a sort
the database cannot answer from an index reads every row before it shows the first.
"""

from dataclasses import dataclass
from urllib.parse import urlencode

import django_filters
from crispy_forms.helper import FormHelper
from crispy_forms.templatetags.crispy_forms_filters import as_crispy_form
from crispy_forms.utils import render_crispy_form
from django import forms
from django.db.models import Model
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django_filters.filters import QuerySetRequestMixin

from phb.pagination import PAGE_SIZE, Page, page_number
from phb.words import lower_first

# Filter forms' HTML kept by ListFilter.rendered_form, by list and query string (a few KB each; emptied when full).
RENDERED_KEPT = 512
_RENDERED: dict[tuple, str] = {}


@dataclass(frozen=True)
class Sort:
    """One sortable column. ascending: the order_by of the column's own order, ending in a tie-break that
    makes it total (so a page never shuffles); None keeps the queryset's own order. descending: the other
    way; by default every field of ascending reversed. words: the column in the audit trail ("days waiting");
    reversed_words: its other order there (by default "<words>, last first")."""

    words: str
    ascending: tuple | None
    descending: tuple | None = None
    reversed_words: str = ""

    def order(self, reverse: bool) -> tuple | None:
        if not reverse:
            return self.ascending
        if self.descending is not None:
            return self.descending
        return tuple(_reversed(field) for field in self.ascending or ())

    def in_words(self, reverse: bool) -> str:
        if reverse:
            return self.reversed_words or f"{self.words}, last first"
        return self.words


def _reversed(field):
    if isinstance(field, str):
        return field[1:] if field.startswith("-") else f"-{field}"
    raise ValueError("Give the descending order of a sort on an expression")


def crispy_once(form: forms.Form) -> str:
    """{{ form|crispy }}, kept once a process: for a form with nothing in it (every field empty, no errors: a list's
    search box as the list opens), whose HTML is then the same every time; and for one whose filled fields are all
    text boxes with no errors (a search), rendered once with a stand-in word in each and the words typed written in
    its place, escaped as the template would. Any other form (one with errors) is rendered afresh."""
    if form.is_bound and not form.is_valid():
        return as_crispy_form(form)
    filled = sorted(name for name in form.fields if form.data.get(name))
    if not filled:
        return _kept((type(form), form.is_bound, "empty"), lambda: as_crispy_form(form))
    if any(type(form.fields[name].widget) is not forms.TextInput for name in filled):
        return as_crispy_form(form)
    stand_ins = {name: f"phbtyped{n}x" for n, name in enumerate(filled)}
    html = _kept((type(form), "typed", tuple(filled)), lambda: as_crispy_form(type(form)(stand_ins)))
    for name, stand_in in stand_ins.items():
        html = html.replace(f'value="{stand_in}"', f'value="{escape(form.data[name])}"')
    # crispy's HTML with only escaped text written in: still safe to show as it is (str.replace drops the mark).
    return mark_safe(html)  # noqa: S308


def _kept(key: tuple, render) -> str:
    """A form's HTML kept under `key` once a process (at most RENDERED_KEPT of them), rendered the first time."""
    html = _RENDERED.get(key)
    if html is None:
        if len(_RENDERED) >= RENDERED_KEPT:
            _RENDERED.clear()
        html = _RENDERED[key] = render()
    return html


class ListFilter(django_filters.FilterSet):
    """A FilterSet that also sorts. Subclasses declare SORTS ({key: Sort}) and DEFAULT_SORT (a key of it).

    `?sort=key` sorts by a column, `?sort=-key` the other way; the default is left out of links. `qs` is
    filtered and sorted; `kept()` is what the page's links keep; `in_words()` is what the trail writes;
    `sort_links(params)` gives each sortable header its link and aria-sort.
    """

    SORTS: dict[str, Sort] = {}
    DEFAULT_SORT = ""

    sort = django_filters.ChoiceFilter(method="keep", widget=forms.HiddenInput, empty_label=None)

    def __init__(self, data=None, *args, **kwargs):
        super().__init__(data, *args, **kwargs)
        # A bound filter set even with no query string, so its form always validates to its defaults.
        self.is_bound = True
        self.data = data if data is not None else {}
        self.filters["sort"].extra["choices"] = [
            (key, key) for name in self.SORTS for key in (name, f"-{name}")
        ]  # not shown as a field: the column headers link to them

    @property
    def form(self):
        form = super().form
        if not hasattr(form, "helper"):
            form.helper = FormHelper()
            form.helper.form_tag = False
            form.helper.disable_csrf = True  # sent by GET: no security token in the address
        return form

    @property
    def rendered_form(self) -> str:
        """The filter form's HTML. A list whose every choice is written in code (none read from the database)
        gives the same HTML for the same query string, so it is rendered once a process and kept: crispy's
        templates took 2 ms of every caseload page."""
        if any(isinstance(f, QuerySetRequestMixin) for f in self.filters.values()):
            return render_crispy_form(self.form)
        key = (type(self), tuple(self.SORTS), tuple((name, str(self.data.get(name, ""))) for name in self.filters))
        return _kept(key, lambda: render_crispy_form(self.form))

    def keep(self, queryset, name, value):
        return queryset  # the sort is applied after every filter (filter_queryset)

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        key = self.sort_key
        order = self.SORTS[key.lstrip("-")].order(key.startswith("-")) if key else None
        return queryset.order_by(*order) if order is not None else queryset

    def valid(self, name: str):
        """A value from the query string if it is one of the choices, else "" (an invalid field is left out
        of cleaned_data; the others stay)."""
        self.form.is_valid()
        value = self.form.cleaned_data.get(name)
        return "" if value in (None, "", [], (), False) else value

    @property
    def sort_key(self) -> str:
        return self.valid("sort") or self.DEFAULT_SORT

    @property
    def filter_names(self) -> tuple[str, ...]:
        return tuple(name for name in self.filters if name != "sort")

    @property
    def filtered(self) -> bool:
        """Whether any filter (not the sort) is chosen: the page opens its filters and offers to clear them."""
        return any(self.valid(name) for name in self.filter_names)

    @property
    def clear_query(self) -> str:
        """The query string of the list with no filters, sorted as it is ("" for the default sort)."""
        return "" if self.sort_key == self.DEFAULT_SORT else "?" + urlencode({"sort": self.sort_key})

    def kept(self) -> dict:
        """The valid filters and sort as the query string gives them (a record by its id), the default sort
        left out: what the page's links keep."""
        values = {name: str(self.data.get(name, "")) for name in self.filter_names if self.valid(name)}
        if self.sort_key != self.DEFAULT_SORT:
            values["sort"] = self.sort_key
        return values

    def in_words(self) -> dict:
        """The filters and sort for the audit trail, in the words the page shows (only chosen values)."""
        words = {}
        for name in self.filter_names:
            value = self.valid(name)
            if not value:
                continue
            field = self.form.fields[name]
            if value is True:
                words[lower_first(str(field.label))] = "yes"
            elif isinstance(value, Model):
                words[lower_first(str(field.label))] = str(value)
            else:
                words[lower_first(str(field.label))] = str(dict(field.choices).get(value, value))
        key = self.sort_key
        if key and key != self.DEFAULT_SORT:
            words["sorted by"] = self.SORTS[key.lstrip("-")].in_words(key.startswith("-"))
        return words

    def sort_links(self, params: dict) -> dict:
        """Each sortable column's header: the link that sorts by it (the other way if it is the current
        sort) and its aria-sort. params: the page's kept query string (its filters, any search)."""
        others = {name: value for name, value in params.items() if name not in {"sort", "page"}}
        links = {}
        for column in self.SORTS:
            if self.sort_key == column:
                aria, target = "ascending", f"-{column}"
            elif self.sort_key == f"-{column}":
                aria, target = "descending", column
            else:
                aria, target = "none", column
            query = {**others, **({"sort": target} if target != self.DEFAULT_SORT else {})}
            links[column] = {"href": "?" + urlencode(query), "aria": aria}
        return links


def page_of_rows(rows: list, number, *, params: dict | None = None, size: int = PAGE_SIZE) -> Page:
    """One page of a list built whole in Python (short by nature, such as the sign-ins locked in the last
    30 minutes), as phb.pagination.page_of gives one of a queryset."""
    number = page_number(number)
    if (number - 1) * size >= len(rows):
        number = 1
    start = (number - 1) * size
    kept = {key: value for key, value in (params or {}).items() if key != "page" and value not in ("", None)}
    return Page(
        object_list=rows[start : start + size],
        number=number,
        size=size,
        has_next=len(rows) > start + size,
        count=len(rows),
        count_capped=False,
        params=kept,
    )
