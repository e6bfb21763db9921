"""Downloads of an issued invoice or credit note as an e-invoice: Factur-X (PDF with its CII XML), the
bare CII XML and the UBL XML. Whoever can see the document can download them (sales.view).

Another kind of document (a quote, a draft) has no e-invoice: a 404. An invoice that could not make a
valid e-invoice is sent back to its page with the list of what is missing (the page shows it too).
"""

from collections.abc import Callable

from django.contrib import messages
from django.db.models import QuerySet
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _

from facturier.billing import pdf
from facturier.billing.models import Document
from facturier.einvoice import policy, ubl
from facturier.tenancy.access import AccountRequest, account_view, get_in_account
from facturier.tenancy.errors import ServiceError


def _documents() -> QuerySet[Document]:
    return Document.objects.printable()


def _stem(document: Document) -> str:
    """F-2026-0001 for F-2026-0001.pdf (the PDF's name, "/" already replaced)."""
    return pdf.pdf_filename(document).removesuffix(".pdf")


def _download(
    request: AccountRequest,
    pk: int,
    make: Callable[[Document], bytes],
    content_type: str,
    name: Callable[[Document], str],
) -> HttpResponse:
    document = get_in_account(_documents(), request.account, pk=pk)
    if not policy.can_download(document):
        raise Http404(_("Seuls les factures et les avoirs émis existent en facture électronique."))
    try:
        policy.ensure_downloadable(document)
        content = make(document)
    except ServiceError as error:
        messages.error(request, error.message)
        return redirect("billing:document_detail", slug=request.account.slug, pk=document.pk)
    response = HttpResponse(content, content_type=content_type)
    disposition = content_disposition_header(True, name(document))  # RFC 6266 for non-ASCII names
    if disposition:
        response["Content-Disposition"] = disposition
    return response


@account_view("sales.view")
def document_facturx(request: AccountRequest, pk: int) -> HttpResponse:
    return _download(request, pk, policy.facturx_pdf, "application/pdf", pdf.pdf_filename)


@account_view("sales.view")
def document_cii(request: AccountRequest, pk: int) -> HttpResponse:
    return _download(
        request, pk, policy.cii_xml, "application/xml", lambda document: f"{_stem(document)}.xml"
    )


@account_view("sales.view")
def document_ubl(request: AccountRequest, pk: int) -> HttpResponse:
    """The UBL of the variant the document calls for (ubl.variant_for), or of `?variant=peppol|fr-ctc`."""
    requested = request.GET.get("variant") or None

    def make(document: Document) -> bytes:
        try:
            variant = ubl.variant_for(document, requested)
        except ValueError:
            raise ServiceError(
                _("Variante UBL inconnue : choisissez %(choices)s.") % {"choices": ", ".join(ubl.VARIANTS)}
            ) from None
        return ubl.ubl_xml(document, variant)

    return _download(request, pk, make, "application/xml", lambda document: f"{_stem(document)}-ubl.xml")
