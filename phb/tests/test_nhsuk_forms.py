"""The nhsuk crispy-forms template pack (templates/nhsuk/) and the helpers in phb.nhsuk.

Every test renders real markup and reads it back with a small HTML tree builder, so the
assertions are about elements, classes and the ids that aria-describedby, label[for] and the
error summary's links point at.
"""

import datetime
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from crispy_forms.helper import FormHelper
from crispy_forms.layout import HTML, Layout
from django import forms
from django.core.exceptions import ImproperlyConfigured
from django.template import Context, Template

from phb.nhsuk import Button, Field, Fieldset, NHSDateField, Submit, _today

# --- a small HTML tree, enough to query the rendered markup ---------------------------------

VOID_ELEMENTS = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}


class Node:
    def __init__(self, tag, attrs, parent=None):
        self.tag = tag
        self.attrs = attrs
        self.parent = parent
        self.children = []

    @property
    def classes(self):
        return (self.attrs.get("class") or "").split()

    @property
    def text(self):
        parts = []
        for child in self.children:
            parts.append(child if isinstance(child, str) else child.text)
        return " ".join(" ".join(parts).split())

    def iter(self):
        for child in self.children:
            if isinstance(child, Node):
                yield child
                yield from child.iter()

    def find_all(self, tag=None, cls=None, **attrs):
        return [
            node
            for node in self.iter()
            if (tag is None or node.tag == tag)
            and (cls is None or cls in node.classes)
            and all(node.attrs.get(name.rstrip("_").replace("_", "-")) == value for name, value in attrs.items())
        ]

    def find(self, tag=None, cls=None, **attrs):
        found = self.find_all(tag, cls, **attrs)
        assert found, f"no <{tag or '*'}> with class={cls} {attrs}"
        return found[0]

    def by_id(self, element_id):
        return self.find(id=element_id)

    def ids(self):
        return [node.attrs["id"] for node in self.iter() if node.attrs.get("id")]


