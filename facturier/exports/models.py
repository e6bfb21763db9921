"""What the exports keep: each account's chart-of-accounts mapping, and the export jobs with their files.

Exports only read the books (ARCHITECTURE.md); the one thing they write back is the "exported" mark on
the documents and expenses they carried (billing.Document.exported_at, purchases.Expense.exported_at).
"""

import datetime
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from facturier.tenancy.models import Account

# How long the file of an export stays downloadable.
KEEP_FILES_FOR = datetime.timedelta(days=7)

# VAT collected, one sub-account of 44571 per French rate (the rates the CA3 asks for separately).
DEFAULT_VAT_COLLECTED_ACCOUNTS = {
    "20.00": "445712",
    "10.00": "445713",
    "5.50": "445711",
    "2.10": "445714",
}


class AccountingSettings(models.Model):
    """The account's chart-of-accounts mapping ("Paramètres > Comptabilité") and accounting options.

    One row per account, created with the defaults of the French chart of accounts (PCG) the first time
    it is read (`for_account`). Customers and suppliers get an auxiliary account each under the
    customer and supplier accounts: the client's own `accounting_code` when set, else one derived from it.
    """

    account = models.OneToOneField(Account, on_delete=models.CASCADE, primary_key=True, related_name="+")
    # The fiscal year ends on the last day of this month (12: calendar year). A FEC covers one fiscal year.
    fiscal_year_end_month = models.PositiveSmallIntegerField(_("mois de clôture de l'exercice"), default=12)

    sales_journal = models.CharField(_("journal des ventes"), max_length=10, default="VT")
    purchases_journal = models.CharField(_("journal des achats"), max_length=10, default="HA")
    bank_journal = models.CharField(_("journal de banque"), max_length=10, default="BQ")

    customer_account = models.CharField(_("compte clients"), max_length=20, default="411000")
    supplier_account = models.CharField(_("compte fournisseurs"), max_length=20, default="401000")
    bank_account = models.CharField(_("compte de banque"), max_length=20, default="512000")
    revenue_services_account = models.CharField(
        _("ventes de prestations de services"), max_length=20, default="706000"
    )
    revenue_goods_account = models.CharField(_("ventes de marchandises"), max_length=20, default="707000")
    # Sales without French VAT (intra-EU deliveries, exports, reverse charge, OSS): kept apart, as the
    # CA3 asks for them separately.
    revenue_services_exempt_account = models.CharField(
        _("prestations de services sans TVA française"), max_length=20, default="706100"
    )
    revenue_goods_exempt_account = models.CharField(
        _("ventes de marchandises sans TVA française"), max_length=20, default="707100"
    )
    # Rate ("20.00") -> sub-account of 44571; rates not listed go to `vat_collected_account`.
    vat_collected_accounts = models.JSONField(_("TVA collectée par taux"), default=dict, blank=True)
    vat_collected_account = models.CharField(
        _("TVA collectée (autres taux)"), max_length=20, default="445710"
    )
    vat_oss_account = models.CharField(_("TVA due dans un autre État (OSS)"), max_length=20, default="445718")
    vat_pending_account = models.CharField(
        _("TVA collectée en attente d'encaissement"), max_length=20, default="445740"
    )
    vat_deductible_account = models.CharField(
        _("TVA déductible sur biens et services"), max_length=20, default="445660"
    )
    vat_deductible_assets_account = models.CharField(
        _("TVA déductible sur immobilisations"), max_length=20, default="445620"
    )
    # The VAT of services bought becomes deductible as the supplier is paid (unless it opted for debits):
    # it waits here from the purchase to the payment (purchases.models.vat_deductible_at_payment).
    vat_deductible_pending_account = models.CharField(
        _("TVA déductible en attente de paiement"), max_length=20, default="445860"
    )
    # Autoliquidation: the VAT the account self-assesses on a purchase, due (4452) and deducted (4456x).
    vat_self_assessed_account = models.CharField(_("TVA due autoliquidée"), max_length=20, default="445200")
    # Money received from a payer not known yet (an unallocated payment without client) waits here: a
    # customer account line names its client (FEC rule L7), this one cannot.
    suspense_account = models.CharField(_("compte d'attente"), max_length=20, default="471000")
    vat_self_assessed_deductible_account = models.CharField(
        _("TVA déductible autoliquidée"), max_length=20, default="445662"
    )

    lock_exported = models.BooleanField(
        _("protéger les documents exportés en comptabilité"),
        default=False,
        help_text=_(
            "Un document ou une dépense déjà exporté(e) en comptabilité ne peut plus être modifié(e) "
            "ni supprimé(e)."
        ),
    )

    class Meta:
        verbose_name = _("paramètres de comptabilité")

    def __str__(self) -> str:
        return f"accounting settings of {self.account_id}"

    @classmethod
    def for_account(cls, account: Account) -> "AccountingSettings":
        found, _created = cls.objects.get_or_create(
            account=account, defaults={"vat_collected_accounts": dict(DEFAULT_VAT_COLLECTED_ACCOUNTS)}
        )
        return found

    def vat_collected_account_for(self, rate: Decimal) -> str:
        account: str = self.vat_collected_accounts.get(f"{rate:.2f}", self.vat_collected_account)
        return account


