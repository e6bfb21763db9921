"""Walks every URL pattern of the site: the tenancy gate must hold on each one.

- an outsider (member of another account) gets a 404 on every page under /<slug>/, for GET and POST;
- anonymous visitors are sent to the login page;
- a member whose role lacks the page's permission gets a 403.
A new page is covered by adding it to urls.py: nothing to list here, except the object its <pk> names.
"""

from collections.abc import Iterator

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from facturier.tenancy import permissions
from facturier.tenancy.models import Membership, Role


def walk(
    patterns: list[URLPattern | URLResolver], prefix: str = "", namespace: str = ""
) -> Iterator[tuple[str, str, URLPattern]]:
    for pattern in patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            ns = pattern.namespace or ""
            yield from walk(
                pattern.url_patterns, route, f"{namespace}:{ns}" if namespace and ns else ns or namespace
            )
        elif pattern.name:
            yield route, f"{namespace}:{pattern.name}" if namespace else pattern.name, pattern


def account_routes() -> list[tuple[str, URLPattern]]:
    return [
        (name, pattern)
        for route, name, pattern in walk(get_resolver().url_patterns)
        if "<slug:slug>" in route
    ]


@pytest.fixture
def acme_objects(acme, collaborator):
    """A real object of acme for each kind of <pk> the URLs take."""
    role = Role.objects.create(account=acme, name="Commercial", permissions=["sales.view"])
    membership = Membership.objects.get(account=acme, user=collaborator)
    return {"role": role.pk, "user": membership.pk}


def url_for(name: str, pattern: URLPattern, objects: dict[str, int]) -> str:
    kwargs: dict[str, object] = {"slug": "acme"}
    if "<int:pk>" in str(pattern.pattern):
        kind = "role" if name.split(":")[-1].startswith("role") else "user"
        kwargs["pk"] = objects[kind]
    return reverse(name, kwargs=kwargs)


def test_every_account_page_goes_through_the_gate():
    routes = account_routes()
    assert len(routes) >= 10
    ungated = [name for name, pattern in routes if not getattr(pattern.callback, "is_account_view", False)]
    assert ungated == []


def test_an_outsider_gets_a_404_on_every_account_page(outsider_client, acme_objects):
    for name, pattern in account_routes():
        url = url_for(name, pattern, acme_objects)
        assert outsider_client.get(url).status_code == 404, url
        assert outsider_client.post(url, {"email": "x@example.test"}).status_code == 404, url


def test_an_anonymous_visitor_is_sent_to_login_from_every_account_page(client, acme_objects):
    for name, pattern in account_routes():
        url = url_for(name, pattern, acme_objects)
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/login/"), url


def test_a_member_lacking_the_permission_gets_a_403(collaborator_client, acme_objects):
    member_permissions = permissions.BUILTIN_ROLE_PERMISSIONS[permissions.ROLE_MEMBER]
    checked = 0
    for name, pattern in account_routes():
        required = getattr(pattern.callback, "required_permission", None)
        if required is None or required in member_permissions:
            continue
        url = url_for(name, pattern, acme_objects)
        assert collaborator_client.get(url).status_code == 403, url
        assert collaborator_client.post(url, {}).status_code == 403, url
        checked += 1
    assert checked >= 8
