"""Ventes: the list of sales documents, the draft form with its live totals, the detail page and the
actions on a document (issue, delete, credit note, conversion, answer to a quote, duplicate).

Rows come through the access gate (another account's document is a 404) and billing/queries.py;
every write goes through billing/services, which check permissions, lock date and state again.
"""

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Q
from django.http import Http404, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from facturier.billing import client_queries, mentions, queries, statements
from facturier.billing.forms.clients import QuickClientForm
from facturier.billing.forms.documents import (
    MAX_LINES,
    ConvertForm,
    CreditNoteForm,
    DocumentFilterForm,
    DocumentForm,
    IssuedDocumentForm,
    document_initial,
    issued_initial,
    line_formset,
    line_initial,
    oss_rate_table,
    vat_label,
)
from facturier.billing.models import (
    DEDUCTIBLE_ADVANCE_STATUSES,
    PAYABLE_KINDS,
    Client,
    Document,
    DocumentLine,
    Kind,
    PaymentMethod,
    Product,
    Status,
)
from facturier.billing.services import documents as services
from facturier.billing.services import payments as payment_services
from facturier.billing.services.billing_settings import settings_for
from facturier.billing.services.documents import LineInput
from facturier.billing.totals import Totals
from facturier.lib import vat as vat_rules
from facturier.lib.filters import parse_count, parse_id, search_text
from facturier.lib.vat import oss_destination
from facturier.tenancy.access import AccountRequest, account_view, actor_for, get_in_account
from facturier.tenancy.errors import ServiceError
from facturier.tenancy.models import Account

# What a new document can be; credit notes come from an invoice, final invoices from a quote.
NEW_KINDS = [Kind.INVOICE, Kind.ESTIMATE, Kind.PROFORMA, Kind.ADVANCE, Kind.RECEIPT]
LIST_COLUMNS = [
    ("number", gettext_lazy("Numéro")),
    ("date", gettext_lazy("Date")),
    ("client", gettext_lazy("Client")),
    ("total", gettext_lazy("Total TTC")),
    ("due", gettext_lazy("Échéance")),
]


# --- Helpers --------------------------------------------------------------------------------------


def _document(request: AccountRequest, pk: int) -> Document:
    return get_in_account(Document.objects.select_related("client"), request.account, pk=pk)


def _to_detail(document: Document) -> HttpResponse:
    return redirect("billing:document_detail", slug=document.account.slug, pk=document.pk)


def _buyers(account: Account, also: int | None = None) -> list[Client]:
    """Clients a document can be made out to: active buyers, and the document's own client."""
    wanted = Q(archived_at__isnull=True) & ~Q(kind=Client.Kind.SUPPLIER)
    if also:
        wanted |= Q(pk=also)
    return list(Client.objects.filter(wanted, account=account).only("id", "name", "country").order_by("name"))


def _products(account: Account, also: set[int] | None = None) -> list[Product]:
    wanted = Q(archived_at__isnull=True)
    if also:
        wanted |= Q(pk__in=also)
    return list(Product.objects.filter(wanted, account=account).order_by("name"))


def _kinds(document: Document | None) -> list[tuple[str, Any]]:
    # A credit note stays one, and a final invoice stays tied to its advances: their kind is fixed.
    if document is not None and document.kind not in NEW_KINDS:
        return [(document.kind, document.get_kind_display())]
    return [(kind.value, kind.label) for kind in NEW_KINDS]


def _service_error(form: Any, error: ServiceError) -> None:
    """Show a refusal of the service beside the field it names, else at the top of the form."""
    field = {"client_id": "client", "corrected_document_id": None}.get(error.field or "", error.field)
    form.add_error(field if field in form.fields else None, error.message)


