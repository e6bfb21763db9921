"""The buyer and seller blocks of a sales document: kept current on drafts, frozen when it is issued.

Issuing (billing.services.documents.issue) copies them onto the document; the e-invoice of a draft and the
dataset generator use the same functions, so every copy of a party reads the same fields.
"""

from typing import Any

from facturier.billing.models import BillingSettings, Client, Document
from facturier.tenancy.models import Account


def copy_buyer(document: Document, client: Client) -> None:
    """The buyer block: kept current on drafts, frozen at issue."""
    full_name = " ".join(part for part in (client.first_name, client.last_name) if part)
    document.buyer_name = client.name or full_name
    document.buyer_is_company = client.is_company
    document.buyer_siren = client.siren
    document.buyer_vat_number = client.vat_number
    document.buyer_street = client.street
    document.buyer_post_code = client.post_code
    document.buyer_city = client.city
    document.buyer_country = client.country
    document.buyer_invoice_reference = client.invoice_reference
    document.buyer_sepa_mandate = client.sepa_mandate


def seller_snapshot(account: Account, billing_settings: BillingSettings) -> dict[str, Any]:
    """The seller block as printed at issue: identity, legal mentions and payment terms of that day."""
    return {
        "name": account.name,
        "legal_name": account.legal_name or account.name,
        "street": account.street,
        "post_code": account.post_code,
        "city": account.city,
        "country": account.country,
        "siren": account.siren,
        "siret": account.siret,
        "vat_number": account.vat_number,
        "iban": account.iban,
        "bic": account.bic,
        "legal_form": billing_settings.legal_form,
        "share_capital": billing_settings.share_capital,
        "rcs_city": billing_settings.rcs_city,
        "vat_on_debits": billing_settings.vat_on_debits,
        "vat_franchise": billing_settings.vat_franchise,
        "late_penalty_text": billing_settings.late_penalty_text,
        "early_payment_discount_text": billing_settings.early_payment_discount_text,
    }
