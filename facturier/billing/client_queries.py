"""Reads of clients and products shared by the pages (and later the API and exports).

Each list is one query for its rows (plus the paginator's count), whatever their number.
"""

from dataclasses import dataclass
from decimal import Decimal
from typing import Any, TypeVar

from django.db.models import Q, QuerySet, Sum
from django.db.models.functions import Lower

from facturier.billing.models import Client, Document, Product
from facturier.lib.money import round_money
from facturier.tenancy.models import Account

# ?sort= values → ORDER BY; "-" in front reverses. Only these reach the database.
# Names sort without regard to case ("bernard" between "Alpha" and "Zeta").
_NAME, _NAME_DESC = Lower("name").asc(), Lower("name").desc()
CLIENT_SORTS: dict[str, list[Any]] = {
    "name": [_NAME, "pk"],
    "-name": [_NAME_DESC, "-pk"],
    "created": ["created_at", "pk"],
    "-created": ["-created_at", "-pk"],
    "city": [Lower("city").asc(), _NAME, "pk"],
    "-city": [Lower("city").desc(), _NAME, "pk"],
    "country": ["country", _NAME, "pk"],
    "-country": ["-country", _NAME, "pk"],
}
PRODUCT_SORTS: dict[str, list[Any]] = {
    "name": [_NAME, "pk"],
    "-name": [_NAME_DESC, "-pk"],
    "code": [Lower("code").asc(), _NAME, "pk"],
    "-code": [Lower("code").desc(), _NAME, "pk"],
    "price": ["unit_price", _NAME, "pk"],
    "-price": ["-unit_price", _NAME, "pk"],
    "created": ["created_at", "pk"],
    "-created": ["-created_at", "-pk"],
}
DEFAULT_SORT = "name"

# Which archived rows a list shows.
ACTIVE, ARCHIVED, ALL = "active", "archived", "all"


@dataclass(frozen=True)
class ClientFilters:
    """Empty values filter nothing. `kind` "buyer" also finds clients who are both, and so on."""

    text: str = ""
    kind: str = ""
    archived: str = ACTIVE
    sort: str = DEFAULT_SORT


@dataclass(frozen=True)
class ProductFilters:
    text: str = ""
    archived: str = ACTIVE
    sort: str = DEFAULT_SORT


_Archivable = TypeVar("_Archivable", Client, Product)


def _archived(queryset: QuerySet[_Archivable], archived: str) -> QuerySet[_Archivable]:
    if archived == ACTIVE:
        return queryset.filter(archived_at__isnull=True)
    if archived == ARCHIVED:
        return queryset.filter(archived_at__isnull=False)
    return queryset


def clients(account: Account, filters: ClientFilters | None = None) -> QuerySet[Client]:
    """The account's clients, narrowed and sorted by `filters` (an unknown sort falls back to name)."""
    filters = filters or ClientFilters()
    rows = _archived(Client.objects.filter(account=account), filters.archived)
    if filters.kind in (Client.Kind.BUYER, Client.Kind.SUPPLIER):
        rows = rows.filter(kind__in=[filters.kind, Client.Kind.BOTH])
    elif filters.kind == Client.Kind.BOTH:
        rows = rows.filter(kind=Client.Kind.BOTH)
    text = filters.text.strip()
    if text:
        compact = "".join(text.split())  # identifiers are stored without spaces: "552 100 554" finds them
        rows = rows.filter(
            Q(name__icontains=text)
            | Q(email__icontains=text)
            | Q(city__icontains=text)
            | Q(siren__icontains=compact)
            | Q(siret__icontains=compact)
            | Q(vat_number__icontains=compact)
        )
    return rows.order_by(*CLIENT_SORTS.get(filters.sort, CLIENT_SORTS[DEFAULT_SORT]))


def products(account: Account, filters: ProductFilters | None = None) -> QuerySet[Product]:
    """The account's products, narrowed and sorted by `filters` (an unknown sort falls back to name)."""
    filters = filters or ProductFilters()
    rows = _archived(Product.objects.filter(account=account), filters.archived)
    text = filters.text.strip()
    if text:
        rows = rows.filter(Q(name__icontains=text) | Q(code__icontains=text))
    return rows.order_by(*PRODUCT_SORTS.get(filters.sort, PRODUCT_SORTS[DEFAULT_SORT]))


def recent_documents(client: Client, limit: int = 20) -> list[Document]:
    """The client's last sales documents, most recent first (drafts included: they are work to finish)."""
    return list(
        Document.objects.filter(account_id=client.account_id, client=client).order_by("-issue_date", "-pk")[
            :limit
        ]
    )


def unpaid_totals(client: Client) -> list[tuple[str, Decimal]]:
    """What the client still owes, per currency (amounts in different currencies do not add up), in one
    query (DocumentQuerySet.with_remaining)."""
    rows = (
        Document.objects.filter(account_id=client.account_id, client=client)
        .with_remaining()
        .values("currency")
        .annotate(total=Sum("amount_due_now"))
        .order_by("currency")
    )
    # SQLite hands back the sum of an expression unrounded (a float made Decimal): round it to the cent.
    totals = [(row["currency"], round_money(row["total"], row["currency"])) for row in rows]
    return [(currency, total) for currency, total in totals if total]


def buyer_choices(account: Account, text: str, limit: int, keep: int | None = None) -> list[Client]:
    """The active buyers whose name, email, city or identifiers match `text`, by name, at most `limit`
    (the document form's client search), with the client `keep` (the one chosen) always among them.
    One query, a second when the chosen client is not among the matches."""
    matches = list(
        clients(account, ClientFilters(text=text, kind=Client.Kind.BUYER)).only("id", "name", "country")[
            :limit
        ]
    )
    if keep is not None and all(client.pk != keep for client in matches):
        chosen = Client.objects.filter(account=account, pk=keep).exclude(kind=Client.Kind.SUPPLIER)
        matches = list(chosen.only("id", "name", "country")) + matches
    return matches