class _Editor:
    """The document form and its lines, bound the same way for the page, live totals and saving."""

    def __init__(
        self,
        request: AccountRequest,
        *,
        document: Document | None = None,
        initial: dict[str, Any] | None = None,
        lines: list[dict[str, Any]] | None = None,
        preview: bool = False,
    ) -> None:
        account = request.account
        data: QueryDict | None = request.POST.copy() if request.method == "POST" else None
        # "Ajouter une ligne" without JavaScript: the same form again, with one more (blank) line. Not
        # for the live totals: htmx posts the last submit button that had the focus along with the form.
        self.adding_line = not preview and data is not None and data.get("action") == "add_line"
        if data is not None and self.adding_line:
            count = parse_count(data.get("lines-TOTAL_FORMS"), MAX_LINES)
            data["lines-TOTAL_FORMS"] = str(count + 1 if count is not None else 1)
        client_id = document.client_id if document else (initial or {}).get("client")
        used_products = {line["product"] for line in lines or [] if line.get("product")}
        if data is not None:
            # What the page shows may have been archived since: keep it valid (rows of this account only).
            client_id = parse_id(data.get("client")) or client_id
            posted_products = [parse_id(value) for key, value in data.items() if key.endswith("-product")]
            used_products |= {product for product in posted_products if product is not None}
        self.form = DocumentForm(
            data, initial=initial, clients=_buyers(account, client_id), kinds=_kinds(document)
        )
        self.lines = line_formset(
            data,
            destination=self.form.destination,
            products=_products(account, used_products),
            initial=lines,
            extra=0 if lines else 1,
        )
        self.document = document
        self.account = account

    def is_valid(self) -> bool:
        if self.adding_line:
            return False
        form_ok = self.form.is_valid()
        lines_ok = self.lines.is_valid()
        if form_ok and lines_ok and self.form.cleaned_data["kind"] != Kind.CREDIT_NOTE:
            lines_ok = self.lines.refuse_negative_quantities()
        return lines_ok and form_ok

    def totals_context(self) -> dict[str, Any]:
        """Live totals of what is typed, lines with errors left out (no write)."""
        data: Mapping[str, Any]
        if self.form.is_bound:
            self.form.is_valid()
            data = self.form.cleaned_data
        else:
            data = self.form.initial
        if self.lines.is_bound:
            indexed, incomplete = self.lines.preview()
        else:
            initial_lines = [
                (index, _line_from_initial(form.initial)) for index, form in enumerate(self.lines.forms)
            ]
            indexed = [(index, line) for index, line in initial_lines if line is not None]
            incomplete = 0
        currency = data.get("currency") or "EUR"
        totals = services.preview_totals(
            [line for _index, line in indexed],
            prices_are_gross=bool(data.get("prices_are_gross")),
            currency=currency,
            exchange_rate=data.get("exchange_rate") or Decimal(1),
        )
        rows = [
            {"number": index + 1, "line": line, "net": net, "gross": gross}
            for (index, line), net, gross in zip(indexed, totals.line_nets, totals.line_grosses, strict=True)
        ]
        # Each line's total as its prices are typed (net, or gross with "Prix saisis TTC"), shown in its
        # row: on the page through the line's form, in the htmx answer as out-of-band swaps.
        shown = totals.line_grosses if data.get("prices_are_gross") else totals.line_nets
        by_index = {index: amount for (index, _line), amount in zip(indexed, shown, strict=True)}
        line_slots = []
        for index, line_form in enumerate(self.lines.forms):
            line_form.preview_total = by_index.get(index)  # type: ignore[attr-defined]
            line_slots.append((line_form.prefix, by_index.get(index)))
        return {
            "totals": totals,
            "rows": rows,
            "vat_rows": _vat_rows(totals),
            "currency": currency,
            "incomplete": incomplete,
            "line_slots": line_slots,
            "account": self.account,
            **self.mentions_context({line.vat_category for _index, line in indexed}),
        }

    def mentions_context(self, categories: set[str]) -> dict[str, Any]:
        """What issuing the document as typed would lack of the legal mentions (shown before any save)."""
        source: Mapping[str, Any] = self.form.data if self.form.is_bound else self.form.initial
        client_id = parse_id(str(source.get("client") or ""))
        client = Client.objects.filter(account=self.account, pk=client_id).first() if client_id else None
        reverse_charge = source.get("reverse_charge")
        missing = mentions.for_draft(
            self.account,
            settings_for(self.account),
            client,
            kind=str(source.get("kind") or Kind.INVOICE),
            payment_method=str(source.get("payment_method") or PaymentMethod.TRANSFER),
            categories=categories,
            reverse_charge=reverse_charge not in (None, "", False, "false"),
        )
        return {
            "missing_mentions": missing,
            "mentions_blocking": any(entry.blocking for entry in missing),
            "mentions_client": client,
        }

    def context(self) -> dict[str, Any]:
        return {
            "form": self.form,
            "lines": self.lines,
            "document": self.document,
            "oss_rates": oss_rate_table(),
            "vat_mentions": vat_rules.DEFAULT_MENTIONS,
            "client_form": QuickClientForm(),
            **self.totals_context(),
        }


