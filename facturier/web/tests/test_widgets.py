"""The project's widget templates (facturier/templates/django/forms/) give the markup of Django's own."""

import pytest
from django import forms
from django.conf import settings
from django.forms.renderers import DjangoTemplates, get_default_renderer
from django.utils import translation
from django.utils.translation import gettext_lazy


class SampleForm(forms.Form):
    period = forms.ChoiceField(choices=[("", "Toutes"), ("this_month", "Ce mois-ci"), ("q", 'Q <1> & "2"')])
    grouped = forms.ChoiceField(
        choices=[("Europe", [("FR", "France"), ("DE", "Allemagne")]), ("Autres <&>", [("US", "États-Unis")])],
        required=False,
    )
    several = forms.MultipleChoiceField(choices=[(1, "Un"), (2, "Deux"), (3, "Trois")], required=False)
    kind = forms.ChoiceField(
        label=gettext_lazy("Type"),
        choices=[("", gettext_lazy("Tous")), ("vat", gettext_lazy("Facture"))],
        required=False,
        widget=forms.Select(attrs={"class": "compact", "data-x": 'a"b', "autofocus": True, "hidden": False}),
    )
    client = forms.TypedChoiceField(choices=[(7, "Dupont & fils"), (12, "<Zèbre>")], coerce=int)


@pytest.mark.parametrize(
    "data", [None, {"period": "q", "grouped": "DE", "several": ["1", "3"], "kind": "vat", "client": "12"}]
)
@pytest.mark.parametrize("language", ["fr", "en"])
def test_selects_render_as_djangos_templates_render_them(data, language):
    with translation.override(language):
        ours = SampleForm(data, renderer=get_default_renderer())
        djangos = SampleForm(data, renderer=DjangoTemplates())
        for name in SampleForm.base_fields:
            assert str(ours[name]) == str(djangos[name]), name
            assert str(ours[name].label_tag()) == str(djangos[name].label_tag()), name


def test_the_project_renders_forms_with_its_template_tree():
    template = get_default_renderer().get_template("django/forms/widgets/select.html")
    assert str(template.origin.name).startswith(str(settings.PACKAGE_DIR / "templates"))
