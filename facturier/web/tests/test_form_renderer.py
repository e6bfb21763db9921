"""The Python-written widgets give the markup of Django's own templates."""

import datetime
import re
from decimal import Decimal

import pytest
from django import forms
from django.forms.renderers import DjangoTemplates
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy

from facturier.web.form_renderer import FormRenderer


class SampleForm(forms.Form):
    period = forms.ChoiceField(choices=[("", "Toutes"), ("this_month", "Ce mois-ci"), ("q", 'Q <1> & "2"')])
    grouped = forms.ChoiceField(
        choices=[("Europe", [("FR", "France"), ("DE", "Allemagne")]), ("Autres", [("US", "États-Unis")])],
        required=False,
    )
    several = forms.MultipleChoiceField(choices=[(1, "Un"), (2, "Deux"), (3, "Trois")], required=False)
    rate = forms.TypedChoiceField(
        choices=[(Decimal("5.5"), Decimal("5.5")), (Decimal(20), "20 %")], coerce=Decimal
    )
    q = forms.CharField(max_length=100, required=False)
    amount = forms.DecimalField(required=False)
    day = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    email = forms.EmailField(required=False)
    agree = forms.BooleanField(required=False)
    secret = forms.CharField(widget=forms.HiddenInput, required=False)
    token = forms.CharField(widget=forms.PasswordInput(render_value=True), required=False)
    upload = forms.FileField(required=False)
    # Translated (lazy) and safe labels, as the models' choices and the forms' labels are.
    kind = forms.ChoiceField(
        label=gettext_lazy("Type"),
        choices=[
            ("", gettext_lazy("Tous")),
            ("vat", gettext_lazy("Facture")),
            ("x", mark_safe("<b>Gras</b>")),
        ],
        required=False,
    )


def normalized(html: object) -> str:
    return re.sub(r">\s+<", "><", str(html)).strip()


@pytest.mark.parametrize(
    "data",
    [
        None,
        {
            "period": "q",
            "grouped": "DE",
            "several": ["1", "3"],
            "rate": "5.5",
            "q": 'Dupont & "fils" <SARL>',
            "amount": "12.50",
            "day": "2026-11-28",
            "email": "a@b.fr",
            "agree": "on",
            "secret": 'x"y',
            "token": "t",
        },
    ],
)
@pytest.mark.parametrize("language", ["fr", "en"])
def test_every_field_renders_as_django_renders_it(data, language, settings):
    from django.utils import translation

    initial = {"day": datetime.date(2026, 1, 2), "amount": Decimal("3.5")}
    with translation.override(language):
        ours = SampleForm(data, initial=initial, renderer=FormRenderer())
        django = SampleForm(data, initial=initial, renderer=DjangoTemplates())
        ours.fields["q"].widget.attrs["placeholder"] = "Numéro ou « client »"
        django.fields["q"].widget.attrs["placeholder"] = "Numéro ou « client »"
        for name in SampleForm.base_fields:
            assert normalized(ours[name]) == normalized(django[name]), name
            assert str(ours[name].label_tag()) == str(django[name].label_tag()), name
            assert str(ours[name].label_tag(attrs={"class": "x"}, tag="span")) == str(
                django[name].label_tag(attrs={"class": "x"}, tag="span")
            ), name
        # A label without an id is its text alone; a label's markup is escaped.
        ours.auto_id = django.auto_id = ""
        label = str(ours["q"].label_tag("A <b> & c"))
        assert label == str(django["q"].label_tag("A <b> & c"))
        assert label.startswith("A &lt;b&gt; &amp; c") and "<label" not in label


def test_the_project_renders_forms_with_it(settings):
    from django.forms.renderers import get_default_renderer

    assert isinstance(get_default_renderer(), FormRenderer)