def _vat_rows(totals: Totals) -> list[dict[str, Any]]:
    return [
        {
            "label": vat_label(b.key.vat_rate, b.key.vat_category, b.key.vat_country, b.key.exemption_reason),
            "base": b.base,
            "vat": b.vat_amount,
        }
        for b in totals.buckets
    ]


def _line_from_initial(initial: Mapping[str, Any]) -> LineInput | None:
    if not initial.get("name"):
        return None
    country, _sep, rate = str(initial["vat"]).partition(":")
    return LineInput(
        name=initial["name"],
        quantity=Decimal(initial["quantity"]),
        unit_price=Decimal(initial["unit_price"]),
        vat_rate=Decimal(rate),
        vat_category=initial["vat_category"],
        discount_percent=Decimal(initial["discount_percent"] or 0),
        vat_country=country,
        supply_kind=initial["supply_kind"],
        exemption_reason=initial["exemption_reason"],
    )


def _save(request: AccountRequest, editor: _Editor) -> HttpResponse | None:
    """Save the draft (and issue it when asked) in one transaction: a refusal stores nothing."""
    actor = actor_for(request)
    document = editor.document
    extra: dict[str, Any] = {}
    if document is not None and document.kind == Kind.CREDIT_NOTE:
        extra = {
            "corrected_document_id": document.corrected_document_id,
            "correction_reason": document.correction_reason,
        }
    if document is not None:
        # The form has no place for it: a test draft (made through the API) stays one.
        extra["test"] = document.test
    data = editor.form.to_input(editor.lines.line_inputs(), **extra)
    issuing = request.POST.get("action") == "issue"
    try:
        if document is None:
            document = services.create_document(actor, request.account, data, issue=issuing)
        else:
            with transaction.atomic():
                document = services.update_draft(actor, document, data)
                if issuing:
                    document = services.issue(actor, document)
    except ServiceError as error:
        _service_error(editor.form, error)
        return None
    if issuing:
        messages.success(request, _("%(document)s émis(e).") % {"document": _title(document)})
    else:
        messages.success(request, _("Brouillon enregistré."))
    return _to_detail(document)


def _title(document: Document) -> str:
    if document.is_draft:
        return _("%(kind)s (brouillon)") % {"kind": document.get_kind_display()}
    return f"{document.get_kind_display()} {document.number}"


# --- List -----------------------------------------------------------------------------------------

# Past this many buyers the list's client filter is no longer a select (see document_list).
CLIENT_FILTER_LIMIT = 100


@account_view("sales.view")
def document_list(request: AccountRequest) -> HttpResponse:
    account = request.account
    # Past the limit the search box finds clients by name, and a client's page links here with
    # ?client=<id>, kept as the only choice.
    clients = queries.filter_buyers(account, CLIENT_FILTER_LIMIT, request.GET.get("client", ""))
    form = DocumentFilterForm(request.GET, clients=clients)
    filters = form.filters(account.today())
    matching = queries.filtered_documents(account, filters)
    limit = queries.SEARCH_COUNT_LIMIT if filters.search.strip() else None
    totals = queries.tallied_totals(account, filters) or queries.document_totals(matching, limit)
    window = queries.PageWindow.of(request.GET.get("page"), totals.count, more=totals.more)
    documents = queries.document_page(matching, filters.sort, window.offset, window.per_page)
    current = filters.sort
    columns = []
    for key, label in LIST_COLUMNS:
        state = "ascending" if current == key else "descending" if current == f"-{key}" else ""
        columns.append(
            {"key": key, "label": label, "state": state, "next": f"-{key}" if current == key else key}
        )
    return render(
        request,
        "billing/document_list.html",
        {
            "account": account,
            "form": form,
            "documents": documents,
            "totals": totals,
            "window": window,
            "columns": columns,
            "today": account.today(),
        },
    )


