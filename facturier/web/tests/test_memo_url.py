"""`{% url %}` remembers what it reversed, and still answers as Django's tag does."""

import pytest
from django.template import Engine, engines
from django.urls import NoReverseMatch, reverse

from facturier.web.templatetags.memo_url import RememberedURLNode, _reverse


def render(source: str, **context: object) -> str:
    return engines["django"].from_string(source).render(context)


def test_the_project_url_tag_is_the_remembering_one():
    template = Engine.get_default().from_string("{% url 'web:dashboard' 'acme' %}")
    assert isinstance(template.nodelist[0], RememberedURLNode)


def test_it_gives_what_reverse_gives_and_remembers_it():
    _reverse.cache_clear()
    for _ in range(3):
        assert render("{% url 'billing:document_detail' slug 7 %}", slug="acme") == reverse(
            "billing:document_detail", args=["acme", 7]
        )
    assert _reverse.cache_info().hits == 2


def test_keyword_arguments_and_as_var_go_to_djangos_tag():
    assert render("{% url 'web:dashboard' slug='acme' %}") == reverse("web:dashboard", args=["acme"])
    assert (
        render("{% url 'web:dashboard' 'acme' as link %}[{{ link }}]")
        == f"[{reverse('web:dashboard', args=['acme'])}]"
    )
    assert render("{% url 'nope:nothing' as link %}[{{ link }}]") == "[]"


def test_an_unknown_name_still_raises():
    with pytest.raises(NoReverseMatch):
        render("{% url 'nope:nothing' 'acme' %}")


def test_it_escapes_as_django_does():
    assert "&amp;" not in render("{% url 'web:dashboard' 'acme' %}")
