"""A sales document as a PDF, as a page to print, and sent by email.

The PDF and the print page show the same content (billing/pdf.py builds it once, in the document's
language). Reading needs sales.view and works on drafts (watermarked) and on read-only accounts;
sending needs sales.edit and goes through services/sending.py.
"""

from django.contrib import messages
from django.db.models import QuerySet
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from facturier.billing import issued, pdf, statements
from facturier.billing.forms.sending import SendDocumentForm
from facturier.billing.models import Document, EmailDelivery
from facturier.billing.services import sending
from facturier.billing.views import pdf_response
from facturier.tenancy.access import AccountRequest, account_view, actor_for, get_in_account
from facturier.tenancy.errors import ServiceError


def _documents() -> QuerySet[Document]:
    # Everything the payload reads, in a fixed number of queries whatever the number of lines.
    return Document.objects.printable()


def _wants(request: AccountRequest, flag: str) -> bool:
    return request.GET.get(flag) == "1"


@account_view("sales.view")
def document_pdf(request: AccountRequest, pk: int) -> HttpResponse:
    """The PDF as a download (?inline=1 shows it in the browser, ?duplicate=1 marks it DUPLICATA)."""
    document = get_in_account(_documents(), request.account, pk=pk)
    content = issued.document_pdf(document, duplicate=_wants(request, "duplicate"))
    return pdf_response(content, pdf.pdf_filename(document), inline=_wants(request, "inline"))


@account_view("sales.view")
def document_statement(request: AccountRequest, pk: int) -> HttpResponse:
    """The payment statement of an issued payable document, as of today (made on demand, never kept)."""
    document = get_in_account(_documents(), request.account, pk=pk)
    if not statements.has_statement(document):
        raise Http404
    content = statements.document_statement_pdf(document, request.account.today())
    return pdf_response(content, statements.statement_filename(document), inline=_wants(request, "inline"))


@account_view("sales.view")
def document_print(request: AccountRequest, pk: int) -> HttpResponse:
    document = get_in_account(_documents(), request.account, pk=pk)
    duplicate = _wants(request, "duplicate")
    return render(
        request,
        "billing/document_print.html",
        {
            "account": request.account,
            "document": document,
            "doc": pdf.build_payload(document, duplicate=duplicate),
            "logo": pdf.logo_data_uri(document.account),
            "duplicate": duplicate,
        },
    )


@account_view("sales.edit")
def document_send(request: AccountRequest, pk: int) -> HttpResponse:
    document = get_in_account(_documents(), request.account, pk=pk)
    if request.method == "POST":
        form = SendDocumentForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                sending.send_document(
                    actor_for(request),
                    document,
                    to=data["to"],
                    cc=data["cc"],
                    subject=data["subject"],
                    body=data["body"],
                    force=data["force"],
                )
            except ServiceError as error:
                error.show_on(form)
            else:
                messages.success(request, _("Document envoyé à %(to)s.") % {"to": ", ".join(data["to"])})
                return redirect("billing:document_detail", slug=request.account.slug, pk=document.pk)
    else:
        form = SendDocumentForm(
            initial=SendDocumentForm.initial_for(document) if not document.is_draft else None
        )
    recently_sent = sending.recently_emailed(document) is not None
    return render(
        request,
        "billing/document_send.html",
        {
            "account": request.account,
            "document": document,
            "form": form,
            "recently_sent": recently_sent or "force" in form.errors,
            "filename": pdf.pdf_filename(document),
            "deliveries": document.deliveries.select_related("sent_by").order_by("-sent_at")[:5],
        },
    )


@account_view("sales.edit")
@require_POST
def delivery_resend(request: AccountRequest, pk: int) -> HttpResponse:
    """Send a failed email delivery of a document again ("Renvoyer" in the document's history)."""
    delivery = get_in_account(EmailDelivery.objects.select_related("account"), request.account, pk=pk)
    try:
        sending.resend_delivery(actor_for(request), delivery)
    except ServiceError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Nouvel envoi demandé à %(to)s.") % {"to": delivery.to})
    return redirect("billing:document_detail", slug=request.account.slug, pk=delivery.document_id)