# --- The draft form -------------------------------------------------------------------------------


@account_view("sales.create")
def document_new(request: AccountRequest) -> HttpResponse:
    account = request.account
    initial: dict[str, Any] = {"issue_date": account.today(), "currency": "EUR", "language": "fr"}
    lines = None
    kind = request.GET.get("kind", Kind.INVOICE)
    initial["kind"] = kind if kind in NEW_KINDS else Kind.INVOICE
    if request.GET.get("from"):
        # Start from another document of the account (a quote...): its content, a new date.
        source = get_in_account(Document, account, pk=request.GET["from"])
        initial.update(document_initial(source))
        initial.update(issue_date=account.today(), sell_date=None, due_date=None, valid_until=None)
        initial["kind"] = kind if kind in NEW_KINDS and "kind" in request.GET else Kind.INVOICE
        lines = [line_initial(line) for line in source.lines.all()]
    if client_id := parse_id(request.GET.get("client")):
        initial["client"] = client_id
    editor = _Editor(request, initial=initial, lines=lines)
    if request.method == "POST" and editor.is_valid():
        response = _save(request, editor)
        if response is not None:
            return response
    return render(request, "billing/document_form.html", {"account": account, **editor.context()})


@account_view("sales.view")
@require_POST
def document_totals(request: AccountRequest) -> HttpResponse:
    """The live totals of the document form (htmx): computed from what is typed, nothing stored."""
    editor = _Editor(request, preview=True)
    return render(request, "billing/_totals.html", {**editor.totals_context(), "line_totals_oob": True})


# How many clients the document form's client search offers at once.
CLIENT_SEARCH_LIMIT = 50


@account_view("sales.view")
@require_GET
def document_clients(request: AccountRequest) -> HttpResponse:
    """The client select's options matching ?q= (htmx, the document form's client search); the
    chosen client (?client=) stays among them. For those who fill the form (it matches on emails and
    identifiers too): a member who only reads sales cannot search the clients through it."""
    if not (request.membership.has_perm("sales.create") or request.membership.has_perm("sales.edit")):
        raise PermissionDenied(_("Votre rôle ne vous permet pas d'accéder à cette page."))
    chosen = parse_id(request.GET.get("client"))
    clients = client_queries.buyer_choices(
        request.account, search_text(request.GET.get("q"), 200), CLIENT_SEARCH_LIMIT, keep=chosen
    )
    return render(request, "billing/_client_options.html", {"clients": clients, "chosen": chosen})


@account_view("sales.edit")
def document_edit(request: AccountRequest, pk: int) -> HttpResponse:
    document = _document(request, pk)
    if not document.is_draft:
        return _edit_issued(request, document)
    lines = [line_initial(line) for line in document.lines.all()]
    editor = _Editor(request, document=document, initial=document_initial(document), lines=lines)
    if request.method == "POST" and editor.is_valid():
        response = _save(request, editor)
        if response is not None:
            return response
    return render(request, "billing/document_form.html", {"account": request.account, **editor.context()})


def _edit_issued(request: AccountRequest, document: Document) -> HttpResponse:
    """An issued document: only what it does not print (internal note, recipients' emails)."""
    if request.method != "POST":
        return _to_detail(document)
    form = IssuedDocumentForm(request.POST)
    if form.is_valid():
        try:
            services.update_issued(actor_for(request), document, **form.cleaned_data)
        except ServiceError as error:
            _service_error(form, error)
        else:
            messages.success(request, _("Modifications enregistrées."))
            return _to_detail(document)
    return _render_detail(request, document, issued_form=form, status=422)


# --- Detail ---------------------------------------------------------------------------------------


