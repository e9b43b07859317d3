"""Django's empty choice "---------" never reaches a page: a radio button labelled with dashes means
nothing, and a drop-down says "Select one" where the form does not say something better."""

from django import forms

from careplans.models import SupportItem
from people.models import Person
from phb.forms import NHSMessagesMixin


class ServiceRadios(NHSMessagesMixin, forms.ModelForm):
    class Meta:
        model = SupportItem
        fields = ["money_option", "frequency"]
        widgets = {"money_option": forms.RadioSelect}


class LeadDropDown(NHSMessagesMixin, forms.ModelForm):
    class Meta:
        model = Person
        fields = ["lead_coordinator", "representative_role"]
        widgets = {"lead_coordinator": forms.RadioSelect}


def labels(field) -> list[str]:
    return [str(label) for _, label in field.choices]


def test_radios_leave_the_empty_choice_out_and_drop_downs_name_it(db):
    form = ServiceRadios()
    assert "---------" not in labels(form.fields["money_option"])
    assert labels(form.fields["money_option"])[0] == "Direct payment"
    assert labels(form.fields["frequency"])[0] == "Select one"
    assert 'value=""' not in str(form["money_option"])


def test_a_foreign_key_as_radios_has_no_empty_choice_and_a_real_empty_answer_keeps_its_words(db, alice):
    form = LeadDropDown()
    assert "---------" not in labels(form.fields["lead_coordinator"])
    # The model's own words for "none" are a choice, not Django's dashes: they stay.
    assert "No representative or nominee" in labels(form.fields["representative_role"])
