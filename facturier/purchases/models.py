"""Expenses (purchase invoices) with their lines, VAT breakdown, payments and attachments.

Every table carries `account` and every unique constraint includes it (ARCHITECTURE.md, Tenancy).
Amounts are Decimal; totals are computed once by the services (with billing/totals.py) and stored here.
"""

import datetime
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from facturier.billing.models import Client, PaymentMethod, SupplyKind
from facturier.lib import uploads, vat
from facturier.lib.countries import EU_MEMBERS
from facturier.tenancy.models import Account

# The categories an account starts with (name, account of the French chart of accounts, class 6).
DEFAULT_CATEGORIES: list[tuple[str, str]] = [
    ("Achats de marchandises", "607"),
    ("Fournitures", "6064"),
    ("Sous-traitance", "611"),
    ("Loyers", "6132"),
    ("Entretien", "615"),
    ("Assurances", "616"),
    ("Honoraires", "6226"),
    ("Publicité", "623"),
    ("Transports", "624"),
    ("Déplacements", "6251"),
    ("Frais postaux et télécoms", "626"),
    ("Frais bancaires", "627"),
    ("Impôts et taxes", "635"),
    ("Autres", "6288"),
]


class ExpenseCategory(models.Model):
    """What an expense is for, mapped to the expense account (6xx) the books post it to."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    name = models.CharField(_("nom"), max_length=100)
    accounting_code = models.CharField(_("compte de charge"), max_length=20)

    class Meta:
        verbose_name = _("catégorie de dépense")
        verbose_name_plural = _("catégories de dépense")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["account", "name"], name="expense_category_name_unique")
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.accounting_code})"


class ExpenseStatus(models.TextChoices):
    UNPAID = "unpaid", _("À payer")
    PARTIAL = "partial", _("Payée partiellement")
    PAID = "paid", _("Payée")


class Expense(models.Model):
    """A purchase invoice received from a supplier."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    supplier = models.ForeignKey(
        Client, verbose_name=_("fournisseur"), on_delete=models.PROTECT, related_name="expenses"
    )
    supplier_number = models.CharField(_("numéro de la facture du fournisseur"), max_length=60, blank=True)
    issue_date = models.DateField(_("date de la facture"))
    sell_date = models.DateField(_("date de livraison ou de prestation"), null=True, blank=True)
    due_date = models.DateField(_("date d'échéance"), null=True, blank=True)
    category = models.ForeignKey(
        ExpenseCategory, verbose_name=_("catégorie"), on_delete=models.PROTECT, related_name="expenses"
    )
    currency = models.CharField(_("devise"), max_length=3, default="EUR")
    exchange_rate = models.DecimalField(
        _("taux de change vers l'euro"), max_digits=14, decimal_places=6, default=Decimal("1")
    )
    prices_are_gross = models.BooleanField(_("prix saisis TTC"), default=False)
    # The supplier's regime for services (art. 269 CGI): their VAT becomes deductible at the invoice date
    # when the supplier opted for debits, else as they are paid. Defaults to the account's setting
    # (BillingSettings.purchases_vat_on_debits) when the expense is created.
    vat_on_debits = models.BooleanField(_("fournisseur ayant opté pour les débits"), default=False)
    notes = models.TextField(_("notes"), blank=True)

    # Totals in the expense currency, then in EUR (what reports aggregate); stored by the services.
    net_total = models.DecimalField(max_digits=16, decimal_places=2, default=Decimal("0"))
    vat_total = models.DecimalField(max_digits=16, decimal_places=2, default=Decimal("0"))
    gross_total = models.DecimalField(max_digits=16, decimal_places=2, default=Decimal("0"))
    net_total_eur = models.DecimalField(max_digits=16, decimal_places=2, default=Decimal("0"))
    vat_total_eur = models.DecimalField(max_digits=16, decimal_places=2, default=Decimal("0"))
    gross_total_eur = models.DecimalField(max_digits=16, decimal_places=2, default=Decimal("0"))
    # The part of the VAT the account may deduct: the VAT of its deductible lines.
    deductible_vat_total = models.DecimalField(max_digits=16, decimal_places=2, default=Decimal("0"))
    deductible_vat_total_eur = models.DecimalField(max_digits=16, decimal_places=2, default=Decimal("0"))
    # The VAT the account self-assesses (autoliquidation): due in full, deductible as its rows say. Its
    # one home: the rows (ExpenseVatLine.self_assessed_vat) add up to it, and the page, the API and the
    # FEC's VAT-due line read it.
    self_assessed_vat_total = models.DecimalField(max_digits=16, decimal_places=2, default=Decimal("0"))
    self_assessed_vat_total_eur = models.DecimalField(max_digits=16, decimal_places=2, default=Decimal("0"))
    paid_total = models.DecimalField(max_digits=16, decimal_places=2, default=Decimal("0"))
    status = models.CharField(
        _("état"), max_length=10, choices=ExpenseStatus.choices, default=ExpenseStatus.UNPAID
    )
    # Set by the accounting exports (FEC): when and by whom it went to the books.
    exported_at = models.DateTimeField(_("exporté en comptabilité le"), null=True, blank=True)
    exported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("dépense")
        constraints = [
            # The same supplier invoice entered twice would be deducted twice.
            models.UniqueConstraint(
                fields=["account", "supplier", "supplier_number"],
                condition=~Q(supplier_number=""),
                name="expense_supplier_number_unique",
            )
        ]
        indexes = [
            models.Index(fields=["account", "issue_date", "id"]),
            models.Index(fields=["account", "status", "due_date"]),
            models.Index(fields=["account", "supplier", "issue_date"]),
            models.Index(fields=["account", "category", "issue_date"]),
        ]

    def __str__(self) -> str:
        return f"{self.supplier_number or _('sans numéro')} ({self.issue_date:%d/%m/%Y})"

    @property
    def remaining(self) -> Decimal:
        return self.gross_total - self.paid_total

    @property
    def non_deductible_vat_total(self) -> Decimal:
        return self.vat_total - self.deductible_vat_total