@account_view("sales.view")
def document_detail(request: AccountRequest, pk: int) -> HttpResponse:
    document = get_in_account(
        Document.objects.select_related("client", "corrected_document", "source_document", "exported_by"),
        request.account,
        pk=pk,
    )
    return _render_detail(request, document)


def _render_detail(
    request: AccountRequest,
    document: Document,
    *,
    issued_form: IssuedDocumentForm | None = None,
    status: int = 200,
) -> HttpResponse:
    perms = request.membership.permission_set
    draft = document.is_draft
    open_to_payment = document.is_open and document.remaining > 0
    quote_like = document.kind in (Kind.ESTIMATE, Kind.PROFORMA) and not draft
    actions = {
        "edit": draft and "sales.edit" in perms,
        "delete": (draft or document.test) and "sales.delete" in perms,
        "issue": draft and "sales.create" in perms,
        "send": not draft and "sales.edit" in perms,
        "pay": open_to_payment and "payments.create" in perms,
        "credit": not draft
        and not document.test
        and document.kind in services.CREDITABLE_KINDS
        and document.status != Status.CANCELLED
        and "sales.create" in perms,
        "convert": quote_like and document.status != Status.REJECTED and "sales.create" in perms,
        "answer": document.kind == Kind.ESTIMATE
        and document.status in (Status.ISSUED, Status.SENT)
        and "sales.edit" in perms,
        "duplicate": "sales.create" in perms,
        "update_issued": not draft and "sales.edit" in perms,
        "statement": statements.has_statement(document),
    }
    if issued_form is None and actions["update_issued"]:
        issued_form = IssuedDocumentForm(initial=issued_initial(document))
    lines = list(document.lines.all())
    breakdown = document.vat_breakdown()
    context = {
        "account": request.account,
        "document": document,
        "lines": lines,
        "vat_rows": [
            {
                "label": vat_label(
                    row.vat_rate, row.vat_category, row.vat_country, " ; ".join(row.exemption_reasons)
                ),
                "base": row.base,
                "vat": row.vat_amount,
            }
            for row in breakdown.rows
        ],
        "deductions": breakdown.deductions,
        "credit_notes": list(
            Document.objects.filter(account=request.account, corrected_document=document).order_by(
                "issue_date", "id"
            )
        ),
        # Through the document's own relation (the document is this account's, and so is what was made
        # from it): with the account in the condition too, SQLite read the account's whole date index
        # rather than the few rows made from this one (bench/pages.py, the document page: 120 ms).
        "derived": list(document.derived_documents.order_by("issue_date", "id")),
        "allocations": list(document.allocations.select_related("payment").order_by("payment__date", "id")),
        "deliveries": list(document.deliveries.select_related("sent_by").order_by("-sent_at")),
        "actions": actions,
        "payable_kinds": PAYABLE_KINDS,
        "issued_form": issued_form,
        "convert_form": ConvertForm(initial={"percent": Decimal(30)}) if actions["convert"] else None,
        "today": request.account.today(),
    }
    return render(request, "billing/document_detail.html", context, status=status)


# --- Actions --------------------------------------------------------------------------------------


@account_view("sales.delete")
@require_POST
def document_delete(request: AccountRequest, pk: int) -> HttpResponse:
    document = _document(request, pk)
    try:
        services.delete_draft(actor_for(request), document)
    except ServiceError as error:
        messages.error(request, error.message)
        return _to_detail(document)
    messages.success(request, _("Document de test supprimé.") if document.test else _("Brouillon supprimé."))
    return redirect("billing:document_list", slug=request.account.slug)


@account_view("sales.create")
@require_POST
def document_issue(request: AccountRequest, pk: int) -> HttpResponse:
    document = _document(request, pk)
    try:
        document = services.issue(actor_for(request), document)
    except ServiceError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("%(document)s émis(e).") % {"document": _title(document)})
    return _to_detail(document)


# The answer to a quote needs sales.edit; marking a document paid records a payment.
STATUS_PERMISSIONS: dict[str, str] = {
    Status.ACCEPTED: "sales.edit",
    Status.REJECTED: "sales.edit",
    Status.PAID: "payments.create",
}


