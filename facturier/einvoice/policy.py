"""What the account's e-invoicing settings decide for a document: which documents are e-invoices, the
refusal at issue once the account issues e-invoices, and the file attached to emails.

billing calls in here from two places only (services/documents.issue and services/sending); the
content of the files and the list of problems are checks.py, cii.py, ubl.py and facturx.py.
"""

from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from facturier.billing import issued
from facturier.billing.models import INVOICE_KINDS, BillingSettings, Document, IssuedFile
from facturier.einvoice import checks, facturx
from facturier.einvoice.models import EInvoiceSettings
from facturier.tenancy.errors import ServiceError

# The documents that have an e-invoice: invoices in law, credit notes included (not quotes, proformas).
EINVOICE_KINDS = INVOICE_KINDS


def is_einvoice_kind(document: Document) -> bool:
    return document.kind in EINVOICE_KINDS


def can_download(document: Document) -> bool:
    """Factur-X, CII and UBL exist for issued invoices and credit notes (a draft has no number), never
    for a test document: its XML would read as a real invoice, without the mark its PDF carries."""
    return is_einvoice_kind(document) and not document.is_draft and not document.test


def problems(document: Document, billing_settings: BillingSettings | None = None) -> list[str]:
    """What keeps the document from making a valid e-invoice, for the user (empty: nothing, or not an
    invoice at all). `billing_settings`: the account's, when the caller holds them."""
    return checks.einvoice_problems(document, billing_settings)


def ensure_downloadable(document: Document) -> None:
    """Refuse to produce an e-invoice of a document that is not an issued invoice or credit note, or
    that could not make a valid one (the list of problems in the message)."""
    if document.test:
        raise ServiceError(
            _("Un document de test n'existe pas en facture électronique : il n'a pas de valeur légale.")
        )
    if not can_download(document):
        raise ServiceError(
            _("Seuls les factures et les avoirs émis existent en facture électronique (Factur-X, CII, UBL).")
        )
    found = problems(document)
    if found:
        raise ServiceError(
            _("Ce document est incomplet pour la facturation électronique : %(problems)s")
            % {"problems": " ; ".join(found)}
        )


def must_be_einvoice(document: Document) -> bool:
    """Whether the reform makes this document an e-invoice: an invoice or credit note to a company
    established in France (domestic B2B, regulatory.md §3.1). Sales to consumers and to buyers abroad
    are e-reported, not e-invoiced: for them the problems stay a warning."""
    if not is_einvoice_kind(document):
        return False
    if document.is_draft:  # the buyer block is frozen at issue: until then it is the client's
        return document.client.is_company and document.client.country in ("", "FR")
    return document.buyer_is_company and document.buyer_country in ("", "FR")


def ensure_einvoice_ready(
    document: Document,
    settings: EInvoiceSettings | None = None,
    billing_settings: BillingSettings | None = None,
) -> None:
    """Refuse to issue an invoice or credit note that could not make a valid e-invoice, once the account
    issues e-invoices (Paramètres > Facturation électronique) and the sale is domestic B2B; otherwise
    pages only warn. `settings`, `billing_settings`: the account's, when the caller holds them."""
    if not must_be_einvoice(document):
        return
    if not (settings or EInvoiceSettings.read(document.account)).issues_einvoices:
        return
    found = problems(document, billing_settings)
    if found:
        raise ServiceError(
            _("Ce document ne peut pas être émis comme facture électronique. À compléter : %(problems)s")
            % {"problems": " ; ".join(found)}
        )


def cii_xml(document: Document) -> bytes:
    """The bare CII XML of an issued document: the one inside its Factur-X (facturx_pdf: kept at issue,
    else made and kept at the first download), byte for byte, so the XML served alone is the one the
    PDF carries, whatever the account's profile became since."""
    xml = facturx.xml_from_pdf(facturx_pdf(document))
    if xml is None:  # a kept Factur-X always carries its XML; a damaged file must not pass for one
        raise ServiceError(_("La facture Factur-X conservée de ce document ne contient pas de XML."))
    return xml


def facturx_pdf(document: Document) -> bytes:
    """The Factur-X PDF of an issued document: the one kept at issue, else its kept PDF with the CII XML
    of the account's profile embedded, kept from then on (the visible part is always the PDF as issued)."""
    content = issued.stored(document, IssuedFile.Kind.FACTURX)
    if content is not None:
        return content
    content = facturx.embed_into(
        issued.issued_pdf(document), document, EInvoiceSettings.read(document.account).profile
    )
    try:
        with transaction.atomic():
            issued.keep(document, IssuedFile.Kind.FACTURX, content, at_issue=False)
    except IntegrityError:
        kept = issued.stored(Document.objects.get(pk=document.pk), IssuedFile.Kind.FACTURX)
        assert kept is not None
        return kept
    return content


def _settings_of_issue(document: Document, shared: dict[str, Any] | None) -> EInvoiceSettings:
    """The account's settings, read once per issue: `shared` is what billing hands the receivers of both
    of its signals for one issue."""
    if shared is None:
        return EInvoiceSettings.read(document.account)
    if _SHARED_KEY not in shared:
        shared[_SHARED_KEY] = EInvoiceSettings.read(document.account)
    settings = shared[_SHARED_KEY]
    assert isinstance(settings, EInvoiceSettings)
    return settings


_SHARED_KEY = "einvoice.settings"


def on_issuing(
    sender: object,
    document: Document,
    billing_settings: BillingSettings | None = None,
    shared: dict[str, Any] | None = None,
    **kwargs: object,
) -> None:
    """Receiver of billing.events.issuing: the refusal of ensure_einvoice_ready."""
    if must_be_einvoice(document):
        ensure_einvoice_ready(document, _settings_of_issue(document, shared), billing_settings)


def on_issued(
    sender: object,
    document: Document,
    pdf: bytes,
    billing_settings: BillingSettings | None = None,
    shared: dict[str, Any] | None = None,
    **kwargs: object,
) -> tuple[str, bytes] | None:
    """Receiver of billing.events.issued: an account that issues e-invoices or attaches them to its
    e-mails keeps the Factur-X of each complete invoice or credit note, made of the PDF just kept
    (returned: billing keeps it with the PDF)."""
    if not can_download(document):
        return None
    settings = _settings_of_issue(document, shared)
    if not (settings.issues_einvoices or settings.attach_to_emails):
        return None
    if problems(document, billing_settings):
        return None
    return IssuedFile.Kind.FACTURX, facturx.embed_into(pdf, document, settings.profile, billing_settings)


def on_email_attachment(sender: object, document: Document, **kwargs: object) -> bytes | None:
    """Receiver of billing.events.email_attachment: the Factur-X when the account attaches it and the
    document is a complete invoice or credit note; None leaves the kept PDF (same file name)."""
    settings = EInvoiceSettings.read(document.account)
    if settings.attach_to_emails and can_download(document) and not problems(document):
        return facturx_pdf(document)
    return None