class ExpenseLine(models.Model):
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    expense = models.ForeignKey(Expense, on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveIntegerField(default=0)
    name = models.CharField(_("désignation"), max_length=300)
    quantity = models.DecimalField(_("quantité"), max_digits=14, decimal_places=4, default=Decimal("1"))
    unit_price = models.DecimalField(_("prix unitaire"), max_digits=18, decimal_places=4)
    vat_rate = models.DecimalField(_("taux de TVA"), max_digits=5, decimal_places=2, default=Decimal("20"))
    vat_category = models.CharField(
        _("catégorie de TVA"), max_length=2, choices=vat.CATEGORY_CHOICES, default=vat.STANDARD
    )
    deductible = models.BooleanField(_("TVA déductible"), default=True)
    supply_kind = models.CharField(
        _("nature"), max_length=10, choices=SupplyKind.choices, default=SupplyKind.SERVICE
    )
    # Computed by the services, in the expense currency.
    net_amount = models.DecimalField(max_digits=16, decimal_places=2, default=Decimal("0"))
    gross_amount = models.DecimalField(max_digits=16, decimal_places=2, default=Decimal("0"))

    class Meta:
        ordering = ["position", "id"]
        indexes = [models.Index(fields=["expense", "position"])]

    def __str__(self) -> str:
        return self.name


class ExpenseVatLine(models.Model):
    """One row per expense, VAT bucket and deductibility: the narrow table deductible-VAT reports sum.

    Base and VAT are those of the supplier's invoice (VAT on the summed base of each bucket, BR-CO-17);
    when a bucket mixes deductible and non-deductible lines it is split in two rows that add up to it.

    A bucket the account self-assesses (autoliquidation: reverse charge, or an intra-EU acquisition of
    goods; `is_self_assessed`) carries no VAT of the supplier: its rows hold the French rate the lines
    give and `self_assessed_vat`, the VAT the account owes and (on a deductible row) deducts, computed
    on the summed base of each rate.
    """

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    expense = models.ForeignKey(Expense, on_delete=models.CASCADE, related_name="vat_lines")
    issue_date = models.DateField()
    supplier_country = models.CharField(max_length=2, blank=True)
    vat_rate = models.DecimalField(max_digits=5, decimal_places=2)
    vat_category = models.CharField(max_length=2, choices=vat.CATEGORY_CHOICES)
    supply_kind = models.CharField(max_length=10, choices=SupplyKind.choices)
    deductible = models.BooleanField()
    base = models.DecimalField(max_digits=16, decimal_places=2)
    vat_amount = models.DecimalField(max_digits=16, decimal_places=2)
    base_eur = models.DecimalField(max_digits=16, decimal_places=2)
    vat_amount_eur = models.DecimalField(max_digits=16, decimal_places=2)
    self_assessed_vat = models.DecimalField(max_digits=16, decimal_places=2, default=Decimal("0"))
    self_assessed_vat_eur = models.DecimalField(max_digits=16, decimal_places=2, default=Decimal("0"))

    class Meta:
        indexes = [models.Index(fields=["account", "issue_date"])]

    def __str__(self) -> str:
        return f"{self.expense_id} {self.vat_category} {self.vat_rate}%: {self.base} + {self.vat_amount}"


def is_self_assessed(vat_category: str, supplier_country: str) -> bool:
    """Whether the account self-assesses the VAT of a purchase (autoliquidation, art. 283 CGI): reverse
    charge (services from an EU or non-EU supplier, purchases from a supplier not established in France,
    the domestic cases such as construction subcontracting), and an intra-EU acquisition of goods (a
    supplier in another member state invoicing an intra-EU supply, art. 256 bis)."""
    if vat_category == vat.REVERSE_CHARGE:
        return True
    return vat_category == vat.INTRA_EU and supplier_country in EU_MEMBERS and supplier_country != "FR"


def vat_deductible_at_payment(on_debits: bool, supply_kind: str, vat_category: str, owes: bool) -> bool:
    """Whether the VAT of one bucket of an expense becomes deductible as the supplier is paid (each payment
    making deductible its share, money.cumulative_shares) rather than at delivery: the VAT on services,
    unless the supplier opted for debits (`on_debits`, Expense.vat_on_debits); never goods, never a
    self-assessed bucket (due, hence deductible, when performed), never an expense of nothing to pay.
    Deduction follows the supplier's chargeability (art. 271 I-2 CGI). The VAT register, the CA3 summary
    and the FEC's waiting account 44586x all read this rule."""
    if not owes or vat_category in vat.SELF_ASSESSED:
        return False
    return supply_kind != SupplyKind.GOODS and not on_debits


def vat_chargeable_on(
    issue_date: datetime.date,
    sell_date: datetime.date | None,
    on_debits: bool,
    supply_kind: str,
    vat_category: str,
    supplier_country: str,
) -> datetime.date:
    """The day the VAT of one bucket of an expense becomes deductible when it does not wait for payment
    (vat_deductible_at_payment): the day it is chargeable (art. 269 and 271 CGI). Goods and self-assessed
    services: at delivery or performance (the delivery date, else the invoice date); an intra-EU
    acquisition of goods: the 15th of the month after delivery, or the invoice date if earlier
    (art. 269, 2-b CGI); services of a supplier on debits: the invoice date."""
    delivery = sell_date or issue_date
    if vat_category == vat.INTRA_EU and is_self_assessed(vat_category, supplier_country):
        month_after = (delivery.replace(day=1) + datetime.timedelta(days=32)).replace(day=15)
        return min(issue_date, month_after)
    if supply_kind != SupplyKind.GOODS and on_debits and vat_category not in vat.SELF_ASSESSED:
        return issue_date
    return delivery


class ExpensePayment(models.Model):
    """Money paid to the supplier against one expense."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    expense = models.ForeignKey(Expense, on_delete=models.CASCADE, related_name="payments")
    date = models.DateField(_("date"))
    amount = models.DecimalField(_("montant"), max_digits=16, decimal_places=2)
    method = models.CharField(
        _("mode de paiement"), max_length=20, choices=PaymentMethod.choices, default=PaymentMethod.TRANSFER
    )
    reference = models.CharField(_("référence"), max_length=120, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("paiement de dépense")
        ordering = ["date", "id"]
        indexes = [models.Index(fields=["account", "date"])]

    def __str__(self) -> str:
        return f"{self.date} {self.amount}"


class Attachment(models.Model):
    """A supporting document ("justificatif") of an expense: a PDF, JPEG or PNG file.

    The file lives in the default storage under attachments/<account_id>/ with a random name; it is only
    ever served by the download view, which checks the gate (never through a public media URL).
    """

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    expense = models.ForeignKey(Expense, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(max_length=255)
    original_name = models.CharField(_("nom du fichier"), max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField(_("taille"))
    sha256 = models.CharField(max_length=64)
    uploaded_at = models.DateTimeField(default=timezone.now)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("justificatif")
        ordering = ["uploaded_at", "id"]

    def __str__(self) -> str:
        return self.original_name

    @property
    def is_image(self) -> bool:
        return self.content_type.startswith("image/")

    @property
    def download_name(self) -> str:
        """The name it is served under: the one it was sent with, with the extension of the type its
        content was recognised as (files kept before names followed the type may lack it)."""
        kind = uploads.type_of(self.content_type)
        return uploads.name_for(self.original_name, kind) if kind else self.original_name
