"""What would keep a document from giving a valid e-invoice, in words the user can act on.

Only what really makes our XML invalid (EN 16931 and its Factur-X schematron) or rejected by the French
platform rules (BR-FR): the form shows these as warnings while e-invoicing is optional for the account,
and issuing refuses them once it is mandatory. Works on drafts: the seller and buyer are read as issuing
would freeze them (data.as_issued).
"""

from decimal import Decimal

from django.utils.translation import gettext as _

from facturier.billing.models import (
    INVOICE_KINDS,
    BillingSettings,
    Document,
    DocumentLine,
    Kind,
    PaymentMethod,
)
from facturier.einvoice import data
from facturier.lib import vat

# BR-FR-16: the VAT rates the French platforms accept.
FRENCH_PLATFORM_RATES = frozenset(
    Decimal(rate) for rate in ("0", "0.9", "1.05", "1.75", "2.1", "5.5", "7", "8.5", "9.2", "9.6", "10",
                               "13", "19.6", "20", "20.6")
)  # fmt: skip
_SIREN_LENGTH = 9


def einvoice_problems(document: Document, billing_settings: BillingSettings | None = None) -> list[str]:
    """Translated messages, one per problem, empty when the document can be issued as an e-invoice.
    `billing_settings`: the account's, when the caller holds them.

    Quotes and proformas are no invoices: they have no e-invoice and so no problem."""
    if document.kind not in INVOICE_KINDS:
        return []
    document, seller = data.as_issued(document, billing_settings)
    problems: list[str] = []
    lines = list(document.lines.all())
    categories = {line.vat_category for line in lines}
    problems += _number_problems(document)
    problems += _seller_problems(seller, categories)
    problems += _buyer_problems(document, categories)
    problems += _line_problems(document, lines, categories)
    iban = document.bank_iban or seller.get("iban", "")
    if document.payment_method == PaymentMethod.TRANSFER and not iban:
        problems.append(
            _(
                "Paiement par virement sans IBAN : indiquez l'IBAN du compte dans les paramètres de l'entreprise."
            )
        )
    return problems


def _number_problems(document: Document) -> list[str]:
    problems = []
    if document.number and not data.NUMBER_PATTERN.fullmatch(document.number):
        problems.append(
            _(
                "Le numéro %(number)s ne convient pas à une facture électronique : 35 caractères au plus, "
                "lettres sans accent, chiffres et + - _ / seulement."
            )
            % {"number": document.number}
        )
    corrected = document.corrected_document if document.kind == Kind.CREDIT_NOTE else None
    if corrected is not None and not data.NUMBER_PATTERN.fullmatch(corrected.number or ""):
        problems.append(
            _("Le numéro de la facture corrigée (%(number)s) ne convient pas à une facture électronique.")
            % {"number": corrected.number}
        )
    return problems


def _seller_problems(seller: dict[str, str], categories: set[str]) -> list[str]:
    problems = []
    siren = seller.get("siren", "")
    if not (siren.isdigit() and len(siren) == _SIREN_LENGTH):
        problems.append(
            _("Le SIREN de votre entreprise manque : indiquez-le dans les paramètres de l'entreprise.")
        )
    # A seller under the franchise (art. 293 B CGI) usually has no VAT number: BT-32 identifies it.
    if not seller.get("vat_number") and not seller.get("vat_franchise") and categories - {vat.OUTSIDE_SCOPE}:
        problems.append(
            _(
                "Le numéro de TVA intracommunautaire de votre entreprise manque : indiquez-le dans les "
                "paramètres de l'entreprise."
            )
        )
    if not (seller.get("street") and seller.get("post_code") and seller.get("city")):
        problems.append(
            _(
                "L'adresse de votre entreprise est incomplète (rue, code postal, ville) : complétez-la dans les "
                "paramètres de l'entreprise."
            )
        )
    if not seller.get("country"):
        problems.append(_("Le pays de votre entreprise manque."))
    return problems


def _buyer_problems(document: Document, categories: set[str]) -> list[str]:
    problems = []
    name = document.buyer_name
    if not document.buyer_country:
        problems.append(_("Le pays du client %(name)s manque.") % {"name": name})
    if not (document.buyer_street and document.buyer_city):
        problems.append(_("L'adresse du client %(name)s est incomplète (rue, ville).") % {"name": name})
    french_company = document.buyer_is_company and document.buyer_country == "FR"
    if french_company and not (document.buyer_siren.isdigit() and len(document.buyer_siren) == _SIREN_LENGTH):
        problems.append(
            _("Le client %(name)s est une entreprise française : indiquez son SIREN sur sa fiche.")
            % {"name": name}
        )
    elif not (document.buyer_is_company and document.buyer_siren) and not data.buyer_email(document):
        problems.append(
            _(
                "Le client %(name)s n'a ni SIREN ni adresse email : une facture électronique doit indiquer "
                "l'adresse électronique de l'acheteur. Ajoutez son email sur sa fiche."
            )
            % {"name": name}
        )
    if vat.INTRA_EU in categories and not document.buyer_vat_number:
        problems.append(
            _("Livraison intracommunautaire : indiquez le numéro de TVA du client %(name)s sur sa fiche.")
            % {"name": name}
        )
    if vat.REVERSE_CHARGE in categories and not (document.buyer_vat_number or document.buyer_siren):
        problems.append(
            _("Autoliquidation : indiquez le numéro de TVA ou le SIREN du client %(name)s sur sa fiche.")
            % {"name": name}
        )
    return problems


def _line_problems(document: Document, lines: list[DocumentLine], categories: set[str]) -> list[str]:
    if not lines:
        return [_("Le document n'a aucune ligne.")]
    problems = []
    b2b = document.buyer_is_company
    for position, line in enumerate(lines, start=1):
        where = _("Ligne %(n)d") % {"n": position}
        if line.vat_category not in (vat.STANDARD, vat.ZERO_RATED) and not line.exemption_reason.strip():
            problems.append(
                _("%(where)s : indiquez la mention d'exonération (motif de l'absence de TVA).")
                % {"where": where}
            )
        if line.unit_price <= 0:
            problems.append(
                _("%(where)s : le prix unitaire doit être supérieur à zéro dans une facture électronique.")
                % {"where": where}
            )
        rate = line.vat_rate if line.vat_category == vat.STANDARD else Decimal(0)
        if b2b and rate not in FRENCH_PLATFORM_RATES:
            problems.append(
                _(
                    "%(where)s : le taux de TVA de %(rate)s %% n'est pas accepté par les plateformes françaises."
                )
                % {"where": where, "rate": rate.normalize()}
            )
    if vat.OUTSIDE_SCOPE in categories and len(categories) > 1:
        problems.append(
            _(
                "Une opération hors champ de la TVA ne peut pas figurer sur la même facture électronique que "
                "des lignes soumises à la TVA : faites deux factures."
            )
        )
    return problems
