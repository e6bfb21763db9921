"""Walks every URL pattern of the site: the tenancy gate must hold on each one.

- an outsider (member of another account) gets a 404 on every page under /<slug>/, for GET and POST;
- anonymous visitors are sent to the login page;
- a member whose role lacks the page's permission gets a 403.
A new page is covered by adding it to urls.py: nothing to list here, except the object its <pk> names.
"""

from collections.abc import Iterator

import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.db import connection
from django.http import HttpResponse
from django.test.utils import CaptureQueriesContext
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from facturier.accounts.models import User
from facturier.billing.models import EmailDelivery
from facturier.conftest import logged_in
from facturier.exports.models import ExportJob
from facturier.tenancy import permissions
from facturier.tenancy.access import account_view, request_membership
from facturier.tenancy.models import Membership, Role
from facturier.webhooks.models import Webhook, WebhookDelivery


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


# The object each kind of <pk> names, by the first word of the URL name (billing:client_edit → client).
PK_KINDS = {
    "user": "membership",
    "role": "role",
    "client": "client",
    "product": "product",
    "document": "document",
    "payment": "payment",
    "expense": "expense",
    "attachment": "attachment",
    "account": "account",
    "webhook": "webhook",
    "delivery": "email_delivery",
}
# URL names whose first word does not name their object.
PK_BY_NAME = {
    "purchases:expense_payment_delete": "expense_payment",
    "exports:job": "export_job",
    "exports:download": "export_job",
    "webhooks:webhook_retry": "webhook_delivery",
}


