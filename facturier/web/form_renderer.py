"""The form renderer of every page: Django's, with the most frequent widgets written in Python.

Django renders each widget and label through templates, and a <select> through one more template per
option: a list's filter form with a hundred clients cost more than the list's own SQL. The selects, the
plain inputs and the labels are written here instead, to the same markup as Django's templates (attributes in their
order, escaped and localised alike); every other widget keeps its template.
"""

import html
from typing import Any

from django.forms.renderers import DjangoTemplates
from django.utils.formats import localize
from django.utils.functional import Promise
from django.utils.safestring import SafeString, mark_safe

WIDGETS = "django/forms/widgets/"
INPUT_TEMPLATES = frozenset(
    f"{WIDGETS}{name}.html"
    for name in (
        "input", "text", "number", "email", "url", "password", "hidden", "date", "datetime", "time",
        "search", "tel", "color", "checkbox", "file",
    )
)  # fmt: skip
SELECT_TEMPLATE = f"{WIDGETS}select.html"
LABEL_TEMPLATE = "django/forms/label.html"


def _escape(value: Any) -> str:
    """Django's conditional_escape without its wrapper for lazy arguments (keep_lazy checks every
    argument on every call): a form's selects escape a few hundred values. Same text: html.escape of
    the string, and safe strings kept as they are."""
    if isinstance(value, Promise):
        value = str(value)
    if hasattr(value, "__html__"):
        safe: str = value.__html__()
        return safe
    return html.escape(str(value))


def _attrs(attrs: dict[str, Any]) -> str:
    """What attrs.html writes: ` name="value"`, a bare ` name` for True, nothing for False."""
    return "".join(
        f" {_escape(name)}" if value is True else f' {_escape(name)}="{_escape(str(value))}"'
        for name, value in attrs.items()
        if value is not False
    )


def render_input(widget: dict[str, Any]) -> SafeString:
    value = "" if widget["value"] is None else f' value="{_escape(str(widget["value"]))}"'
    return mark_safe(  # every piece is escaped above
        f'<input type="{_escape(widget["type"])}" name="{_escape(widget["name"])}"'
        f"{value}{_attrs(widget['attrs'])}>"
    )


def render_select(widget: dict[str, Any]) -> SafeString:
    parts = [f'<select name="{_escape(widget["name"])}"{_attrs(widget["attrs"])}>']
    for group_name, options, _index in widget["optgroups"]:
        if group_name:
            parts.append(f'\n  <optgroup label="{_escape(group_name)}">')
        for option in options:
            parts.append(
                f'\n  <option value="{_escape(str(option["value"]))}"{_attrs(option["attrs"])}>'
                f"{_escape(localize(option['label']))}</option>"
            )
        if group_name:
            parts.append("\n  </optgroup>")
    parts.append("\n</select>")
    return mark_safe("".join(parts))  # every piece is escaped above


def render_label(context: dict[str, Any]) -> SafeString:
    label = _escape(localize(context["label"]))
    if not context["use_tag"]:
        return mark_safe(label)  # escaped above
    tag = _escape(context["tag"])
    return mark_safe(f"<{tag}{_attrs(context['attrs'] or {})}>{label}</{tag}>")  # escaped above


class FormRenderer(DjangoTemplates):
    def render(self, template_name: str, context: dict[str, Any], request: Any = None) -> str:
        if template_name == LABEL_TEMPLATE:
            return render_label(context)
        if template_name == SELECT_TEMPLATE:
            return render_select(context["widget"])
        if template_name in INPUT_TEMPLATES:
            return render_input(context["widget"])
        return super().render(template_name, context, request=request)