class ExportFormat(models.TextChoices):
    FEC = "fec", _("FEC (fichier des écritures comptables)")
    INVOICES_CSV = "invoices-csv", _("Factures (CSV)")
    INVOICES_XLSX = "invoices-xlsx", _("Factures (Excel)")
    PAYMENTS_CSV = "payments-csv", _("Paiements (CSV)")
    PAYMENTS_XLSX = "payments-xlsx", _("Paiements (Excel)")
    PDF_ZIP = "pdf-zip", _("Documents PDF et justificatifs (ZIP)")
    PDF_PRINT = "pdf-print", _("Documents à imprimer (un PDF)")
    FIRM_BATCH = "firm-batch", _("Lot comptable des comptes clients (ZIP)")


class ExportStatus(models.TextChoices):
    QUEUED = "queued", _("En attente")
    RUNNING = "running", _("En cours")
    DONE = "done", _("Terminé")
    FAILED = "failed", _("Échec")
    # Its requester lost their access to the account before it finished: nothing is kept or sent.
    CANCELLED = "cancelled", _("Annulé")


class ExportJob(models.Model):
    """One export asked for by a user: its parameters, its progress, and then its file (kept 7 days).

    Small exports run in the request and large ones on the job worker; both leave a job, so the Exports
    tab shows who exported what and when. A firm batch is a job of the firm's account whose parameters
    list the client accounts.
    """

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    format = models.CharField(_("format"), max_length=20, choices=ExportFormat.choices)
    # The filters, as given by ExportRequest.to_params (dates as ISO strings).
    params = models.JSONField(default=dict)
    status = models.CharField(
        _("état"), max_length=10, choices=ExportStatus.choices, default=ExportStatus.QUEUED
    )
    progress_done = models.PositiveIntegerField(default=0)
    progress_total = models.PositiveIntegerField(default=0)
    file = models.FileField(upload_to="exports/%Y/%m/", max_length=255, blank=True)
    file_name = models.CharField(max_length=255, blank=True)
    file_size = models.PositiveBigIntegerField(default=0)
    # Findings to show with the result (the FEC checker's violations, the accounts a batch skipped).
    messages = models.JSONField(default=list, blank=True)
    error = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    # Written with the progress while the worker writes the file: a job whose heartbeat stopped lost
    # its worker (facturier/lib/jobs.py). `runs` counts the starts, so a job that keeps killing its
    # worker is given up.
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    runs = models.PositiveSmallIntegerField(default=0)
    finished_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("export")
        indexes = [
            models.Index(fields=["account", "-created_at"]),
            models.Index(fields=["expires_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.format} of {self.account_id} ({self.status})"

    @property
    def start(self) -> datetime.date | None:
        return _date_param(self.params.get("start"))

    @property
    def end(self) -> datetime.date | None:
        return _date_param(self.params.get("end"))

    @property
    def percent(self) -> int:
        if self.status == ExportStatus.DONE:
            return 100
        if not self.progress_total:
            return 0
        return min(99, self.progress_done * 100 // self.progress_total)

    @property
    def is_finished(self) -> bool:
        return self.status in (ExportStatus.DONE, ExportStatus.FAILED, ExportStatus.CANCELLED)

    @property
    def is_downloadable(self) -> bool:
        return (
            self.status == ExportStatus.DONE
            and bool(self.file)
            and (self.expires_at is None or self.expires_at > timezone.now())
        )


def _date_param(value: object) -> datetime.date | None:
    try:
        return datetime.date.fromisoformat(str(value)) if value else None
    except ValueError:
        return None