@pytest.fixture
def acme_objects(acme, owner, collaborator):
    """A real object of acme for each kind of <pk> the URLs take, so an outsider asks for existing rows."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from facturier.billing.services.payments import record_payment
    from facturier.billing.tests.factories import actor_for, make_client, make_invoice, make_product
    from facturier.purchases.services import record_expense_payment
    from facturier.purchases.tests.conftest import PDF, make_expense

    actor = actor_for(acme, owner)
    client = make_client(acme, name="Client Acme")
    invoice = make_invoice(actor, client, issue=True)
    payment = record_payment(
        actor, acme, date=invoice.issue_date, amount=invoice.gross_total, documents=[invoice]
    )
    supplier = make_client(acme, name="Fournisseur Acme", kind="supplier")
    expense = make_expense(acme, owner, supplier, files=[SimpleUploadedFile("a.pdf", PDF)])
    webhook = Webhook.objects.create(account=acme, kind="client:create", url="https://93.184.215.14/hook")
    return {
        "membership": Membership.objects.get(account=acme, user=collaborator).pk,
        "role": Role.objects.create(account=acme, name="Commercial", permissions=["sales.view"]).pk,
        "client": client.pk,
        "product": make_product(acme, name="Produit Acme").pk,
        "document": invoice.pk,
        "payment": payment.pk,
        "expense": expense.pk,
        "attachment": expense.attachments.get().pk,
        "account": acme.pk,
        "export_job": ExportJob.objects.create(account=acme, format="payments-csv", params={}).pk,
        "expense_payment": record_expense_payment(
            actor, expense, date=expense.issue_date, amount=expense.gross_total
        ).pk,
        "webhook": webhook.pk,
        "email_delivery": EmailDelivery.objects.create(
            account=acme, document=invoice, to="x@dupont.test", subject="Facture", status="failed"
        ).pk,
        "webhook_delivery": WebhookDelivery.objects.create(
            account=acme, webhook=webhook, kind=webhook.kind, payload={}, state="failed"
        ).pk,
    }


def url_for(name: str, pattern: URLPattern, objects: dict[str, int]) -> str:
    kwargs: dict[str, object] = {"slug": "acme"}
    if "<int:pk>" in str(pattern.pattern):
        first_word = name.split(":")[-1].split("_")[0]
        kwargs["pk"] = objects[PK_BY_NAME.get(name) or PK_KINDS[first_word]]
    if "<str:code>" in str(pattern.pattern):
        kwargs["code"] = "revenue"
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


# --- The gate reads Django's user, then the membership with what a page uses of it ---------------


def test_an_account_page_reads_the_user_and_the_membership_once(firm_client, acme, firm):
    url = reverse("web:dashboard", args=["acme"])
    firm_client.get(url)  # notes the current account in the session
    with CaptureQueriesContext(connection) as queries:
        response = firm_client.get(url)
        gated = response.wsgi_request
        relations = (gated.membership.account, gated.membership.custom_role, gated.membership.firm)
    assert response.status_code == 200 and relations == (acme, None, firm)
    user_reads = [q["sql"] for q in queries.captured_queries if f'FROM "{User._meta.db_table}"' in q["sql"]]
    membership_reads = [
        q["sql"]
        for q in queries.captured_queries
        if f'FROM "{Membership._meta.db_table}" INNER JOIN' in q["sql"]
    ]
    assert len(user_reads) == 1  # Django's AuthenticationMiddleware, once
    assert len(membership_reads) == 1  # the gate, with the account and the role: using them reads nothing


def test_a_view_asking_the_gate_again_reuses_the_requests_membership(firm_accountant, acme, rf):
    asked = []

    @account_view("sales.view")
    def page(request):
        asked.append(request_membership(request, "acme"))
        return HttpResponse("ok")

    request = rf.get("/acme/")
    request.session = SessionStore()
    request.user = firm_accountant
    with CaptureQueriesContext(connection) as queries:
        assert page(request, slug="acme").status_code == 200
    assert asked == [request.membership] and asked[0] is request.membership
    reads = [q["sql"] for q in queries.captured_queries if q["sql"].startswith("SELECT")]
    assert len(reads) == 1  # the membership, read once


def test_a_password_changed_elsewhere_logs_the_session_out_of_account_pages(owner_client, owner, acme):
    url = reverse("web:dashboard", args=["acme"])
    assert owner_client.get(url).status_code == 200
    owner.set_password("an-entirely-new-secret")
    owner.save()
    response = owner_client.get(url)
    assert response.status_code == 302 and response["Location"].startswith("/login/")
    assert owner_client.get(url).status_code == 302  # the session was flushed, not only refused once


def test_a_deactivated_user_is_logged_out_of_account_pages(owner_client, owner, acme):
    url = reverse("web:dashboard", args=["acme"])
    assert owner_client.get(url).status_code == 200
    User.objects.filter(pk=owner.pk).update(is_active=False)
    response = owner_client.get(url)
    assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_a_session_of_a_removed_member_gets_a_404(owner_client, collaborator, acme):
    client = logged_in(collaborator)
    url = reverse("web:dashboard", args=["acme"])
    assert client.get(url).status_code == 200
    Membership.objects.filter(account=acme, user=collaborator).delete()
    assert client.get(url).status_code == 404


@pytest.mark.parametrize("page", ["web:dashboard", "accounts:profile"])
def test_account_pages_and_other_pages_are_in_the_users_language(owner_client, owner, acme, page):
    User.objects.filter(pk=owner.pk).update(language="en")
    url = reverse(page, args=["acme"]) if page == "web:dashboard" else reverse(page)
    response = owner_client.get(url, HTTP_ACCEPT_LANGUAGE="fr")
    assert response.status_code == 200
    assert '<html lang="en">' in response.content.decode()
    assert response["Content-Language"] == "en"


@pytest.mark.parametrize("path", ["/no-such-page/here/", "/globex/", "/acme/documents/999999/"])
def test_a_404_page_is_in_the_users_language_too(owner_client, owner, acme, globex, path):
    User.objects.filter(pk=owner.pk).update(language="en")
    response = owner_client.get(path, HTTP_ACCEPT_LANGUAGE="fr")
    assert response.status_code == 404
    assert '<html lang="en">' in response.content.decode() and "Page not found" in response.content.decode()
