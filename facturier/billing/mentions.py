"""The mentions an invoice must carry (art. 242 nonies A of annex II to the CGI, art. L441-9 and R123-237
of the code de commerce, with the additions of décret 2022-1299: the buyer's SIREN, the delivery address,
the category of the operation, the VAT-on-debits option) and what a document would lack of them.

What the document itself gives (number, dates, lines, rates, the category of the operation, the delivery
address typed on it, the exemption and reverse-charge wording, the débits option) is printed from it by
pdf.py; what can be missing comes from elsewhere: the seller's identity (Paramètres > Votre compte,
Paramètres > Facturation) and the buyer's record. One list, read by the new-document form before the
first save, by issuing (a refusal, through events.issuing) and so by the API (its 422).
"""

from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _

from facturier.billing import snapshots
from facturier.billing.models import INVOICE_KINDS, BillingSettings, Client, Document, Kind, PaymentMethod
from facturier.lib import vat
from facturier.tenancy.errors import ServiceError
from facturier.tenancy.models import Account

# Where the user fills what is missing: the page each `Missing.setting` links to.
COMPANY, BILLING, CLIENT = "company", "billing", "client"
# Categories whose mention needs the buyer's VAT number (art. 242 nonies A, I-2° and 13°).
_BUYER_VAT_CATEGORIES = frozenset({vat.REVERSE_CHARGE, vat.INTRA_EU})


@dataclass(frozen=True)
class Missing:
    message: str
    setting: str  # COMPANY, BILLING or CLIENT
    # False: a warning only (the IBAN of a transfer is no legal mention, but the buyer needs it to pay).
    blocking: bool = True


@dataclass(frozen=True)
class Buyer:
    """The buyer as a document prints it (its frozen block) or as its client is now (a draft)."""

    name: str
    is_company: bool
    siren: str
    vat_number: str
    street: str
    city: str
    country: str

    @classmethod
    def of_client(cls, client: Client) -> "Buyer":
        full_name = " ".join(part for part in (client.first_name, client.last_name) if part)
        return cls(
            client.name or full_name,
            client.is_company,
            client.siren,
            client.vat_number,
            client.street,
            client.city,
            client.country,
        )

    @classmethod
    def of_document(cls, document: Document) -> "Buyer":
        return cls(
            document.buyer_name,
            document.buyer_is_company,
            document.buyer_siren,
            document.buyer_vat_number,
            document.buyer_street,
            document.buyer_city,
            document.buyer_country,
        )


class MissingMentionsError(ServiceError):
    """Issuing refused: the document would lack mentions the law requires (`missing`, for links)."""

    def __init__(self, missing: list[Missing]) -> None:
        places = {
            COMPANY: _("Paramètres > Votre compte"),
            BILLING: _("Paramètres > Facturation"),
            CLIENT: _("la fiche du client"),
        }
        where = " ; ".join(f"{entry.message} ({places[entry.setting]})" for entry in missing)
        super().__init__(
            _("Émission impossible, mentions obligatoires manquantes : %(missing)s.") % {"missing": where}
        )
        self.missing = missing


def missing(
    seller: dict[str, Any],
    buyer: Buyer | None,
    *,
    kind: str,
    payment_method: str,
    iban: str,
    categories: set[str],
    reverse_charge: bool,
) -> list[Missing]:
    """What an invoice or credit note made of these would lack, blocking ones first; nothing for a quote
    or a proforma (no invoice in law). `seller`: as snapshots.seller_snapshot gives it."""
    if kind not in INVOICE_KINDS:
        return []
    found = _seller(seller)
    if buyer is not None:
        found += _buyer(buyer, categories, reverse_charge)
    if payment_method == PaymentMethod.TRANSFER and not iban and kind != Kind.CREDIT_NOTE:
        found.append(
            Missing(
                _("Paiement par virement : votre IBAN n'est pas renseigné, le client ne saura pas où payer."),
                COMPANY,
                blocking=False,
            )
        )
    return found


def _seller(seller: dict[str, Any]) -> list[Missing]:
    found = []
    if not (seller.get("street") and seller.get("post_code") and seller.get("city")):
        found.append(Missing(_("l'adresse de votre entreprise (rue, code postal, ville)"), COMPANY))
    if seller.get("country", "FR") in ("", "FR") and not seller.get("siren"):
        found.append(Missing(_("le SIREN de votre entreprise"), COMPANY))
    if not seller.get("vat_number") and not seller.get("vat_franchise"):
        found.append(
            Missing(
                _(
                    "le numéro de TVA intracommunautaire de votre entreprise (ou, si elle est en franchise "
                    "en base, cochez la franchise dans les paramètres de facturation)"
                ),
                COMPANY,
            )
        )
    return found


def _buyer(buyer: Buyer, categories: set[str], reverse_charge: bool) -> list[Missing]:
    found = []
    name = buyer.name
    if not name.strip():
        found.append(Missing(_("le nom du client"), CLIENT))
    if buyer.is_company and not (buyer.street and buyer.city):
        found.append(Missing(_("l'adresse du client %(name)s (rue, ville)") % {"name": name}, CLIENT))
    if buyer.is_company and buyer.country in ("", "FR") and not buyer.siren:
        found.append(
            Missing(_("le SIREN du client %(name)s (entreprise française)") % {"name": name}, CLIENT)
        )
    if (reverse_charge or categories & _BUYER_VAT_CATEGORIES) and not buyer.vat_number:
        found.append(
            Missing(
                _("le numéro de TVA du client %(name)s (autoliquidation ou livraison intracommunautaire)")
                % {"name": name},
                CLIENT,
            )
        )
    return found


def for_draft(
    account: Account,
    billing_settings: BillingSettings,
    client: Client | None,
    *,
    kind: str,
    payment_method: str,
    categories: set[str],
    reverse_charge: bool,
) -> list[Missing]:
    """What a document being written would lack if issued now (the form, before any save)."""
    seller = snapshots.seller_snapshot(account, billing_settings)
    buyer = Buyer.of_client(client) if client is not None else None
    return missing(
        seller,
        buyer,
        kind=kind,
        payment_method=payment_method,
        iban=account.iban,
        categories=categories,
        reverse_charge=reverse_charge,
    )


def ensure_complete(document: Document) -> None:
    """Refuse to issue a document whose frozen seller and buyer blocks lack a required mention."""
    found = missing(
        document.seller,
        Buyer.of_document(document),
        kind=document.kind,
        payment_method=document.payment_method,
        iban=document.bank_iban,
        categories={line.vat_category for line in document.lines.all()},
        reverse_charge=document.reverse_charge,
    )
    blocking = [entry for entry in found if entry.blocking]
    if blocking:
        raise MissingMentionsError(blocking)


def on_issuing(sender: object, document: Document, **kwargs: object) -> None:
    """Receiver of events.issuing: the refusal of ensure_complete (the blocks are frozen by then)."""
    ensure_complete(document)
