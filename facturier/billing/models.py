"""Clients, products, sales documents with their lines and VAT breakdown, payments, numbering.

Every table carries `account` and every unique constraint includes it (ARCHITECTURE.md, Tenancy).
Amounts are Decimal; totals are computed once by the services (billing/totals.py) and stored here.
"""

import datetime
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, NamedTuple

from django.conf import settings
from django.db import models
from django.db.models import Case, DecimalField, ExpressionWrapper, F, Q, Value, When
from django.db.models.expressions import CombinedExpression
from django.db.models.functions import Round
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from facturier.lib import vat
from facturier.lib.money import ZERO, cents, to_eur
from facturier.tenancy.models import Account


class SupplyKind(models.TextChoices):
    """Goods or services: drives when VAT falls due and whether a B2C sale is in the OSS scope."""

    GOODS = "goods", _("Bien")
    SERVICE = "service", _("Service")


class Client(models.Model):
    """A buyer on sales documents, a supplier on expenses, or both (`kind`)."""

    class Kind(models.TextChoices):
        BUYER = "buyer", _("Client")
        SUPPLIER = "supplier", _("Fournisseur")
        BOTH = "both", _("Client et fournisseur")

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(_("type"), max_length=10, choices=Kind.choices, default=Kind.BUYER)
    is_company = models.BooleanField(_("entreprise"), default=True)
    name = models.CharField(_("nom"), max_length=200)
    first_name = models.CharField(_("prénom"), max_length=100, blank=True)
    last_name = models.CharField(_("nom de famille"), max_length=100, blank=True)
    siren = models.CharField(_("SIREN"), max_length=9, blank=True)
    siret = models.CharField(_("SIRET"), max_length=14, blank=True)
    vat_number = models.CharField(_("numéro de TVA"), max_length=20, blank=True)
    street = models.CharField(_("adresse"), max_length=300, blank=True)
    post_code = models.CharField(_("code postal"), max_length=20, blank=True)
    city = models.CharField(_("ville"), max_length=120, blank=True)
    country = models.CharField(_("pays"), max_length=2, default="FR")
    email = models.EmailField(_("email"), blank=True)
    cc_emails = models.CharField(_("emails en copie"), max_length=500, blank=True)
    phone = models.CharField(_("téléphone"), max_length=40, blank=True)
    mobile_phone = models.CharField(_("téléphone portable"), max_length=40, blank=True)
    www = models.CharField(_("site internet"), max_length=200, blank=True)
    # The public API's "nom d'usage": a short name the account knows the client by (searchable).
    shortcut = models.CharField(_("nom d'usage"), max_length=100, blank=True)
    # The client's code in another system (a CRM, a shop), by which integrations find it again.
    external_id = models.CharField(_("réf./code client"), max_length=100, blank=True)
    bank = models.CharField(_("banque"), max_length=120, blank=True)
    # Free text: an IBAN, or a national account number, as the public API takes it.
    bank_account = models.CharField(_("IBAN ou numéro de compte"), max_length=60, blank=True)
    payment_terms_days = models.PositiveIntegerField(_("délai de paiement (jours)"), default=30)
    # What the buyer asks its invoices to carry: its reference or service code (EN 16931 BT-10), and the
    # reference of the SEPA direct debit mandate it signed (BT-89). Copied onto documents at issue.
    invoice_reference = models.CharField(_("référence acheteur / service"), max_length=100, blank=True)
    sepa_mandate = models.CharField(
        _("référence du mandat de prélèvement SEPA (RUM)"), max_length=35, blank=True
    )
    notes = models.TextField(_("notes"), blank=True)
    accounting_code = models.CharField(_("compte auxiliaire"), max_length=20, blank=True)
    archived_at = models.DateTimeField(_("archivé le"), null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("client")
        indexes = [
            models.Index(fields=["account", "name"]),
            models.Index(fields=["account", "created_at"]),
            models.Index(fields=["account", "external_id"]),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_archived(self) -> bool:
        return self.archived_at is not None


class Product(models.Model):
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    name = models.CharField(_("nom"), max_length=300)
    code = models.CharField(_("référence"), max_length=60, blank=True)
    unit = models.CharField(_("unité"), max_length=20, blank=True)
    unit_price = models.DecimalField(
        _("prix unitaire"), max_digits=18, decimal_places=4, default=Decimal("0")
    )
    price_is_gross = models.BooleanField(_("prix TTC"), default=False)
    vat_rate = models.DecimalField(_("taux de TVA"), max_digits=5, decimal_places=2, default=Decimal("20"))
    vat_category = models.CharField(
        _("catégorie de TVA"), max_length=2, choices=vat.CATEGORY_CHOICES, default=vat.STANDARD
    )
    supply_kind = models.CharField(
        _("nature"), max_length=10, choices=SupplyKind.choices, default=SupplyKind.SERVICE
    )
    accounting_code = models.CharField(_("compte de produit"), max_length=20, blank=True)
    archived_at = models.DateTimeField(_("archivé le"), null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("produit")
        indexes = [models.Index(fields=["account", "name"])]

    def __str__(self) -> str:
        return self.name


class Kind(models.TextChoices):
    """Sales document kinds, with the public API's codes."""

    INVOICE = "vat", _("Facture")
    CREDIT_NOTE = "correction", _("Avoir")
    ESTIMATE = "estimate", _("Devis")
    PROFORMA = "proforma", _("Proforma")
    ADVANCE = "advance", _("Facture d'acompte")
    FINAL = "final", _("Facture de solde")
    RECEIPT = "receipt", _("Reçu")


# Kinds that are invoices in law (numbered in a continuous series, in the books, payable).
INVOICE_KINDS = frozenset({Kind.INVOICE, Kind.CREDIT_NOTE, Kind.ADVANCE, Kind.FINAL, Kind.RECEIPT})
# Kinds that can be paid (credit notes are refunded through a payment of negative amount or offset).
PAYABLE_KINDS = frozenset({Kind.INVOICE, Kind.ADVANCE, Kind.FINAL, Kind.RECEIPT})


class Status(models.TextChoices):
    DRAFT = "draft", _("Brouillon")
    ISSUED = "issued", _("Émis")
    SENT = "sent", _("Envoyé")
    PARTIAL = "partial", _("Payé partiellement")
    PAID = "paid", _("Payé")
    CANCELLED = "cancelled", _("Annulé par avoir")
    ACCEPTED = "accepted", _("Accepté")
    REJECTED = "rejected", _("Refusé")


_KIND_LABELS = dict(Kind.choices)
# Status.choices are the masculine forms (un avoir, un devis, un reçu): what a filter of every kind shows.
_STATUS_LABELS: dict[str, object] = dict(Status.choices)
# Kinds whose French name is feminine (une facture, une proforma): their status agrees, "Émise".
FEMININE_KINDS = frozenset({Kind.INVOICE, Kind.PROFORMA, Kind.ADVANCE, Kind.FINAL})
_FEMININE_STATUS_LABELS: dict[str, object] = {
    Status.DRAFT: _("Brouillon"),
    Status.ISSUED: pgettext_lazy("facture", "Émise"),
    Status.SENT: pgettext_lazy("facture", "Envoyée"),
    Status.PARTIAL: pgettext_lazy("facture", "Payée partiellement"),
    Status.PAID: pgettext_lazy("facture", "Payée"),
    Status.CANCELLED: pgettext_lazy("facture", "Annulée par avoir"),
    Status.ACCEPTED: pgettext_lazy("facture", "Acceptée"),
    Status.REJECTED: pgettext_lazy("facture", "Refusée"),
}


def status_label(kind: str, status: str) -> str:
    """A document's status as its badge says it, agreeing with the kind: "Émise" for a facture,
    "Émis" for an avoir or a devis. Pages, PDFs, e-mails and exports read this one."""
    labels: dict[str, object] = _FEMININE_STATUS_LABELS if kind in FEMININE_KINDS else _STATUS_LABELS
    return str(labels.get(status, status))


# Issued documents that may still be owed something; paid and cancelled ones are settled.
OPEN_STATUSES = (Status.ISSUED, Status.SENT, Status.PARTIAL)
# An advance invoice a final invoice may deduct: issued and not cancelled, paid or not.
DEDUCTIBLE_ADVANCE_STATUSES = (*OPEN_STATUSES, Status.PAID)


class PaymentMethod(models.TextChoices):
    TRANSFER = "transfer", _("Virement")
    CARD = "card", _("Carte bancaire")
    CASH = "cash", _("Espèces")
    CHEQUE = "cheque", _("Chèque")
    DIRECT_DEBIT = "direct_debit", _("Prélèvement")
    PAYPAL = "paypal", _("PayPal")
    OTHER = "other", _("Autre")


class BillingSettings(models.Model):
    """An account's invoicing settings, and the head of its tamper-evidence chain.

    Issuing a document locks this row (select_for_update): it serialises the account's numbering and
    chaining, so numbers stay gapless and each hash links to exactly one predecessor.
    """

    account = models.OneToOneField(Account, on_delete=models.CASCADE, related_name="billing_settings")
    # {kind: pattern}; tokens {YYYY} {YY} {MM} {NNNN} (zero-padded to the number of N) {N}.
    number_patterns = models.JSONField(default=dict, blank=True)
    default_payment_terms_days = models.PositiveIntegerField(
        _("délai de paiement par défaut (jours)"), default=30
    )
    late_penalty_text = models.CharField(
        _("pénalités de retard"),
        max_length=300,
        default="En cas de retard de paiement, pénalités au taux de trois fois le taux d'intérêt légal.",
    )
    early_payment_discount_text = models.CharField(
        _("escompte pour paiement anticipé"), max_length=200, default="Pas d'escompte pour paiement anticipé."
    )
    legal_form = models.CharField(_("forme juridique"), max_length=60, blank=True)
    share_capital = models.CharField(_("capital social"), max_length=40, blank=True)
    rcs_city = models.CharField(_("ville du RCS"), max_length=80, blank=True)
    # The VAT regime (art. 269 CGI): VAT on services falls due at payment unless the seller opted for
    # debits; goods at delivery whatever the option. Each document copies the option in force (seller
    # snapshot), each expense the purchases' one (Expense.vat_on_debits), so a change applies forward.
    vat_on_debits = models.BooleanField(
        _("option pour le paiement de la TVA d'après les débits"), default=False
    )
    purchases_vat_on_debits = models.BooleanField(
        _("TVA des achats de services déductible à la date des factures"), default=False
    )
    vat_franchise = models.BooleanField(_("franchise en base de TVA (art. 293 B du CGI)"), default=False)
    email_subject_template = models.CharField(max_length=200, blank=True)
    email_body_template = models.TextField(blank=True)
    # The API's creates make drafts, which the user (or the API's change_status) issues: for
    # integrations that create a document, then complete it.
    api_documents_as_drafts = models.BooleanField(_("documents créés par l'API : brouillons"), default=False)
    # The last number of the account's test documents (TEST-0001...), a series of its own beside the
    # legal ones, moved under the same lock (Document.test).
    test_last_number = models.PositiveIntegerField(default=0)
    chain_length = models.PositiveIntegerField(default=0)
    chain_last_hash = models.CharField(max_length=64, blank=True)

    def __str__(self) -> str:
        return f"billing settings of {self.account_id}"


class NumberingSeries(models.Model):
    """The last number used per account, series (kind) and year. Updated only under the settings lock."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    year = models.PositiveSmallIntegerField()
    last_number = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["account", "kind", "year"], name="one_series_per_kind_and_year")
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.year}: {self.last_number}"


_MONEY: DecimalField[Decimal, Decimal] = DecimalField(max_digits=20, decimal_places=2)
# The amount due at issue: the total less the advances a final invoice deducts (Document.amount_due).
_AMOUNT_DUE = ExpressionWrapper(F("gross_total") - F("advances_deducted"), output_field=_MONEY)
# What the buyer still owes now (Document.remaining, remaining_amount): due less payments and credit notes,
# on payable documents once issued; nothing on the others.
_REMAINING = Case(
    When(
        Q(kind__in=PAYABLE_KINDS, test=False) & ~Q(status=Status.DRAFT),
        then=ExpressionWrapper(_AMOUNT_DUE - F("paid_total") - F("credited_total"), output_field=_MONEY),
    ),
    default=Value(ZERO),
    output_field=_MONEY,
)


# DocumentQuerySet.open() and .owed(), also the condition of the index of owed documents, which SQLite
# uses only for a query that states it in the same terms: hence the kinds in a fixed order.
# A test document is never open: it asks no one for money (Document.test).
_OPEN = Q(kind__in=sorted(PAYABLE_KINDS), status__in=OPEN_STATUSES, test=False)
_OWED = _OPEN & Q(gross_total__gt=F("advances_deducted") + F("paid_total") + F("credited_total"))

# What the lists and reports read of many documents at once (see Document.Meta.indexes): the columns
# of their filters, of the amount due and what remains (_AMOUNT_DUE, _REMAINING), and of their sums.
_AMOUNT_COLUMNS = ("gross_total", "advances_deducted", "paid_total", "credited_total", "exchange_rate")
_LIST_COLUMNS = (
    "kind", "status", "test", "client", "due_date", "currency", "buyer_country",
    "net_total_eur", "vat_total_eur", "gross_total_eur", *_AMOUNT_COLUMNS,
)  # fmt: skip
# `test` too: what remains to pay (_REMAINING) reads it, and without it every owed document's row would be
# read from the table rather than from this index (the dashboard's sums: 34 ms instead of 4).
_OWED_COLUMNS = (
    "kind", "status", "test", "issue_date", "client", "currency", "buyer_country", "buyer_name",
    *_AMOUNT_COLUMNS,
)  # fmt: skip


# The columns a document's tally entry is computed from (Document.tally_entry).
TALLY_FIELDS = frozenset(
    {"account_id", "kind", "status", "test", "net_total_eur", "gross_total_eur", *_AMOUNT_COLUMNS}
)


class TallyEntry(NamedTuple):
    """A document's part of its account's tally: the (account, kind, status) row it counts in, and
    (1 document, its net, gross and what remains to pay, in euro cents)."""

    key: tuple[int, str, str]
    values: tuple[int, int, int, int]


class DocumentQuerySet(models.QuerySet["Document"]):
    """The rules that select or measure documents, as SQL: every list, report and export reads these."""

    def real(self) -> "DocumentQuerySet":
        """Without the test documents (Document.test): what every report, export and total reads."""
        return self.filter(test=False)

    def open(self) -> "DocumentQuerySet":
        """Issued payable documents not yet settled by status (paid and cancelled ones are)."""
        return self.filter(_OPEN)

    def owed(self) -> "DocumentQuerySet":
        """Open documents on which the buyer still owes money."""
        return self.filter(_OWED)

    def overdue(self, today: datetime.date) -> "DocumentQuerySet":
        """Owed documents whose due date has passed."""
        return self.owed().filter(due_date__lt=today)

    def with_remaining(self) -> "DocumentQuerySet":
        """Annotated with `amount_due_now` (what remains to pay, document currency) and `remaining_eur`
        (the same in EUR at the document's rate, rounded per document as Document.remaining_in_eur)."""
        return self.annotate(
            amount_due_now=_REMAINING,
            remaining_eur=Round(_REMAINING * F("exchange_rate"), 2, output_field=_MONEY),
        )

    def printable(self) -> "DocumentQuerySet":
        """With everything a document's page, PDF or e-invoice reads (its parties, lines, VAT rows and
        the advances it deducts), in a fixed number of queries whatever the number of lines."""
        return self.select_related(
            "account", "client", "corrected_document", "source_document"
        ).prefetch_related(
            "lines",
            "vat_lines",
            "deducted_advances__vat_lines",
            "corrected_document__deducted_advances__vat_lines",
        )

    @staticmethod
    def amount_due_expression() -> ExpressionWrapper[CombinedExpression]:
        """Document.amount_due as an expression, for aggregates (sum of what documents asked for)."""
        return _AMOUNT_DUE

    @staticmethod
    def remaining_expression() -> Case:
        """Document.remaining as an expression, for aggregates."""
        return _REMAINING


class Document(models.Model):
    """A sales document: invoice, credit note, quote, proforma, advance, final invoice or receipt.

    Drafts are free to change. Once issued, the legal content (number, dates, parties, lines, amounts)
    never changes: a credit note corrects it. Seller and buyer blocks are snapshots taken at issue.
    """

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(_("type"), max_length=20, choices=Kind.choices, default=Kind.INVOICE)
    status = models.CharField(_("état"), max_length=20, choices=Status.choices, default=Status.DRAFT)
    number = models.CharField(_("numéro"), max_length=35, blank=True)
    sequence = models.PositiveIntegerField(null=True, blank=True)
    # A test document (the public API's `test: true`): issued as the real thing would be, but numbered in
    # the account's test series (TEST-0001), never chained, never paid, outside every report, export,
    # tally and the books, marked on its page, PDF and e-mails, and deletable once issued.
    test = models.BooleanField(_("document de test"), default=False)

    issue_date = models.DateField(_("date d'émission"))
    sell_date = models.DateField(_("date de vente ou de livraison"), null=True, blank=True)
    due_date = models.DateField(_("date d'échéance"), null=True, blank=True)
    valid_until = models.DateField(_("validité du devis"), null=True, blank=True)

    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="documents")
    buyer_name = models.CharField(_("acheteur"), max_length=200, blank=True)
    buyer_is_company = models.BooleanField(default=True)
    buyer_siren = models.CharField(max_length=9, blank=True)
    buyer_vat_number = models.CharField(max_length=20, blank=True)
    buyer_street = models.CharField(max_length=300, blank=True)
    buyer_post_code = models.CharField(max_length=20, blank=True)
    buyer_city = models.CharField(max_length=120, blank=True)
    buyer_country = models.CharField(max_length=2, blank=True)
    buyer_invoice_reference = models.CharField(_("référence acheteur / service"), max_length=100, blank=True)
    buyer_sepa_mandate = models.CharField(
        _("référence du mandat de prélèvement SEPA (RUM)"), max_length=35, blank=True
    )
    delivery_street = models.CharField(_("adresse de livraison"), max_length=300, blank=True)
    delivery_post_code = models.CharField(max_length=20, blank=True)
    delivery_city = models.CharField(max_length=120, blank=True)
    delivery_country = models.CharField(max_length=2, blank=True)
    # Seller identity at issue time (name, legal name, address, SIREN, SIRET, VAT number, IBAN, BIC,
    # legal form, capital, RCS), so a later change of the account's identity leaves issued documents alone.
    seller = models.JSONField(default=dict, blank=True)

    currency = models.CharField(_("devise"), max_length=3, default="EUR")
    exchange_rate = models.DecimalField(
        _("taux de change vers l'euro"), max_digits=14, decimal_places=6, default=Decimal("1")
    )
    language = models.CharField(_("langue du document"), max_length=5, default="fr")
    prices_are_gross = models.BooleanField(_("prix saisis TTC"), default=False)
    reverse_charge = models.BooleanField(_("autoliquidation"), default=False)
    oss = models.BooleanField(_("TVA du pays de destination (OSS)"), default=False)

    payment_method = models.CharField(
        _("mode de paiement"), max_length=20, choices=PaymentMethod.choices, default=PaymentMethod.TRANSFER
    )
    bank_iban = models.CharField(_("IBAN"), max_length=34, blank=True)
    bank_bic = models.CharField(_("BIC"), max_length=11, blank=True)
    buyer_reference = models.CharField(_("référence de commande de l'acheteur"), max_length=100, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    internal_note = models.TextField(_("note interne"), blank=True)
    email_to = models.CharField(_("emails du destinataire"), max_length=500, blank=True)

    corrected_document = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="credit_notes"
    )
    correction_reason = models.CharField(_("motif de l'avoir"), max_length=300, blank=True)
    source_document = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="derived_documents"
    )
    # On an advance invoice: the final invoice that deducts it (an advance is deducted once).
    deducted_in = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="deducted_advances"
    )

    # Totals in the document currency, then in EUR (what reports aggregate); stored by the services.
    net_total = models.DecimalField(max_digits=16, decimal_places=2, default=Decimal("0"))
    vat_total = models.DecimalField(max_digits=16, decimal_places=2, default=Decimal("0"))
    gross_total = models.DecimalField(max_digits=16, decimal_places=2, default=Decimal("0"))
    net_total_eur = models.DecimalField(max_digits=16, decimal_places=2, default=Decimal("0"))
    vat_total_eur = models.DecimalField(max_digits=16, decimal_places=2, default=Decimal("0"))
    gross_total_eur = models.DecimalField(max_digits=16, decimal_places=2, default=Decimal("0"))
    # Advances deducted on a final invoice; the amount due is gross_total - advances_deducted.
    advances_deducted = models.DecimalField(max_digits=16, decimal_places=2, default=Decimal("0"))
    paid_total = models.DecimalField(max_digits=16, decimal_places=2, default=Decimal("0"))
    credited_total = models.DecimalField(max_digits=16, decimal_places=2, default=Decimal("0"))
    # "goods", "service" or "mixed": the category of operation mention (reform 2026).
    supply_category = models.CharField(max_length=10, blank=True)

    issued_at = models.DateTimeField(null=True, blank=True)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    sent_at = models.DateTimeField(null=True, blank=True)
    accepted_at = models.DateTimeField(null=True, blank=True)

    chain_index = models.PositiveIntegerField(null=True, blank=True)
    chain_hash = models.CharField(max_length=64, blank=True)
    # sha256 of the PDF rendered at issue (IssuedFile), part of the chained content. Empty on documents
    # issued before PDFs were kept: their PDF was stored later, outside the chain (docs/architecture.md).
    pdf_sha256 = models.CharField(max_length=64, blank=True)
    # Set by the accounting exports (FEC, invoice export): when and by whom it went to the books.
    exported_at = models.DateTimeField(_("exporté en comptabilité le"), null=True, blank=True)
    exported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    objects = DocumentQuerySet.as_manager()

    class Meta:
        verbose_name = _("document de vente")
        constraints = [
            models.UniqueConstraint(
                fields=["account", "kind", "number"], condition=~Q(number=""), name="document_number_unique"
            ),
            models.UniqueConstraint(
                fields=["account", "chain_index"],
                condition=Q(chain_index__isnull=False),
                name="document_chain_unique",
            ),
        ]
        indexes = [
            # The sales list and the revenue list by date, with every column their filters, counts and
            # sums read after the key: both databases then answer a large account's totals from this
            # index alone (an index-only scan, a covering index), not from its rows, which lie one in
            # five or fewer on the table's pages (accounts write side by side). Plain key columns rather
            # than PostgreSQL's INCLUDE, which SQLite lacks.
            models.Index(fields=["account", "issue_date", "id", *_LIST_COLUMNS], name="document_by_date"),
            models.Index(fields=["account", "kind", "issue_date"]),
            models.Index(fields=["account", "status", "due_date"]),
            models.Index(fields=["account", "client", "issue_date"]),
            # The documents still owed something (a sixth of a large account's), by due date, with what
            # the dashboard, the unpaid list and the "À encaisser" and "En retard" filters read of them;
            # its condition is DocumentQuerySet.owed(), which the database then need not test row by row.
            models.Index(
                fields=["account", "due_date", "id", *_OWED_COLUMNS],
                name="document_owed_by_due",
                condition=_OWED,
            ),
        ]

    def __str__(self) -> str:
        return self.number or f"{self.get_kind_display()} (brouillon {self.pk})"

    # Django's own get_FOO_display builds a dict of every choice, translating every label, at each call,
    # and the lists call these on every row. (django-stubs declares Django's, hence the ignores.)
    def get_kind_display(self) -> str:  # type: ignore[no-redef]
        return str(_KIND_LABELS.get(self.kind, self.kind))

    def get_status_display(self) -> str:  # type: ignore[no-redef]
        return status_label(self.kind, self.status)

    @property
    def is_draft(self) -> bool:
        return self.status == Status.DRAFT

    @property
    def amount_due(self) -> Decimal:
        """What the document asks the buyer to pay at issue: its total less the advances it deducts."""
        return self.gross_total - self.advances_deducted

    @property
    def is_open(self) -> bool:
        return self.kind in PAYABLE_KINDS and self.status in OPEN_STATUSES and not self.test

    @property
    def remaining(self) -> Decimal:
        """What the buyer still owes now: due amount less payments and credit notes (a test document
        asks for nothing)."""
        if self.test:
            return ZERO
        return remaining_amount(self.kind, self.status, self.amount_due, self.paid_total, self.credited_total)

    @property
    def remaining_in_eur(self) -> Decimal:
        """`remaining` in EUR at the document's rate, rounded per document (sums add these up)."""
        return to_eur(self.remaining, self.exchange_rate)

    # What the document counted for in its account's tally when last read or saved (billing/tallies.py);
    # absent when that is not known (read without the tally's columns).
    _tallied: "TallyEntry | None"

    @classmethod
    def from_db(cls, db: str | None, field_names: Collection[str], values: Collection[Any]) -> "Document":
        document = super().from_db(db, field_names, values)
        if TALLY_FIELDS.issubset(field_names):
            # What the document counted for in its account's tally when read (billing/tallies.py).
            document._tallied = document.tally_entry()
        return document

    def refresh_from_db(
        self, using: str | None = None, fields: Iterable[str] | None = None, from_queryset: Any = None
    ) -> None:
        super().refresh_from_db(using, fields, from_queryset)
        # The row may have changed since the entry was taken: take it again from what was just read, or
        # (some columns only) let the next save read it.
        self.__dict__.pop("_tallied", None)
        if fields is None and not TALLY_FIELDS.intersection(self.get_deferred_fields()):
            self._tallied = self.tally_entry()

    def tally_entry(self) -> "TallyEntry | None":
        """This document's part of its account's DocumentTally: its row, and what it adds to it (a test
        document counts nowhere)."""
        if self.test:
            return None
        return TallyEntry(
            (self.account_id, self.kind, self.status),
            (1, cents(self.net_total_eur), cents(self.gross_total_eur), cents(self.remaining_in_eur)),
        )

    def vat_due_at_payment(self, supply_kind: str, vat_category: str = vat.STANDARD) -> bool:
        """Whether the VAT of this document's buckets of `supply_kind` falls due as it is paid."""
        return vat_due_at_payment(
            self.kind, self.amount_due > 0, bool(self.seller.get("vat_on_debits")), supply_kind, vat_category
        )

    def hold_rows(self, lines: list["DocumentLine"], vat_lines: list["DocumentVatLine"]) -> None:
        """Hold these rows as the document's lines and VAT rows, as prefetch_related would: the rows its
        service just wrote (or read), so what reads them next in the transaction (PDF, chain, e-invoice
        checks) spares a query. Django has no public call to hand known rows to a relation: this fills the
        cache prefetch_related fills."""
        cache = self.__dict__.setdefault("_prefetched_objects_cache", {})
        for relation, rows in (("lines", lines), ("vat_lines", vat_lines)):
            cache.pop(relation, None)
            queryset = getattr(self, relation).get_queryset()
            queryset._result_cache = list(rows)
            queryset._prefetch_done = True
            cache[relation] = queryset

    def advance_deductions(self) -> list["AdvanceDeduction"]:
        """The advance invoices this document deducts, each with its VAT buckets signed as this document
        carries them: negative on a final invoice, positive on the total credit note that cancels one.

        Reads the advances' stored VAT rows (prefetch `deducted_advances__vat_lines`, or
        `corrected_document__deducted_advances__vat_lines` for a credit note, to spare the queries)."""
        if self.kind == Kind.FINAL:
            advances, sign = self.deducted_advances.all(), -1
        elif self.kind == Kind.CREDIT_NOTE and self.advances_deducted and self.corrected_document is not None:
            advances, sign = self.corrected_document.deducted_advances.all(), 1
        else:
            return []
        return [
            AdvanceDeduction(
                number=advance.number,
                issue_date=advance.issue_date,
                buckets=tuple(VatBucket.of(row, sign) for row in advance.vat_lines.all()),
            )
            for advance in sorted(advances, key=lambda advance: (advance.issue_date, advance.pk))
        ]

    def vat_breakdown(self) -> "VatBreakdown":
        """The VAT breakdown as the document states it: one row per rate, category and country of VAT
        for its own lines (EN 16931 BG-23: their bases add up to the net total), and the advances it
        deducts on their own.

        The stored DocumentVatLine rows are what the document adds to the VAT returns: on a final invoice
        they are net of the advances, which declared their VAT already (billing.services writes them from
        the same advance_deductions). The document's own rows are the stored rows less those deductions."""
        deductions = self.advance_deductions()
        own: dict[tuple[Decimal, str, str], VatBucket] = {}
        # A stored row of nothing is a bucket of the lines that sums to zero: it keeps its row.
        kept = set()
        for bucket in [
            *(VatBucket.of(row) for row in self.vat_lines.all()),
            *(bucket.negated() for deduction in deductions for bucket in deduction.buckets),
        ]:
            key = (bucket.vat_rate, bucket.vat_category, bucket.vat_country)
            own[key] = own[key].plus(bucket) if key in own else bucket
            if not (bucket.base or bucket.vat_amount):
                kept.add(key)
        rows = [bucket for key, bucket in own.items() if bucket.base or bucket.vat_amount or key in kept]
        rows.sort(key=lambda b: (-b.vat_rate, b.vat_category, b.vat_country))
        return VatBreakdown(rows=tuple(rows), deductions=tuple(deductions))


def remaining_amount(
    kind: str, status: str, amount_due: Decimal, paid_total: Decimal, credited_total: Decimal
) -> Decimal:
    """What a document's buyer still owes (DocumentQuerySet.with_remaining writes the same rule in SQL)."""
    if kind not in PAYABLE_KINDS or status == Status.DRAFT:
        return ZERO
    return amount_due - paid_total - credited_total


def vat_due_at_payment(
    kind: str, owes: bool, on_debits: bool, supply_kind: str, vat_category: str = vat.STANDARD
) -> bool:
    """Whether the French VAT of one bucket of a sales document falls due as the document is paid (VAT on
    receipts, regulatory.md §5.1) rather than with the document: services, unless the seller opted for VAT
    on debits when it issued it; deposits on goods; never on a document that asks for no money (`owes`:
    an amount due above zero), nor on a supply the buyer self-assesses (reverse charge, intra-EU supply
    of goods): those are chargeable when performed, in every regime (art. 269 CGI, transposing art. 66
    and 67 of directive 2006/112/EC), so an intra-EU service never waits for its payment.
    The VAT register, the CA3 summary and the FEC's 4457x all read this rule; each payment then makes
    due its share of the bucket (money.settled_share)."""
    if not owes or vat_category in vat.SELF_ASSESSED:
        return False
    if supply_kind == SupplyKind.GOODS:
        return kind == Kind.ADVANCE
    return not on_debits


class DocumentTally(models.Model):
    """How many documents of an account have each kind and status, with their EUR net and gross totals
    and what remains to pay (whole cents). Kept in step with the documents, in their transaction, by
    billing/tallies.py: the sales list of an account of hundreds of thousands of documents reads its
    count and totals here rather than adding up every document on each page."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=20)
    status = models.CharField(max_length=20)
    documents = models.BigIntegerField(default=0)
    net_cents = models.BigIntegerField(default=0)
    gross_cents = models.BigIntegerField(default=0)
    remaining_cents = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["account", "kind", "status"], name="document_tally_unique")
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.status}: {self.documents}"


class DocumentLine(models.Model):
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveIntegerField(default=0)
    product = models.ForeignKey(Product, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    name = models.CharField(_("désignation"), max_length=300)
    description = models.TextField(_("description"), blank=True)
    quantity = models.DecimalField(_("quantité"), max_digits=14, decimal_places=4, default=Decimal("1"))
    unit = models.CharField(_("unité"), max_length=20, blank=True)
    unit_price = models.DecimalField(
        _("prix unitaire"), max_digits=18, decimal_places=4, default=Decimal("0")
    )
    discount_percent = models.DecimalField(
        _("remise %"), max_digits=5, decimal_places=2, default=Decimal("0")
    )
    vat_rate = models.DecimalField(_("taux de TVA"), max_digits=5, decimal_places=2, default=Decimal("20"))
    vat_category = models.CharField(max_length=2, choices=vat.CATEGORY_CHOICES, default=vat.STANDARD)
    # The member state whose VAT applies: FR, or the buyer's country for an EU B2C sale under OSS.
    vat_country = models.CharField(max_length=2, default="FR")
    exemption_reason = models.CharField(_("mention d'exonération"), max_length=200, blank=True)
    supply_kind = models.CharField(max_length=10, choices=SupplyKind.choices, default=SupplyKind.SERVICE)
    accounting_code = models.CharField(max_length=20, blank=True)
    # Computed by the services: the line's net amount (after discount) and gross amount, document currency.
    net_amount = models.DecimalField(max_digits=16, decimal_places=2, default=Decimal("0"))
    gross_amount = models.DecimalField(max_digits=16, decimal_places=2, default=Decimal("0"))

    class Meta:
        ordering = ["position", "id"]
        indexes = [models.Index(fields=["document", "position"])]

    def __str__(self) -> str:
        return self.name


class DocumentVatLine(models.Model):
    """One row per document and VAT bucket: the narrow, indexed table reports aggregate.

    A bucket is (rate, category, country, goods/services); base and VAT are computed on the summed
    base of the bucket (EN 16931 BR-CO-17), in the document currency and in EUR. Document fields that
    reports filter on are copied here so a report never joins the lines.
    """

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="vat_lines")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    issue_date = models.DateField()
    buyer_country = models.CharField(max_length=2, blank=True)
    buyer_is_company = models.BooleanField(default=True)
    vat_rate = models.DecimalField(max_digits=5, decimal_places=2)
    vat_category = models.CharField(max_length=2, choices=vat.CATEGORY_CHOICES)
    vat_country = models.CharField(max_length=2, default="FR")
    supply_kind = models.CharField(max_length=10, choices=SupplyKind.choices)
    exemption_reason = models.CharField(max_length=200, blank=True)
    base = models.DecimalField(max_digits=16, decimal_places=2)
    vat_amount = models.DecimalField(max_digits=16, decimal_places=2)
    base_eur = models.DecimalField(max_digits=16, decimal_places=2)
    vat_amount_eur = models.DecimalField(max_digits=16, decimal_places=2)

    class Meta:
        indexes = [
            models.Index(fields=["account", "issue_date"]),
            models.Index(fields=["account", "vat_country", "issue_date"]),
        ]

    def __str__(self) -> str:
        return f"{self.document_id} {self.vat_category} {self.vat_rate}%: {self.base} + {self.vat_amount}"


@dataclass(frozen=True)
class VatBucket:
    """Base and VAT of one VAT bucket of a document, in its currency and in EUR. `exemption_reasons`:
    the mentions of the lines without VAT in it (several when buckets of one rate are added up)."""

    vat_rate: Decimal
    vat_category: str
    vat_country: str
    supply_kind: str
    exemption_reasons: tuple[str, ...]
    base: Decimal
    vat_amount: Decimal
    base_eur: Decimal
    vat_amount_eur: Decimal

    @classmethod
    def of(cls, row: DocumentVatLine, sign: int = 1) -> "VatBucket":
        return cls(
            row.vat_rate if row.vat_category == vat.STANDARD else ZERO,
            row.vat_category,
            row.vat_country,
            row.supply_kind,
            (row.exemption_reason,) if row.exemption_reason else (),
            # + ZERO: a signed zero would print as "-0.00".
            sign * row.base + ZERO,
            sign * row.vat_amount + ZERO,
            sign * row.base_eur + ZERO,
            sign * row.vat_amount_eur + ZERO,
        )

    def negated(self) -> "VatBucket":
        return VatBucket(
            self.vat_rate, self.vat_category, self.vat_country, self.supply_kind, self.exemption_reasons,
            ZERO - self.base, ZERO - self.vat_amount, ZERO - self.base_eur, ZERO - self.vat_amount_eur,
        )  # fmt: skip

    def plus(self, other: "VatBucket") -> "VatBucket":
        reasons = self.exemption_reasons + tuple(
            r for r in other.exemption_reasons if r not in self.exemption_reasons
        )
        kind = self.supply_kind if self.supply_kind == other.supply_kind else "mixed"
        return VatBucket(
            self.vat_rate, self.vat_category, self.vat_country, kind, reasons,
            self.base + other.base, self.vat_amount + other.vat_amount,
            self.base_eur + other.base_eur, self.vat_amount_eur + other.vat_amount_eur,
        )  # fmt: skip


@dataclass(frozen=True)
class AdvanceDeduction:
    """An advance invoice deducted by a final invoice, signed as the final invoice carries it."""

    number: str
    issue_date: datetime.date
    buckets: tuple[VatBucket, ...]

    @property
    def base(self) -> Decimal:
        return sum((b.base for b in self.buckets), ZERO)

    @property
    def vat_amount(self) -> Decimal:
        return sum((b.vat_amount for b in self.buckets), ZERO)

    @property
    def gross(self) -> Decimal:
        return self.base + self.vat_amount


@dataclass(frozen=True)
class VatBreakdown:
    """Document.vat_breakdown(): the rows of its own lines, then the advances it deducts."""

    rows: tuple[VatBucket, ...]
    deductions: tuple[AdvanceDeduction, ...]

    @property
    def base(self) -> Decimal:
        return sum((row.base for row in self.rows), ZERO)

    @property
    def vat_amount(self) -> Decimal:
        return sum((row.vat_amount for row in self.rows), ZERO)

    def by_category_and_rate(self) -> list[VatBucket]:
        """The rows added up per category and rate, whatever the country of VAT (EN 16931 BG-23)."""
        grouped: dict[tuple[str, Decimal], VatBucket] = {}
        for row in self.rows:
            key = (row.vat_category, row.vat_rate)
            grouped[key] = grouped[key].plus(row) if key in grouped else row
        return sorted(grouped.values(), key=lambda b: (-b.vat_rate, b.vat_category))


def summed(buckets: Iterable[VatBucket]) -> tuple[Decimal, Decimal]:
    """Base and VAT of some buckets."""
    items = list(buckets)
    return sum((b.base for b in items), ZERO), sum((b.vat_amount for b in items), ZERO)


class Payment(models.Model):
    """Money received from a client. It settles one or several documents through its allocations, or
    none yet: an unallocated payment (money received that no document claims, as the public API allows),
    allocated later by changing it."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    client = models.ForeignKey(
        Client, null=True, blank=True, on_delete=models.PROTECT, related_name="payments"
    )
    date = models.DateField(_("date"))
    amount = models.DecimalField(_("montant"), max_digits=16, decimal_places=2)
    currency = models.CharField(_("devise"), max_length=3, default="EUR")
    method = models.CharField(
        _("mode de paiement"), max_length=20, choices=PaymentMethod.choices, default=PaymentMethod.TRANSFER
    )
    reference = models.CharField(_("référence"), max_length=120, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    # Set when an accounting export (the FEC) carried it, like Document.exported_at.
    exported_at = models.DateTimeField(_("exporté en comptabilité le"), null=True, blank=True)
    exported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("paiement")
        indexes = [models.Index(fields=["account", "date"])]

    def __str__(self) -> str:
        return f"{self.date} {self.amount} {self.currency}"


class PaymentAllocation(models.Model):
    """The part of a payment applied to one document."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    payment = models.ForeignKey(Payment, on_delete=models.CASCADE, related_name="allocations")
    document = models.ForeignKey(Document, on_delete=models.PROTECT, related_name="allocations")
    amount = models.DecimalField(max_digits=16, decimal_places=2)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["payment", "document"], name="one_allocation_per_payment_and_document"
            )
        ]

    def __str__(self) -> str:
        return f"{self.amount} of payment {self.payment_id} to document {self.document_id}"


def _issued_file_path(instance: "IssuedFile", filename: str) -> str:
    return f"issued/{instance.account_id}/{instance.document_id}/{filename}"


class IssuedFile(models.Model):
    """A file made when a document was issued (its PDF; its Factur-X), kept as it was made and served as
    is: payments, a new logo or a new template never change what the buyer received."""

    class Kind(models.TextChoices):
        PDF = "pdf", "PDF"
        FACTURX = "facturx", "Factur-X"

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="issued_files")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    file = models.FileField(upload_to=_issued_file_path, max_length=200)
    sha256 = models.CharField(max_length=64)
    size = models.PositiveIntegerField()
    # False for a file made after the document was issued: documents issued before files were kept (their
    # PDF made once by `manage.py keep_issued_pdfs`), a Factur-X made at its first download.
    at_issue = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["document", "kind"], name="one_issued_file_per_kind"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} of document {self.document_id}"


class DocumentAttachment(models.Model):
    """A file attached to a sales document (the public API's `add_attachment`): a PDF, JPEG or PNG kept
    beside the document, never part of it: not in its PDF, its hash or the books.

    Sent in two steps, as the public API does: the file is received first (`attached_at` empty), then
    attached by its name; one received and never attached is removed by the next upload to the document
    after a day. The file lives in the default storage under attachments/<account_id>/ with a random
    name, served only through the API's checks (never a public media URL).
    """

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(max_length=255)
    original_name = models.CharField(_("nom du fichier"), max_length=255)  # as it was sent
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField(_("taille"))
    sha256 = models.CharField(max_length=64)
    uploaded_at = models.DateTimeField(default=timezone.now)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    attached_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("pièce jointe")
        ordering = ["uploaded_at", "id"]
        indexes = [models.Index(fields=["document", "original_name"])]

    def __str__(self) -> str:
        return self.original_name


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("en attente")
    SENDING = "sending", _("en cours d'envoi")
    SENT = "sent", _("envoyé")
    FAILED = "failed", _("envoi en échec")


class EmailDelivery(models.Model):
    """A sending of a document by email: to whom, when, by whom, and where it stands (the document page
    lists them). The job that sends it moves it pending → sending → sent, or back to pending with the
    time of its next attempt, or to failed with the reason (services/sending.py)."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="deliveries")
    to = models.CharField(max_length=500)
    cc = models.CharField(max_length=500, blank=True)
    subject = models.CharField(max_length=300)
    # The message as written, so that a failed sending can be sent again as it was.
    body = models.TextField(blank=True)
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # When it was asked for (the history's date); delivered_at is when the mail server took it.
    sent_at = models.DateTimeField(default=timezone.now)
    status = models.CharField(max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    error = models.CharField(max_length=500, blank=True)
    # Queueing this email marked a document never sent before as sent: if it fails for good, and no other
    # email of the document went or is still being tried, the document is no longer sent
    # (services/documents.py, unmark_sent_after_failed_email). Marking a document sent by hand clears it.
    marked_document_sent = models.BooleanField(default=False)

    class Meta:
        indexes = [models.Index(fields=["document", "-sent_at"])]

    def __str__(self) -> str:
        return f"{self.document_id} to {self.to} at {self.sent_at:%Y-%m-%d %H:%M}"
