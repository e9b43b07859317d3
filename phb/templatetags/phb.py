from decimal import Decimal

from django import template
from django.template.loader import render_to_string

from phb import money

register = template.Library()


@register.simple_tag
def breadcrumbs(*pairs):
    """{% breadcrumbs "Caseload" caseload_url "Jane Smith" person_url %}: text, url pairs."""
    if len(pairs) % 2:
        raise template.TemplateSyntaxError("breadcrumbs takes pairs of text and url")
    crumbs = list(zip(pairs[::2], pairs[1::2], strict=True))
    return render_to_string("includes/breadcrumbs.html", {"crumbs": crumbs})


@register.filter
def pounds(value):
    """£1,234.50 from a Decimal or the string a JSON field keeps."""
    if value in (None, ""):
        return ""
    return money.pounds(Decimal(str(value)))


@register.filter
def weekly(value):
    return money.pounds(money.weekly(Decimal(str(value))))


@register.filter
def absolute(value):
    """The size of an amount without its sign, for "under budget by £x"."""
    return abs(Decimal(str(value))) if value not in (None, "") else value