@account_view("sales.view")
@require_POST
def document_status(request: AccountRequest, pk: int) -> HttpResponse:
    document = _document(request, pk)
    status = request.POST.get("status", "")
    if status not in STATUS_PERMISSIONS:
        messages.error(request, _("Changement d'état inconnu."))
        return _to_detail(document)
    if not request.membership.has_perm(STATUS_PERMISSIONS[status]):
        raise PermissionDenied(_("Votre rôle ne vous permet pas de faire cela."))
    actor = actor_for(request)
    try:
        if status == Status.PAID:
            payment_services.pay_in_full(
                actor, document, date=request.account.today(), method=document.payment_method
            )
            message = _("Paiement du solde enregistré.")
        else:
            services.set_estimate_status(actor, document, status)
            message = _("Devis accepté.") if status == Status.ACCEPTED else _("Devis refusé.")
    except ServiceError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, message)
    return _to_detail(document)


@account_view("sales.create")
@require_POST
def document_convert(request: AccountRequest, pk: int) -> HttpResponse:
    source = _document(request, pk)
    form = ConvertForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            messages.error(request, " ".join(str(error) for error in errors))
        return _to_detail(source)
    actor = actor_for(request)
    kind = form.cleaned_data["kind"]
    try:
        if kind == Kind.ADVANCE:
            created = services.create_advance(actor, source, percent=form.cleaned_data["percent"])
        elif kind == Kind.FINAL:
            advances = Document.objects.filter(
                account=request.account,
                source_document=source,
                kind=Kind.ADVANCE,
                status__in=DEDUCTIBLE_ADVANCE_STATUSES,
                deducted_in__isnull=True,
            ).order_by("issue_date", "id")
            created = services.create_final(actor, source, list(advances))
        else:
            created = services.convert(actor, source, kind)
    except ServiceError as error:
        messages.error(request, error.message)
        return _to_detail(source)
    messages.success(request, _("Brouillon créé à partir de %(source)s.") % {"source": _title(source)})
    return _to_detail(created)


@account_view("sales.create")
def document_credit_note(request: AccountRequest, pk: int) -> HttpResponse:
    invoice = _document(request, pk)
    if invoice.is_draft or invoice.kind not in services.CREDITABLE_KINDS:
        raise Http404(_("Seule une facture émise peut être corrigée par un avoir."))
    data = request.POST if request.method == "POST" else None
    invoice_lines: list[DocumentLine] = list(invoice.lines.all())
    form = CreditNoteForm(data)
    lines = line_formset(
        data,
        destination=oss_destination(invoice.buyer_country) if invoice.oss else None,
        products=_products(request.account, {line.product_id for line in invoice_lines if line.product_id}),
        initial=[line_initial(line, negate=True) for line in invoice_lines],
    )
    if request.method == "POST" and form.is_valid():
        partial = form.cleaned_data["mode"] == CreditNoteForm.PARTIAL
        if not partial or lines.is_valid():
            try:
                credit_note = services.create_credit_note(
                    actor_for(request),
                    invoice,
                    lines=lines.line_inputs() if partial else None,
                    reason=form.cleaned_data["reason"],
                )
            except ServiceError as error:
                _service_error(form, error)
            else:
                messages.success(request, _("Brouillon d'avoir créé : vérifiez-le puis émettez-le."))
                return _to_detail(credit_note)
    return render(
        request,
        "billing/document_credit_note.html",
        {"account": request.account, "invoice": invoice, "form": form, "lines": lines},
    )


@account_view("sales.create")
@require_POST
def document_duplicate(request: AccountRequest, pk: int) -> HttpResponse:
    document = _document(request, pk)
    try:
        copy = services.duplicate(actor_for(request), document)
    except ServiceError as error:
        messages.error(request, error.message)
        return _to_detail(document)
    messages.success(request, _("Copie créée : c'est un brouillon daté d'aujourd'hui."))
    return redirect("billing:document_edit", slug=request.account.slug, pk=copy.pk)
