"""Reads for the shell: the accounts a user can open (the top-bar switcher), a new account's checklist,
the global search."""

from typing import NamedTuple
from urllib.parse import urlencode

from django.db.models import Exists, Q, QuerySet
from django.urls import reverse
from django.utils import formats
from django.utils.translation import gettext as _

from facturier.billing import client_queries
from facturier.billing import queries as billing_queries
from facturier.billing.models import Client, Document, Kind, Status
from facturier.lib.money import money_text
from facturier.purchases import queries as purchase_queries
from facturier.tenancy.models import Account, Membership

SWITCHER_SIZE = 15


class SwitcherEntry(NamedTuple):
    """An account of the switcher: what the top bar shows of it and where it leads."""

    slug: str
    name: str
    dashboard_url: str


def switcher_memberships(user_id: int, query: str = "") -> QuerySet[Membership]:
    """The user's memberships ordered by account name, filtered by name or slug; one indexed query."""
    memberships = Membership.objects.filter(user_id=user_id).order_by("account__name")
    query = query.strip()
    if query:
        memberships = memberships.filter(
            Q(account__name__icontains=query) | Q(account__slug__icontains=query)
        )
    return memberships


def switcher_page(user_id: int, query: str = "") -> tuple[list[SwitcherEntry], bool]:
    """The first SWITCHER_SIZE accounts of the user, and whether there are more. Only the slug and
    name are read, and the dashboard's URL is reversed once: the layout shows this list on every page,
    and whole Membership and Account rows cost a page more than the rest of its top bar."""
    rows = list(
        switcher_memberships(user_id, query).values_list("account__slug", "account__name")[
            : SWITCHER_SIZE + 1
        ]
    )
    placeholder = "switcher-slug"
    url = reverse("web:dashboard", args=[placeholder])
    entries = [
        SwitcherEntry(slug, name, url.replace(f"/{placeholder}/", f"/{slug}/", 1))
        for slug, name in rows[:SWITCHER_SIZE]
    ]
    return entries, len(rows) > SWITCHER_SIZE


class OnboardingStep(NamedTuple):
    """One step of a new account's checklist on the dashboard: its words, whether it is done, where to
    do it."""

    label: str
    done: bool
    url: str


def onboarding_steps(account: Account) -> list[OnboardingStep]:
    """What a new account still has to set up before its invoices are complete: the company's identity
    (address, and SIREN for a French company), its IBAN, its logo, a first client, a first issued
    invoice. One query (whether a client and an issued invoice exist); the rest is on the account."""
    found = (
        Account.objects.filter(pk=account.pk)
        .annotate(
            has_client=Exists(Client.objects.filter(account=account)),
            has_invoice=Exists(
                Document.objects.filter(account=account, kind=Kind.INVOICE, test=False).exclude(
                    status=Status.DRAFT
                )
            ),
        )
        .values("has_client", "has_invoice")
        .get()
    )
    identity = bool(account.street and account.post_code and account.city) and (
        bool(account.siren) or account.country != "FR"
    )
    settings_url = reverse("tenancy:account", args=[account.slug])
    return [
        OnboardingStep(_("Compléter l'identité de l'entreprise (adresse, SIREN)"), identity, settings_url),
        OnboardingStep(
            _("Indiquer l'IBAN du compte qui reçoit les paiements"), bool(account.iban), settings_url
        ),
        OnboardingStep(_("Ajouter le logo imprimé sur les documents"), bool(account.logo), settings_url),
        OnboardingStep(
            _("Créer un premier client"),
            found["has_client"],
            reverse("billing:client_new", args=[account.slug]),
        ),
        OnboardingStep(
            _("Émettre une première facture"),
            found["has_invoice"],
            reverse("billing:document_new", args=[account.slug]) + "?kind=vat",
        ),
    ]


# How many rows each group of the global search shows (its "Tout voir" link leads to the full list).
SEARCH_GROUP_SIZE = 5


class SearchHit(NamedTuple):
    label: str
    detail: str
    url: str


class SearchGroup(NamedTuple):
    title: str
    hits: list[SearchHit]
    more_url: str  # the group's list, filtered by the same words


def search(account: Account, text: str, permissions: frozenset[str]) -> list[SearchGroup]:
    """The global search of the top bar: the account's documents (number, buyer), clients, products and
    expenses matching `text`, each group only for members who may see it, at most SEARCH_GROUP_SIZE
    rows each. Every group goes through its list's own query helper, scoped to `account`: one query a
    group (two for documents, whose search reads the matching clients first)."""
    text = text.strip()
    if not text:
        return []
    slug = account.slug
    query = urlencode({"q": text})
    groups = []
    if "sales.view" in permissions:
        documents = billing_queries.document_page(
            billing_queries.filtered_documents(account, billing_queries.DocumentFilters(search=text)),
            "-date",
            0,
            SEARCH_GROUP_SIZE,
        )
        groups.append(
            SearchGroup(
                _("Documents"),
                [
                    SearchHit(
                        f"{document.get_kind_display()} {document.number or _('(brouillon)')}",
                        f"{document.buyer_name or (document.client.name if document.client_id else '')} · "
                        f"{money_text(document.gross_total, document.currency)}",
                        reverse("billing:document_detail", args=[slug, document.pk]),
                    )
                    for document in documents
                ],
                reverse("billing:document_list", args=[slug]) + f"?{query}",
            )
        )
    if "clients.view" in permissions:
        clients = client_queries.clients(
            account, client_queries.ClientFilters(text=text, archived=client_queries.ALL)
        )
        groups.append(
            SearchGroup(
                _("Clients"),
                [
                    SearchHit(client.name, " ".join(filter(None, [client.post_code, client.city])),
                              reverse("billing:client_detail", args=[slug, client.pk]))
                    for client in clients.only("id", "name", "post_code", "city")[:SEARCH_GROUP_SIZE]
                ],
                reverse("billing:client_list", args=[slug]) + f"?{query}&archived=all",
            )
        )  # fmt: skip
    if "products.view" in permissions:
        products = client_queries.products(
            account, client_queries.ProductFilters(text=text, archived=client_queries.ALL)
        )
        groups.append(
            SearchGroup(
                _("Produits"),
                [
                    SearchHit(product.name, product.code, reverse("billing:product_list", args=[slug]) + "?" + urlencode({"q": product.name, "archived": "all"}))
                    for product in products.only("id", "name", "code")[:SEARCH_GROUP_SIZE]
                ],
                reverse("billing:product_list", args=[slug]) + f"?{query}&archived=all",
            )
        )  # fmt: skip
    if "purchases.view" in permissions:
        expenses = purchase_queries.expenses(account, purchase_queries.ExpenseFilters(text=text))
        groups.append(
            SearchGroup(
                _("Dépenses"),
                [
                    SearchHit(
                        f"{expense.supplier.name} {expense.supplier_number}".strip(),
                        f"{formats.date_format(expense.issue_date, 'SHORT_DATE_FORMAT')} · "
                        f"{money_text(expense.gross_total, expense.currency)}",
                        reverse("purchases:expense_detail", args=[slug, expense.pk]),
                    )
                    for expense in expenses[:SEARCH_GROUP_SIZE]
                ],
                reverse("purchases:expense_list", args=[slug]) + f"?{query}",
            )
        )
    return [group for group in groups if group.hits]
