"""The official invoice fields that Facturier reads its own way, or refuses with a 422 naming them and
saying why, so that no field sent is dropped without a word (docs/api.md, "Fidelity to the official API").

- `additional_fields`: the README sends some fields there; those the API reads anywhere are read as if
  sent beside the others, the README's display options Facturier has no place for are refused.
- `number`: numbers are given at issue, gapless, by the series of Paramètres › Facturation.
- `status: incomplete` (an invoice the buyer completes through its public link): not made.
- `exchange_currency`: the conversion of a foreign-currency document's amounts into euros, at the rate
  sent (`exchange_currency_rate`); Facturier does not fetch rates.
- `buyer_override`: the buyer fields sent with an existing client also update that client.
"""

from collections.abc import Mapping
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from facturier.api import coercion
from facturier.api import invoice_input as read
from facturier.api.clients import tax_identity
from facturier.api.errors import InputError
from facturier.billing.models import Client
from facturier.billing.services import clients as client_service
from facturier.tenancy.access import Actor
from facturier.tenancy.errors import ServiceError

ACCOUNT_CURRENCY = "EUR"

# What `additional_fields` may carry besides the fields the API reads anywhere.
UNKEPT_ADDITIONAL_FIELDS = {
    "title": gettext_lazy("Facturier n'a pas d'objet de document : mettez-le dans description."),
    "additional_invoice_field": gettext_lazy(
        "Facturier n'a pas de champ additionnel de document : mettez son contenu dans description."
    ),
    "buyer_title": gettext_lazy("Facturier n'imprime pas de civilité : mettez-la dans buyer_name."),
    "tva_number": gettext_lazy("Envoyez le numéro de TVA de l'acheteur dans buyer_tax_no."),
    "sum_recovery": gettext_lazy(
        "Facturier imprime l'indemnité forfaitaire de recouvrement de 40 € d'après le client : sur chaque "
        "facture à un professionnel (buyer_company), comme la loi le demande."
    ),
    "interest_rate": gettext_lazy(
        "Les pénalités de retard sont celles de Paramètres › Facturation, les mêmes sur chaque facture."
    ),
    "advanced_payment_discount": gettext_lazy(
        "L'escompte pour paiement anticipé est celui de Paramètres › Facturation, le même sur chaque facture."
    ),
    "hide_tax": gettext_lazy(
        "Une facture montre le HT et la TVA (art. 242 nonies A de l'annexe II du CGI) : Facturier ne les "
        "cache pas."
    ),
}
# The names the API reads in an invoice body, wherever they come from.
READ_NAMES = frozenset(
    field.api_name for field in [*read.FIELDS, *read.BUYER_FIELDS, *read.ISSUED_FIELDS]
) | {
    "client_id", "positions", "status", "calculating_strategy", "discount_kind", "show_discount",
    "exchange_currency", "exchange_kind", "buyer_override", "identify_oss", "force_tax_oss",
    "oss_force_tax", "number", "test",
}  # fmt: skip


# The keys read here, for the OpenAPI document (invoices.REQUEST).
SCHEMA_FIELDS = [
    coercion.Field("discount_kind", "discount_kind"),
    coercion.Field("show_discount", "show_discount", coercion.to_bool),
    coercion.Field("exchange_currency", "exchange_currency", coercion.to_code),
    coercion.Field("exchange_kind", "exchange_kind"),
    coercion.Field("buyer_override", "buyer_override", coercion.to_bool),
    coercion.Field("additional_fields", "additional_fields", coercion.to_object),
]


def with_additional_fields(data: dict[str, Any]) -> dict[str, Any]:
    """The body with the fields of `additional_fields` beside the others (the body's own win); a field
    there that the API does not read is refused, naming it."""
    extra = data.get("additional_fields")
    if coercion.is_absent(extra) or extra == "":
        return data
    if not isinstance(extra, Mapping):
        raise InputError.on("additional_fields", _('Envoyez un objet : {"champ": valeur}.'))
    for name, value in extra.items():
        if name in READ_NAMES or coercion.is_absent(value) or value == "":
            continue
        reason = UNKEPT_ADDITIONAL_FIELDS.get(name)
        raise InputError.on(
            f"additional_fields.{name}"[:80],
            str(reason) if reason else _("Facturier ne connaît pas ce champ : il ne serait pas gardé."),
        )
    return {**{k: v for k, v in extra.items() if k in READ_NAMES}, **data}


def refuse_unfollowed(data: Mapping[str, Any], *, numbered_at_issue: bool) -> None:
    """Refuse (422) the fields of a sales document's body that Facturier cannot honour as asked.
    `numbered_at_issue`: the body makes a document or edits a draft (an issued one keeps its number,
    which the legal-change check compares)."""
    number = data.get("number")
    if numbered_at_issue and not coercion.is_absent(number) and str(number).strip():
        raise InputError.on(
            "number",
            _(
                "Facturier numérote les documents à leur émission, sans trou, dans la série de leur type "
                "(Paramètres › Facturation) : n'envoyez pas de numéro."
            ),
        )
    status = data.get("status")
    if isinstance(status, str) and status.strip().lower() == "incomplete":
        raise InputError.on(
            "status",
            _(
                "Facturier ne fait pas de factures à compléter par l'acheteur : créez un brouillon "
                '("status": "draft") et complétez-le avant de l\'émettre.'
            ),
        )
    read.check_discounts(data)


def exchange_rate_checked(data: Mapping[str, Any], currency: str, rate_sent: bool) -> None:
    """`exchange_currency`: only into euros, the books' currency, at the rate sent; and a document in
    another currency than the euro needs its rate (`exchange_currency_rate`), as on the form."""
    target = data.get("exchange_currency")
    if not coercion.is_absent(target) and target != "":
        code = coercion.to_code(target, "exchange_currency")
        if code not in (ACCOUNT_CURRENCY, currency):
            raise InputError.on(
                "exchange_currency",
                _(
                    "Facturier convertit les montants en euros seulement, la devise de la comptabilité "
                    "(exchange_currency : EUR, avec exchange_currency_rate)."
                ),
            )
    if currency != ACCOUNT_CURRENCY and not rate_sent:
        raise InputError.on(
            "exchange_currency_rate",
            _(
                "Un document en %(currency)s a besoin de son taux de change vers l'euro (1 %(currency)s = "
                "… EUR) : Facturier ne télécharge pas de taux."
            )
            % {"currency": currency},
        )


def buyer_override(data: Mapping[str, Any]) -> bool:
    value = data.get("buyer_override")
    return not coercion.is_absent(value) and value != "" and coercion.to_bool(value, "buyer_override")


def override_buyer(actor: Actor, client: Client, buyer: read.Buyer) -> None:
    """`buyer_override: true` with an existing client: the buyer fields sent update that client (audited,
    with the clients' permission), and so the document, which copies its client."""
    fields = dict(buyer.fields)
    tax_no = fields.pop("tax_no", "")
    if tax_no:
        fields |= tax_identity(tax_no)
    # A client just made from these fields, or already holding them, needs no change (nor the right to one).
    fields = {name: value for name, value in fields.items() if getattr(client, name, None) != value}
    if not fields:
        return
    try:
        client_service.update_client(actor, client, **fields)
    except ServiceError as error:
        if error.field in read.BUYER_API_NAMES:
            error.field = read.BUYER_API_NAMES[error.field]
        raise
