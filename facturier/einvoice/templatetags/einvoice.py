"""`{% einvoice_state document as einvoice %}`: what the document's pages show about e-invoicing (its
problems, whether it can be downloaded as Factur-X, CII and UBL, whether issuing would be refused),
without the billing views knowing about e-invoicing."""

from dataclasses import dataclass, field

from django import template

from facturier.billing.models import Document
from facturier.einvoice import policy, ubl
from facturier.einvoice.models import EInvoiceSettings

register = template.Library()


@dataclass(frozen=True)
class EInvoiceState:
    problems: list[str] = field(default_factory=list)
    # Issued invoice or credit note with no problem: the Factur-X, CII and UBL links are shown.
    downloads: bool = False
    # A draft the account may not issue as it stands (it issues e-invoices): the warning says so.
    refused_at_issue: bool = False
    # The UBL served by default (ubl.variant_for): Peppol BIS for a company abroad, French CTC otherwise.
    ubl_peppol: bool = False
    # On a draft served as Peppol: what its Peppol UBL would lack (a warning, issuing is not refused).
    peppol_problems: list[str] = field(default_factory=list)


@register.simple_tag
def einvoice_state(document: Document | None) -> EInvoiceState:
    if document is None or document.pk is None or not policy.is_einvoice_kind(document):
        return EInvoiceState()
    found = policy.problems(document)
    return EInvoiceState(
        problems=found,
        downloads=policy.can_download(document) and not found,
        ubl_peppol=ubl.variant_for(document) == ubl.PEPPOL,
        peppol_problems=ubl.draft_problems(document) if document.is_draft else [],
        refused_at_issue=bool(found)
        and document.is_draft
        and policy.must_be_einvoice(document)
        and EInvoiceSettings.read(document.account).issues_einvoices,
    )
