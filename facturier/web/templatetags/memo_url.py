"""`{% url %}`, remembering what it reversed (a template builtin: settings.TEMPLATES "builtins").

Reversing a URL costs tens of microseconds through our nested `<slug>/` includes, and the layout alone
reverses some twenty (menu, top bar), the list pages as many again: a few milliseconds on every page,
for answers that never change while the process runs. Positional arguments of plain strings and
integers (slugs, ids) are remembered, by script prefix and URLconf too; anything else goes to Django's
tag unchanged, as does an unknown name (NoReverseMatch is raised, never remembered).
"""

import functools
from typing import Any

from django import template
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.template.base import Parser, Token
from django.template.context import Context
from django.template.defaulttags import URLNode
from django.template.defaulttags import url as django_url
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils.html import conditional_escape

register = template.Library()


@functools.lru_cache(maxsize=8192)
def _reverse(prefix: str, urlconf: Any, view_name: str, args: tuple[str | int, ...], current_app: Any) -> str:
    return reverse(view_name, urlconf=urlconf, args=args, current_app=current_app)


@receiver(setting_changed)
def _forget_on_urlconf_change(setting: str, **kwargs: Any) -> None:
    if setting == "ROOT_URLCONF":  # tests may swap it, as Django's own URL caches expect
        _reverse.cache_clear()


def _current_app(context: Context) -> Any:
    request: Any = getattr(context, "request", None)
    if hasattr(request, "current_app"):
        return request.current_app
    match = getattr(request, "resolver_match", None)
    return match.namespace if match is not None else None


class RememberedURLNode(URLNode):
    def render(self, context: Context) -> str:
        if self.kwargs or self.asvar:
            return str(super().render(context))
        args = tuple(arg.resolve(context) for arg in self.args)
        view_name = self.view_name.resolve(context)
        if not isinstance(view_name, str) or not all(isinstance(arg, str | int) for arg in args):
            return str(super().render(context))
        url = _reverse(get_script_prefix(), get_urlconf(), view_name, args, _current_app(context))
        return conditional_escape(url) if context.autoescape else url


@register.tag
def url(parser: Parser, token: Token) -> RememberedURLNode:
    node = django_url(parser, token)
    return RememberedURLNode(node.view_name, node.args, node.kwargs, node.asvar)
