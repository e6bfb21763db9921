"""Small builders for billing tests: clients, products and documents, made the way the app makes them.

Everything goes through the services (clients, products, documents), so a test starts from stored rows
exactly like the ones users create: totals, VAT rows, numbers, snapshots and chain hash included.
Signatures are shared by every billing test module: keep them stable.

    actor = actor_for(acme, owner)
    client = make_client(acme, name="Dupont SARL")
    invoice = make_invoice(actor, client)                       # issued, one line 100.00 + 20 %
    draft = make_invoice(acme, client, issue=False, lines=[line("Conseil", "2", "350", "10")])
"""

import datetime
from decimal import Decimal
from typing import Any

from facturier.accounts.models import User
from facturier.billing.models import Client, Document, Product
from facturier.billing.services.clients import create_client
from facturier.billing.services.documents import DocumentInput, LineInput, create_document
from facturier.billing.services.products import create_product
from facturier.tenancy.access import Actor
from facturier.tenancy.models import Account, Membership


def actor_for(account: Account, user: User) -> Actor:
    """The actor a page would build for `user` acting in `account` (their membership decides)."""
    membership = Membership.objects.select_related("custom_role", "firm").get(account=account, user=user)
    return Actor(user=user, membership=membership)


def make_client(account: Account, **fields: Any) -> Client:
    """A French company buyer, created by the clients service (as the system); any field of
    services.clients.CLIENT_FIELDS can be overridden."""
    values: dict[str, Any] = {
        "name": "Dupont SARL",
        "is_company": True,
        "siren": "552100554",
        "vat_number": "FR96552100554",
        "street": "12 rue de la Paix",
        "post_code": "75002",
        "city": "Paris",
        "country": "FR",
        "email": "compta@dupont.test",
        "payment_terms_days": 30,
    }
    values.update(fields)
    return create_client(Actor.system(), account, **values)


def make_product(account: Account, **fields: Any) -> Product:
    """A service sold 100.00 net at 20 %, created by the products service (as the system)."""
    values: dict[str, Any] = {
        "name": "Conseil",
        "unit": "h",
        "unit_price": Decimal("100.00"),
        "vat_rate": Decimal("20"),
    }
    values.update(fields)
    return create_product(Actor.system(), account, **values)


def line(
    name: str = "Prestation",
    quantity: str | Decimal = "1",
    unit_price: str | Decimal = "100.00",
    vat_rate: str | Decimal = "20",
    **fields: Any,
) -> LineInput:
    """A LineInput from short text amounts: line("Conseil", "2", "350", "10")."""
    return LineInput(
        name=name,
        quantity=Decimal(quantity),
        unit_price=Decimal(unit_price),
        vat_rate=Decimal(vat_rate),
        **fields,
    )


def make_invoice(
    actor_or_account: Actor | Account,
    client: Client,
    lines: list[LineInput] | None = None,
    issue: bool = True,
    **fields: Any,
) -> Document:
    """A sales document for `client` (an invoice unless `kind=` says otherwise), issued by default.

    `actor_or_account`: an Actor, or an Account to act as the system (no permission checks).
    `fields`: any DocumentInput field (kind, issue_date, currency, due_date...). The issue date defaults
    to the account's today.
    """
    if isinstance(actor_or_account, Account):
        actor, account = Actor.system(), actor_or_account
    else:
        actor, account = actor_or_account, _account_of(actor_or_account, client)
    values: dict[str, Any] = {"kind": "vat", "issue_date": account.today()}
    values.update(fields)
    data = DocumentInput(client_id=client.pk, lines=lines if lines is not None else [line()], **values)
    return create_document(actor, account, data, issue=issue)


def _account_of(actor: Actor, client: Client) -> Account:
    return actor.membership.account if actor.membership else client.account


def days_ago(account: Account, days: int) -> datetime.date:
    return account.today() - datetime.timedelta(days=days)