class TreeBuilder(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.root = Node("document", {})
        self.current = self.root

    def handle_starttag(self, tag, attrs):
        node = Node(tag, dict(attrs), self.current)
        self.current.children.append(node)
        if tag not in VOID_ELEMENTS:
            self.current = node

    def handle_startendtag(self, tag, attrs):
        self.current.children.append(Node(tag, dict(attrs), self.current))

    def handle_endtag(self, tag):
        node = self.current
        while node is not self.root and node.tag != tag:
            node = node.parent
        assert node is not self.root, f"unexpected </{tag}>"
        self.current = node.parent

    def handle_data(self, data):
        if data.strip():
            self.current.children.append(data)


def parse(html):
    builder = TreeBuilder()
    builder.feed(html)
    builder.close()
    assert builder.current is builder.root, f"unclosed <{builder.current.tag}>"
    return builder.root


# --- forms under test ------------------------------------------------------------------------

CONTACT_CHOICES = [("email", "Email"), ("phone", "Phone"), ("text", "Text message")]
NEEDS_CHOICES = [("mobility", "Mobility"), ("hearing", "Hearing"), ("sight", "Sight")]


class EveryKindForm(forms.Form):
    full_name = forms.CharField(
        label="Full name",
        help_text="As it appears on your NHS letter",
        widget=forms.TextInput(attrs={"class": "nhsuk-input--width-20", "autocomplete": "name"}),
        error_messages={"required": "Enter your full name"},
    )
    email = forms.EmailField(label="Email address", required=False)
    age = forms.IntegerField(label="Age", required=False)
    phone = forms.CharField(label="Phone number", required=False, widget=forms.TelInput)
    password = forms.CharField(label="Password", required=False, widget=forms.PasswordInput)
    website = forms.URLField(label="Website", required=False, assume_scheme="https")
    search = forms.CharField(label="Search", required=False, widget=forms.SearchInput)
    notes = forms.CharField(
        label="More detail",
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text="Do not include your NHS number",
        error_messages={"required": "Enter more detail"},
    )
    region = forms.ChoiceField(
        label="Region",
        choices=[("", "Choose region"), ("north", "North"), ("south", "South")],
        error_messages={"required": "Select a region"},
    )
    contact = forms.ChoiceField(
        label="How should we contact you?",
        choices=CONTACT_CHOICES,
        widget=forms.RadioSelect,
        help_text="Select 1 option",
        error_messages={"required": "Select how you want to be contacted"},
    )
    over_18 = forms.ChoiceField(
        label="Are you 18 or over?",
        choices=[("yes", "Yes"), ("no", "No")],
        widget=forms.RadioSelect(attrs={"class": "nhsuk-radios--inline"}),
        required=False,
    )
    needs = forms.MultipleChoiceField(
        label="Which needs apply?",
        choices=NEEDS_CHOICES,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Select at least 1 need"},
    )
    agree = forms.BooleanField(
        label="I agree to the terms",
        help_text="You can read the terms first",
        error_messages={"required": "Agree to the terms to continue"},
    )
    date_of_birth = NHSDateField(label="Date of birth", past_only=True, help_text="For example, 31 3 1980")
    token = forms.CharField(widget=forms.HiddenInput, required=False)


class EveryKindWithHelperForm(EveryKindForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.layout = Layout(
            Fieldset("Your details", Field("full_name", size="m"), "email", "age", "phone", size="l"),
            "password",
            "website",
            "search",
            "notes",
            "region",
            Field("contact", inline=True),
            "over_18",
            "needs",
            "agree",
            "date_of_birth",
            "token",
            Submit("continue", "Save and continue"),
            Submit("draft", "Save as draft", secondary=True),
        )


VALID_DATA = {
    "full_name": "Pat Example",
    "notes": "Help at home",
    "region": "north",
    "contact": "phone",
    "needs": ["mobility", "sight"],
    "agree": "on",
    "date_of_birth_day": "3",
    "date_of_birth_month": "7",
    "date_of_birth_year": "1980",
}


def render_tag(form, template_text="{% crispy form %}"):
    template = Template("{% load crispy_forms_tags %}" + template_text)
    return template.render(Context({"form": form, "csrf_token": "test-csrf-token"}))


def render_filter(form):
    return Template("{% load crispy_forms_tags %}{{ form|crispy }}").render(Context({"form": form}))


def render_page(form):
    """A page as a view would write it: the summary above the form."""
    return render_tag(form, '{% include "nhsuk/error_summary.html" with form=form %}{% crispy form %}')


RENDERERS = {
    "crispy tag with layout": lambda form: render_tag(EveryKindWithHelperForm(**form)),
    "crispy tag without helper": lambda form: render_tag(EveryKindForm(**form)),
    "crispy filter": lambda form: render_filter(EveryKindForm(**form)),
}


@pytest.fixture(params=list(RENDERERS))
def render(request):
    def _render(data=None, **kwargs):
        return parse(RENDERERS[request.param]({"data": data, **kwargs}))

    return _render


def assert_references_resolve(doc):
    ids = doc.ids()
    assert len(ids) == len(set(ids)), f"duplicate ids: {sorted(i for i in ids if ids.count(i) > 1)}"
    for node in doc.iter():
        for target in (node.attrs.get("aria-describedby") or "").split():
            assert target in ids, f"aria-describedby={target!r} on <{node.tag}> has no element"
        if node.tag == "label" and "for" in node.attrs:
            assert node.attrs["for"] in ids, f"label for={node.attrs['for']!r} has no element"
        if node.tag == "a" and node.attrs.get("href", "").startswith("#"):
            assert node.attrs["href"][1:] in ids, f"link {node.attrs['href']} has no target"


# --- text-like inputs, textarea, select ------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "input_type"),
    [
        ("full_name", "text"),
        ("email", "email"),
        ("age", "number"),
        ("phone", "tel"),
        ("password", "password"),
        ("website", "url"),
        ("search", "search"),
    ],
)
def test_it_renders_text_like_inputs_with_the_nhsuk_input_class(render, name, input_type):
    doc = render()
    field_input = doc.by_id(f"id_{name}")

    assert field_input.tag == "input"
    assert field_input.attrs["type"] == input_type
    assert field_input.attrs["name"] == name
    assert field_input.classes[0] == "nhsuk-input"
    assert "nhsuk-input--error" not in field_input.classes
    assert "required" not in field_input.attrs  # NHS.UK forms validate on the server, not in the browser
    group = doc.find("div", id=f"div_id_{name}")
    assert group.classes == ["nhsuk-form-group"]
    assert group.find("label", for_=f"id_{name}").classes[0] == "nhsuk-label"


def test_it_adds_width_classes_and_attributes_from_the_widget(render):
    field_input = render().by_id("id_full_name")

    assert field_input.classes == ["nhsuk-input", "nhsuk-input--width-20"]
    assert field_input.attrs["autocomplete"] == "name"


def test_it_renders_a_textarea_with_the_nhsuk_textarea_class(render):
    doc = render(data={"notes": "Line one"})
    textarea = doc.by_id("id_notes")

    assert textarea.tag == "textarea"
    assert textarea.classes == ["nhsuk-textarea"]
    assert textarea.attrs["rows"] == "5"
    assert textarea.text == "Line one"


def test_it_renders_a_select_with_its_options_and_the_chosen_one_selected(render):
    doc = render(data={"region": "south"})
    select = doc.by_id("id_region")

    assert select.tag == "select"
    assert select.classes == ["nhsuk-select"]
    options = select.find_all("option")
    assert [(option.attrs["value"], option.text) for option in options] == [
        ("", "Choose region"),
        ("north", "North"),
        ("south", "South"),
    ]
    assert ["selected" in option.attrs for option in options] == [False, False, True]


# --- radios and checkboxes -------------------------------------------------------------------


def test_it_renders_radios_inside_a_fieldset_with_the_label_as_legend(render):
    doc = render(data={"contact": "phone"})
    group = doc.find("div", id="div_id_contact")
    fieldset = group.find("fieldset", cls="nhsuk-fieldset")

    assert fieldset.find("legend", cls="nhsuk-fieldset__legend").text == "How should we contact you?"
    radios = fieldset.find("div", cls="nhsuk-radios")
    assert radios.attrs["data-module"] == "nhsuk-radios"
    items = radios.find_all("div", cls="nhsuk-radios__item")
    assert len(items) == 3
    inputs = [item.find("input") for item in items]
    assert [i.attrs["id"] for i in inputs] == ["id_contact_0", "id_contact_1", "id_contact_2"]
    assert {i.attrs["type"] for i in inputs} == {"radio"}
    assert {i.attrs["name"] for i in inputs} == {"contact"}
    assert all(i.classes == ["nhsuk-radios__input"] for i in inputs)
    assert ["checked" in i.attrs for i in inputs] == [False, True, False]
    labels = [item.find("label") for item in items]
    assert [label.text for label in labels] == ["Email", "Phone", "Text message"]
    assert all(label.classes == ["nhsuk-label", "nhsuk-radios__label"] for label in labels)
    assert [label.attrs["for"] for label in labels] == [i.attrs["id"] for i in inputs]


def test_it_renders_inline_radios_from_the_widget_class(render):
    radios = render().find("div", id="div_id_over_18").find("div", cls="nhsuk-radios")

    assert radios.classes == ["nhsuk-radios", "nhsuk-radios--inline"]
    for radio in radios.find_all("input"):
        assert radio.classes == ["nhsuk-radios__input"]


def test_it_renders_inline_radios_from_the_layout_field_option():
    with_layout = parse(render_tag(EveryKindWithHelperForm()))
    without_layout = parse(render_tag(EveryKindForm()))

    assert (
        "nhsuk-radios--inline" in with_layout.find("div", id="div_id_contact").find("div", cls="nhsuk-radios").classes
    )
    assert (
        "nhsuk-radios--inline"
        not in without_layout.find("div", id="div_id_contact").find("div", cls="nhsuk-radios").classes
    )


def test_it_renders_multiple_checkboxes_inside_a_fieldset(render):
    doc = render(data={"needs": ["hearing"]})
    fieldset = doc.find("div", id="div_id_needs").find("fieldset", cls="nhsuk-fieldset")

    assert fieldset.find("legend").text == "Which needs apply?"
    checkboxes = fieldset.find("div", cls="nhsuk-checkboxes")
    assert checkboxes.attrs["data-module"] == "nhsuk-checkboxes"
    inputs = checkboxes.find_all("input", cls="nhsuk-checkboxes__input")
    assert [(i.attrs["type"], i.attrs["name"], i.attrs["value"]) for i in inputs] == [
        ("checkbox", "needs", "mobility"),
        ("checkbox", "needs", "hearing"),
        ("checkbox", "needs", "sight"),
    ]
    assert ["checked" in i.attrs for i in inputs] == [False, True, False]
    assert [label.text for label in checkboxes.find_all("label", cls="nhsuk-checkboxes__label")] == [
        "Mobility",
        "Hearing",
        "Sight",
    ]


def test_it_renders_a_single_checkbox_with_its_label_and_hint(render):
    doc = render(data={"agree": "on"})
    group = doc.find("div", id="div_id_agree")

    assert not group.find_all("fieldset")
    item = group.find("div", cls="nhsuk-checkboxes").find("div", cls="nhsuk-checkboxes__item")
    checkbox = item.find("input")
    assert checkbox.attrs["id"] == "id_agree"
    assert checkbox.attrs["type"] == "checkbox"
    assert checkbox.classes == ["nhsuk-checkboxes__input"]
    assert "checked" in checkbox.attrs
    assert item.find("label", for_="id_agree").text == "I agree to the terms"
    hint = item.find("div", cls="nhsuk-checkboxes__hint")
    assert hint.attrs["id"] == "id_agree-hint"
    assert checkbox.attrs["aria-describedby"] == "id_agree-hint"


# --- labels, hints, hidden inputs ------------------------------------------------------------


def test_it_marks_optional_fields_and_never_adds_asterisks(render):
    doc = render()

    assert doc.find("label", for_="id_email").text == "Email address (optional)"
    assert doc.find("label", for_="id_website").text == "Website (optional)"
    assert doc.find("div", id="div_id_over_18").find("legend").text == "Are you 18 or over? (optional)"
    assert doc.find("label", for_="id_full_name").text == "Full name"
    assert doc.find("div", id="div_id_contact").find("legend").text == "How should we contact you?"
    assert doc.find("div", id="div_id_date_of_birth").find("legend").text == "Date of birth"
    assert "*" not in doc.text
    assert not doc.find_all(cls="asteriskField")


def test_it_wires_hint_text_to_the_input_with_aria_describedby(render):
    doc = render()

    hint = doc.by_id("id_full_name-hint")
    assert hint.classes == ["nhsuk-hint"]
    assert hint.text == "As it appears on your NHS letter"
    assert doc.by_id("id_full_name").attrs["aria-describedby"] == "id_full_name-hint"
    assert doc.by_id("id_notes").attrs["aria-describedby"] == "id_notes-hint"
    contact_fieldset = doc.find("div", id="div_id_contact").find("fieldset")
    assert contact_fieldset.attrs["aria-describedby"] == "id_contact-hint"
    assert doc.by_id("id_contact-hint").text == "Select 1 option"
    assert "aria-describedby" not in doc.by_id("id_email").attrs  # nothing to describe it
    assert_references_resolve(doc)


def test_it_renders_hidden_inputs_plainly(render):
    doc = render(initial={"token": "abc123"})
    hidden = doc.by_id("id_token")

    assert hidden.attrs == {"type": "hidden", "name": "token", "value": "abc123", "id": "id_token"}
    assert hidden.parent.tag in {"document", "form"}  # no form group, label or hint around it
    assert not doc.find_all("label", for_="id_token")


def test_it_can_make_a_label_the_page_heading():
    class NameForm(forms.Form):
        name = forms.CharField(label="What is your name?")

        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.helper = FormHelper()
            self.helper.layout = Layout(Field("name", page_heading=True))

    doc = parse(render_tag(NameForm()))
    heading = doc.find("h1", cls="nhsuk-label-wrapper")

    label = heading.find("label", for_="id_name")
    assert label.classes == ["nhsuk-label", "nhsuk-label--l"]
    assert label.text == "What is your name?"


def test_it_can_make_a_radios_legend_the_page_heading():
    class ContactForm(forms.Form):
        contact = forms.ChoiceField(
            label="How do you want to be contacted?", choices=CONTACT_CHOICES, widget=forms.RadioSelect
        )

        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.helper = FormHelper()
            self.helper.layout = Layout(Field("contact", page_heading=True, small=True))

    doc = parse(render_tag(ContactForm()))
    legend = doc.find("legend")

    assert legend.classes == ["nhsuk-fieldset__legend", "nhsuk-fieldset__legend--l"]
    assert legend.find("h1", cls="nhsuk-fieldset__heading").text == "How do you want to be contacted?"
    assert "nhsuk-radios--small" in doc.find("div", cls="nhsuk-radios").classes


def test_it_renders_a_layout_fieldset_with_an_nhs_legend():
    doc = parse(render_tag(EveryKindWithHelperForm()))
    legend = doc.find("legend", cls="nhsuk-fieldset__legend")

    assert legend.text == "Your details"
    assert legend.classes == ["nhsuk-fieldset__legend", "nhsuk-fieldset__legend--l"]
    fieldset = legend.parent
    assert fieldset.tag == "fieldset"
    assert fieldset.classes == ["nhsuk-fieldset"]
    assert [node.attrs["id"] for node in fieldset.find_all("input")] == [
        "id_full_name",
        "id_email",
        "id_age",
        "id_phone",
    ]
    assert fieldset.find("label", for_="id_full_name").classes == ["nhsuk-label", "nhsuk-label--m"]


# --- the form tag and buttons ----------------------------------------------------------------


def test_it_renders_the_form_tag_with_csrf_and_without_browser_validation():
    form_tag = parse(render_tag(EveryKindWithHelperForm())).find("form")

    assert form_tag.attrs["method"] == "post"
    assert "novalidate" in form_tag.attrs
    assert form_tag.find("input", name="csrfmiddlewaretoken").attrs["value"] == "test-csrf-token"


def test_it_renders_nhsuk_buttons():
    doc = parse(render_tag(EveryKindWithHelperForm()))

    primary = doc.find("button", name="continue")
    assert primary.classes == ["nhsuk-button"]
    assert primary.attrs["data-module"] == "nhsuk-button"
    assert primary.attrs["type"] == "submit"
    assert primary.text == "Save and continue"
    secondary = doc.find("button", name="draft")
    assert secondary.classes == ["nhsuk-button", "nhsuk-button--secondary"]
    assert secondary.attrs["type"] == "submit"


def test_it_renders_helper_inputs_and_plain_buttons_in_a_button_group():
    form = EveryKindForm()
    form.helper = FormHelper()
    form.helper.add_input(Submit("save", "Save"))
    form.helper.add_input(Button("print", "Print this page", secondary=True))

    group = parse(render_tag(form)).find("div", cls="nhsuk-button-group")

    buttons = group.find_all("button")
    assert [(b.attrs["type"], b.classes, b.text) for b in buttons] == [
        ("submit", ["nhsuk-button"], "Save"),
        ("button", ["nhsuk-button", "nhsuk-button--secondary"], "Print this page"),
    ]


# --- errors ----------------------------------------------------------------------------------


def test_it_shows_each_field_error_with_error_classes_and_aria_describedby(render):
    doc = render(data={"contact": "", "email": "not-an-email"})

    expectations = {
        "full_name": ("Enter your full name", "id_full_name-hint id_full_name-error"),
        "email": ("Enter a valid email address.", "id_email-error"),
        "notes": ("Enter more detail", "id_notes-hint id_notes-error"),
        "region": ("Select a region", "id_region-error"),
    }
    for name, (message, described_by) in expectations.items():
        group = doc.find("div", id=f"div_id_{name}")
        assert "nhsuk-form-group--error" in group.classes
        error = doc.by_id(f"id_{name}-error")
        assert error.tag == "span"
        assert error.classes == ["nhsuk-error-message"]
        assert error.text == f"Error: {message}"
        assert error.find("span", cls="nhsuk-u-visually-hidden").text == "Error:"
        control = doc.by_id(f"id_{name}")
        assert control.attrs["aria-describedby"] == described_by
    assert "nhsuk-input--error" in doc.by_id("id_full_name").classes
    assert "nhsuk-input--error" in doc.by_id("id_email").classes
    assert "nhsuk-textarea--error" in doc.by_id("id_notes").classes
    assert "nhsuk-select--error" in doc.by_id("id_region").classes
    assert "nhsuk-input--error" not in doc.by_id("id_age").classes
    assert "nhsuk-form-group--error" not in doc.find("div", id="div_id_age").classes
    assert_references_resolve(doc)


def test_it_puts_choice_errors_on_the_fieldset(render):
    doc = render(data={})

    for name, message, described_by in [
        ("contact", "Select how you want to be contacted", "id_contact-hint id_contact-error"),
        ("needs", "Select at least 1 need", "id_needs-error"),
        ("date_of_birth", "Enter date of birth", "id_date_of_birth-hint id_date_of_birth-error"),
    ]:
        group = doc.find("div", id=f"div_id_{name}")
        assert "nhsuk-form-group--error" in group.classes
        assert group.find("fieldset").attrs["aria-describedby"] == described_by
        assert group.find("span", cls="nhsuk-error-message").text == f"Error: {message}"
    agree = doc.by_id("id_agree")
    assert agree.attrs["aria-describedby"] == "id_agree-hint id_agree-error"
    assert doc.by_id("id_agree-error").text == "Error: Agree to the terms to continue"
    assert_references_resolve(doc)


def test_it_shows_every_message_when_a_field_has_several_errors():
    class TwoErrorsForm(forms.Form):
        code = forms.CharField(label="Code", help_text="6 characters")

        def clean_code(self):
            raise forms.ValidationError(["Code must be 6 characters", "Code must only include letters"])

    doc = parse(render_filter(TwoErrorsForm(data={"code": "12"})))

    assert doc.by_id("id_code-error").text == "Error: Code must be 6 characters"
    assert doc.by_id("id_code-error-2").text == "Error: Code must only include letters"
    assert doc.by_id("id_code").attrs["aria-describedby"] == "id_code-hint id_code-error id_code-error-2"
    assert_references_resolve(doc)


class ClashForm(forms.Form):
    start = forms.CharField(label="Start")
    token = forms.CharField(widget=forms.HiddenInput)

    def clean(self):
        raise forms.ValidationError("These details do not match our records")


def test_it_renders_non_field_errors_in_nhs_style():
    doc = parse(render_filter(ClashForm(data={"start": "x", "token": "t"})))
    errors = doc.find("div", id="form-non-field-errors")

    assert errors.classes == ["nhsuk-form-group", "nhsuk-form-group--error"]
    assert errors.find("span", cls="nhsuk-error-message").text == "Error: These details do not match our records"


def test_it_renders_an_error_summary_linking_to_real_ids():
    form = EveryKindWithHelperForm(data={"email": "nope", "date_of_birth_day": "3"})
    doc = parse(render_page(form))
    summary = doc.find("div", cls="nhsuk-error-summary")

    assert summary.attrs["data-module"] == "nhsuk-error-summary"
    alert = summary.find("div", role="alert")
    assert alert.find("h2", cls="nhsuk-error-summary__heading").text == "There is a problem"
    links = alert.find("ul", cls="nhsuk-error-summary__list").find_all("a")
    assert [(link.attrs["href"], link.text) for link in links] == [
        ("#id_full_name", "Enter your full name"),
        ("#id_email", "Enter a valid email address."),
        ("#id_notes", "Enter more detail"),
        ("#id_region", "Select a region"),
        ("#id_contact_0", "Select how you want to be contacted"),
        ("#id_needs_0", "Select at least 1 need"),
        ("#id_agree", "Agree to the terms to continue"),
        ("#id_date_of_birth_0", "Date of birth must include a month and year"),
    ]
    assert_references_resolve(doc)


def test_it_lists_non_field_errors_in_the_summary_as_plain_items():
    html = render_page(ClashForm(data={"start": "", "token": ""}))
    summary = parse(html).find("ul", cls="nhsuk-error-summary__list")

    items = summary.find_all("li")
    assert items[0].text == "These details do not match our records"
    assert not items[0].find_all("a")
    assert items[1].find("a").attrs["href"] == "#id_start"
    assert items[2].text == "This field is required."  # the hidden field: no link to an invisible input
    assert not items[2].find_all("a")


@pytest.mark.parametrize("data", [None, VALID_DATA])
def test_it_renders_no_error_summary_for_an_unbound_or_valid_form(data):
    form = EveryKindWithHelperForm(data=data)

    assert data is None or form.is_valid(), form.errors
    assert not parse(render_page(form)).find_all(cls="nhsuk-error-summary")


# --- the date input --------------------------------------------------------------------------


def test_it_renders_the_date_input_in_a_fieldset(render):
    group = render().find("div", id="div_id_date_of_birth")
    fieldset = group.find("fieldset", cls="nhsuk-fieldset")

    assert fieldset.attrs["role"] == "group"
    assert fieldset.attrs["aria-describedby"] == "id_date_of_birth-hint"
    assert fieldset.find("legend").text == "Date of birth"
    date_input = fieldset.find("div", cls="nhsuk-date-input")
    items = date_input.find_all("div", cls="nhsuk-date-input__item")
    assert len(items) == 3
    rows = []
    for item in items:
        box = item.find("input")
        label = item.find("label", cls="nhsuk-date-input__label")
        assert label.attrs["for"] == box.attrs["id"]
        assert box.attrs["inputmode"] == "numeric"
        assert "value" not in box.attrs
        rows.append((label.text, box.attrs["id"], box.attrs["name"], sorted(box.classes)))
    assert rows == [
        (
            "Day",
            "id_date_of_birth_0",
            "date_of_birth_day",
            sorted(["nhsuk-input", "nhsuk-date-input__input", "nhsuk-input--width-2"]),
        ),
        (
            "Month",
            "id_date_of_birth_1",
            "date_of_birth_month",
            sorted(["nhsuk-input", "nhsuk-date-input__input", "nhsuk-input--width-2"]),
        ),
        (
            "Year",
            "id_date_of_birth_2",
            "date_of_birth_year",
            sorted(["nhsuk-input", "nhsuk-date-input__input", "nhsuk-input--width-4"]),
        ),
    ]


def test_it_renders_an_initial_date_into_the_three_boxes(render):
    doc = render(initial={"date_of_birth": datetime.date(1980, 7, 3)})

    values = [doc.by_id(f"id_date_of_birth_{i}").attrs["value"] for i in range(3)]
    assert values == ["3", "7", "1980"]


def test_it_redisplays_what_the_user_typed_after_a_date_error(render):
    doc = render(data={"date_of_birth_day": "31", "date_of_birth_month": "2", "date_of_birth_year": "2020"})

    boxes = [doc.by_id(f"id_date_of_birth_{i}") for i in range(3)]
    assert [box.attrs["value"] for box in boxes] == ["31", "2", "2020"]
    assert all("nhsuk-input--error" in box.classes for box in boxes)
    assert doc.by_id("id_date_of_birth-error").text == "Error: Date of birth must be a real date"
    assert "nhsuk-form-group--error" in doc.find("div", id="div_id_date_of_birth").classes


class DateForm(forms.Form):
    date_of_birth = NHSDateField(label="Date of birth", past_only=True)
    review_date = NHSDateField(label="Review date", future_only=True, required=False)
    started = NHSDateField(required=False)


def clean_date(field, day, month, year):
    data = {"date_of_birth_day": "1", "date_of_birth_month": "1", "date_of_birth_year": "1990"}
    data.update({f"{field}_day": day, f"{field}_month": month, f"{field}_year": year})
    form = DateForm(data=data)
    form.is_valid()
    return form.cleaned_data.get(field), form.errors.get(field)


TODAY = _today()
TOMORROW = TODAY + datetime.timedelta(days=1)
YESTERDAY = TODAY - datetime.timedelta(days=1)


@pytest.mark.parametrize(
    ("field", "day", "month", "year", "expected", "errors"),
    [
        ("date_of_birth", "3", "7", "1980", datetime.date(1980, 7, 3), None),
        ("date_of_birth", " 03 ", "07", "1980", datetime.date(1980, 7, 3), None),
        ("date_of_birth", "", "", "", None, ["Enter date of birth"]),
        ("date_of_birth", "", "7", "1980", None, ["Date of birth must include a day"]),
        ("date_of_birth", "3", "", "1980", None, ["Date of birth must include a month"]),
        ("date_of_birth", "3", "7", "", None, ["Date of birth must include a year"]),
        ("date_of_birth", "", "", "1980", None, ["Date of birth must include a day and month"]),
        ("date_of_birth", "3", "", "", None, ["Date of birth must include a month and year"]),
        ("date_of_birth", "31", "2", "2020", None, ["Date of birth must be a real date"]),
        ("date_of_birth", "29", "2", "2020", datetime.date(2020, 2, 29), None),
        ("date_of_birth", "3", "13", "1980", None, ["Date of birth must be a real date"]),
        ("date_of_birth", "ab", "cd", "efgh", None, ["Date of birth must be a real date"]),
        ("date_of_birth", "3", "July", "1980", None, ["Date of birth must be a real date"]),
        ("date_of_birth", "3", "7", "80", None, ["Year must include 4 numbers"]),
        ("date_of_birth", "3", "7", "19800", None, ["Year must include 4 numbers"]),
        (
            "date_of_birth",
            str(TOMORROW.day),
            str(TOMORROW.month),
            str(TOMORROW.year),
            None,
            ["Date of birth must be today or in the past"],
        ),
        ("date_of_birth", str(TODAY.day), str(TODAY.month), str(TODAY.year), TODAY, None),
        ("review_date", "", "", "", None, None),
        ("review_date", str(TODAY.day), str(TODAY.month), str(TODAY.year), TODAY, None),
        (
            "review_date",
            str(YESTERDAY.day),
            str(YESTERDAY.month),
            str(YESTERDAY.year),
            None,
            ["Review date must be today or in the future"],
        ),
        ("review_date", "1", "", "", None, ["Review date must include a month and year"]),
        ("started", "", "", "", None, None),
        ("started", "5", "", "2001", None, ["Started must include a month"]),
    ],
)
def test_it_validates_dates(field, day, month, year, expected, errors):
    cleaned, messages = clean_date(field, day, month, year)

    assert messages == errors
    assert cleaned == expected


def test_it_names_the_field_by_its_error_label_and_keeps_acronyms():
    class AssessmentForm(forms.Form):
        when = NHSDateField(label="When was the assessment?", error_label="Assessment date")
        nhs = NHSDateField(label="NHS review date")

    form = AssessmentForm(data={"when_day": "1", "when_month": "2"})

    assert not form.is_valid()
    assert form.errors["when"] == ["Assessment date must include a year"]
    assert form.errors["nhs"] == ["Enter NHS review date"]


def test_it_refuses_past_only_and_future_only_together():
    with pytest.raises(ValueError, match="cannot both be set"):
        NHSDateField(past_only=True, future_only=True)


# --- conditional reveals under radios and checkboxes -----------------------------------------

FUNDING_CHOICES = [("chc", "NHS Continuing Healthcare"), ("cc", "Children's continuing care"), ("none", "Neither")]
SUPPORT_CHOICES = [("carer", "A carer"), ("equipment", "Equipment"), ("transport", "Transport")]
FUNDING_REVEALS = {"chc": ["hospital_inpatient"], "cc": ["hospital_inpatient_cc"]}


class RevealForm(forms.Form):
    funding = forms.ChoiceField(label="How is the care funded?", choices=FUNDING_CHOICES, widget=forms.RadioSelect)
    hospital_inpatient = forms.CharField(label="Which hospital ward?", required=False)
    hospital_inpatient_cc = forms.CharField(label="Which children's ward?", required=False)
    has_package = forms.ChoiceField(
        label="Is there a care package?", choices=[("yes", "Yes"), ("no", "No")], widget=forms.RadioSelect
    )
    package_description = forms.CharField(label="Describe the package", required=False, widget=forms.Textarea)
    block_contract_services = forms.MultipleChoiceField(
        label="Which services are block contracted?",
        choices=[("nursing", "Nursing"), ("therapy", "Therapy")],
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    support = forms.MultipleChoiceField(
        label="What support is needed?", choices=SUPPORT_CHOICES, widget=forms.CheckboxSelectMultiple
    )
    carer_name = forms.CharField(label="Carer's name", required=False)
    equipment_list = forms.CharField(label="Which equipment?", required=False)

    def __init__(self, *args, layout=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.layout = layout or Layout(
            Field("funding", conditional=FUNDING_REVEALS),
            Field("has_package", inline=False, conditional={"yes": ["package_description", "block_contract_services"]}),
            Field("support", conditional={"carer": ["carer_name"], "equipment": ["equipment_list"]}),
            Submit("continue", "Continue"),
        )

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("funding") == "chc" and not cleaned.get("hospital_inpatient"):
            self.add_error("hospital_inpatient", "Enter the hospital ward")
        if "carer" in cleaned.get("support", []) and not cleaned.get("carer_name"):
            self.add_error("carer_name", "Enter the carer's name")
        return cleaned


def elements(node):
    return [child for child in node.children if isinstance(child, Node)]


def reveal_for(doc, input_id):
    """The conditional block controlled by an input, checking the wiring on the way."""
    control = doc.by_id(input_id)
    block = doc.by_id(control.attrs["data-aria-controls"])
    assert block.attrs["id"] == f"conditional-{input_id}"
    items = elements(block.parent)
    item = control.parent
    assert items[items.index(item) + 1] is block  # straight after its own choice
    return block


def test_it_reveals_fields_straight_after_their_radio_with_matching_aria_controls():
    doc = parse(render_tag(RevealForm()))
    radios = doc.find("div", id="div_id_funding").find("div", cls="nhsuk-radios")

    assert [(node.classes[0], node.attrs.get("id")) for node in elements(radios)] == [
        ("nhsuk-radios__item", None),
        ("nhsuk-radios__conditional", "conditional-id_funding_0"),
        ("nhsuk-radios__item", None),
        ("nhsuk-radios__conditional", "conditional-id_funding_1"),
        ("nhsuk-radios__item", None),
    ]
    for input_id, revealed in [("id_funding_0", "id_hospital_inpatient"), ("id_funding_1", "id_hospital_inpatient_cc")]:
        block = reveal_for(doc, input_id)
        assert block.classes == ["nhsuk-radios__conditional", "nhsuk-radios__conditional--hidden"]
        assert [node.attrs["id"] for node in block.find_all("input")] == [revealed]
        assert block.find("label", for_=revealed).classes == ["nhsuk-label"]
    assert "data-aria-controls" not in doc.by_id("id_funding_2").attrs
    package = reveal_for(doc, "id_has_package_0")
    assert [node.attrs["id"] for node in package.find_all("textarea") + package.find_all("input")] == [
        "id_package_description",
        "id_block_contract_services_0",
        "id_block_contract_services_1",
    ]
    assert "data-aria-controls" not in doc.by_id("id_has_package_1").attrs
    assert (
        "nhsuk-radios--inline" not in doc.find("div", id="div_id_has_package").find("div", cls="nhsuk-radios").classes
    )
    assert_references_resolve(doc)


@pytest.mark.parametrize(
    "form_kwargs",
    [{"data": {"funding": "cc", "has_package": "yes"}}, {"initial": {"funding": "cc", "has_package": "yes"}}],
    ids=["bound", "initial"],
)
def test_it_leaves_the_block_of_the_selected_choice_open(form_kwargs):
    doc = parse(render_tag(RevealForm(**form_kwargs)))

    assert "checked" in doc.by_id("id_funding_1").attrs
    assert reveal_for(doc, "id_funding_1").classes == ["nhsuk-radios__conditional"]
    assert "nhsuk-radios__conditional--hidden" in reveal_for(doc, "id_funding_0").classes
    assert reveal_for(doc, "id_has_package_0").classes == ["nhsuk-radios__conditional"]


@pytest.mark.parametrize("render_unmentioned_fields", [False, True])
def test_it_renders_each_revealed_field_exactly_once(render_unmentioned_fields):
    form = RevealForm(data={"funding": "chc", "support": ["carer"]})
    form.helper.render_unmentioned_fields = render_unmentioned_fields
    doc = parse(render_tag(form))

    ids = doc.ids()
    for name in ["funding_0", "hospital_inpatient", "hospital_inpatient_cc", "package_description", "carer_name"]:
        assert ids.count(f"id_{name}") == 1, name
    assert len(doc.find_all("input", name="block_contract_services")) == 2
    assert_references_resolve(doc)


def test_it_shows_errors_inside_a_revealed_block_and_links_them_from_the_summary():
    form = RevealForm(data={"funding": "chc", "hospital_inpatient": "", "has_package": "no", "support": ["carer"]})
    doc = parse(render_page(form))

    block = reveal_for(doc, "id_funding_0")
    assert block.classes == ["nhsuk-radios__conditional"]
    group = block.find("div", id="div_id_hospital_inpatient")
    assert group.classes == ["nhsuk-form-group", "nhsuk-form-group--error"]
    assert group.find("span", cls="nhsuk-error-message").text == "Error: Enter the hospital ward"
    field_input = group.find("input", id="id_hospital_inpatient")
    assert field_input.classes == ["nhsuk-input", "nhsuk-input--error"]
    assert field_input.attrs["aria-describedby"] == "id_hospital_inpatient-error"
    links = doc.find("ul", cls="nhsuk-error-summary__list").find_all("a")
    assert [(link.attrs["href"], link.text) for link in links] == [
        ("#id_hospital_inpatient", "Enter the hospital ward"),
        ("#id_carer_name", "Enter the carer's name"),
    ]
    assert reveal_for(doc, "id_support_0").find("input").attrs["id"] == "id_carer_name"
    assert_references_resolve(doc)


def test_it_reveals_fields_under_checkboxes_and_opens_every_checked_block():
    doc = parse(render_tag(RevealForm(data={"support": ["carer", "equipment"]})))
    checkboxes = doc.find("div", id="div_id_support").find("div", cls="nhsuk-checkboxes")

    assert [node.attrs.get("id") for node in elements(checkboxes)] == [
        None,
        "conditional-id_support_0",
        None,
        "conditional-id_support_1",
        None,
    ]
    carer = reveal_for(doc, "id_support_0")
    assert carer.classes == ["nhsuk-checkboxes__conditional"]
    assert carer.find("input").attrs["id"] == "id_carer_name"
    assert reveal_for(doc, "id_support_1").classes == ["nhsuk-checkboxes__conditional"]
    assert "data-aria-controls" not in doc.by_id("id_support_2").attrs

    unchecked = parse(render_tag(RevealForm(data={"support": ["transport"]})))
    assert reveal_for(unchecked, "id_support_0").classes == [
        "nhsuk-checkboxes__conditional",
        "nhsuk-checkboxes__conditional--hidden",
    ]


def test_it_renders_layout_objects_inside_a_revealed_block():
    layout = Layout(
        Field(
            "has_package",
            conditional={
                "yes": [HTML('<p class="nhsuk-body">Tell us about it</p>'), Field("package_description", size="s")]
            },
        )
    )
    doc = parse(render_tag(RevealForm(layout=layout)))

    block = reveal_for(doc, "id_has_package_0")
    assert block.find("p", cls="nhsuk-body").text == "Tell us about it"
    assert block.find("label", for_="id_package_description").classes == ["nhsuk-label", "nhsuk-label--s"]


def test_it_relies_on_nhsuk_css_that_hides_closed_blocks_only_when_javascript_runs():
    css = (Path(__file__).resolve().parents[2] / "static/nhsuk/nhsuk-frontend.min.css").read_text()

    hiding = [
        selector.strip()
        for selectors, body in re.findall(r"([^{}]*)\{([^{}]*)\}", css)
        if "display:none" in body.replace(" ", "")
        for selector in selectors.split(",")
        if "__conditional--hidden" in selector
    ]
    assert sorted(hiding) == [
        ".nhsuk-frontend-supported .nhsuk-checkboxes__conditional--hidden",
        ".nhsuk-frontend-supported .nhsuk-radios__conditional--hidden",
    ]


@pytest.mark.parametrize(
    ("layout", "message"),
    [
        (Layout(Field("funding", conditional=FUNDING_REVEALS), "hospital_inpatient"), "must not also appear"),
        (Layout("hospital_inpatient", Field("funding", conditional=FUNDING_REVEALS)), "must not also appear"),
        (Layout(Field("funding", conditional={"chc": ["carer_name"], "cc": ["carer_name"]})), "must not also appear"),
        (Layout(Field("funding", conditional={"chc": ["funding"]})), "must not also appear"),
        (Layout(Field("funding", conditional={"CHC": ["hospital_inpatient"]})), r"\['CHC'\] are not among its choices"),
        (Layout(Field("carer_name", conditional={"x": ["equipment_list"]})), "needs radios or checkboxes"),
    ],
)
def test_it_refuses_a_conditional_layout_it_cannot_render(layout, message):
    with pytest.raises(ImproperlyConfigured, match=message):
        render_tag(RevealForm(layout=layout))


def test_it_refuses_a_field_rendered_earlier_even_with_a_separate_helper():
    form = RevealForm()
    helper = FormHelper()
    helper.layout = Layout("carer_name", Field("support", conditional={"carer": ["carer_name"]}))

    with pytest.raises(ImproperlyConfigured, match=r"\['carer_name'\] revealed under 'support'"):
        Template("{% load crispy_forms_tags %}{% crispy form helper %}").render(
            Context({"form": form, "helper": helper})
        )


def test_it_refuses_conditional_on_more_than_one_field():
    with pytest.raises(ValueError, match="conditional applies to one field"):
        Field("funding", "support", conditional={"chc": ["hospital_inpatient"]})
