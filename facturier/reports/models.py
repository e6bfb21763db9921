"""The VAT summary the VAT register and the OSS return read, and the detail it is aggregated from.

Why a summary: the VAT register of a large account summed over its invoice lines takes about half a
second (reference/perf-baselines.md §2); the same figures from one row per day and VAT bucket take a few
milliseconds, for any from–to range.

- `ReportContribution`: what one source document (a sales document or an expense) contributes, per
  date kind, day and bucket. "document" rows are dated with the document's date; "due" rows with the
  date VAT falls due (goods: delivery; services: each payment, unless the seller opted for VAT on
  debits). A document's rows are replaced as a whole whenever it, its credit notes or its payments
  change, so nothing has to be subtracted by hand and an update can never drift from a rebuild.
- `ReportSummary`: the contributions of each account summed per day and bucket, and per month. Only the
  days (and months) a change touches are summed again, under the account's lock (its billing settings
  row, billing.numbering.lock_account).

Both are written only by reports/summaries.py, in the transaction of the service that changed the
documents; `manage.py rebuild_report_summaries` recomputes them from the documents.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

from facturier.lib import vat
from facturier.tenancy.models import Account


class DateKind(models.TextChoices):
    DOCUMENT = "document", _("Date du document")
    DUE = "due", _("Date d'exigibilité de la TVA")


class Span(models.TextChoices):
    """What a summary row sums: one day, or a whole month (its day is the 1st)."""

    DAY = "day", _("Jour")
    MONTH = "month", _("Mois")


class Direction(models.TextChoices):
    SALE = "sale", _("Vente")
    PURCHASE = "purchase", _("Achat")


# The document kind of purchase rows (sales rows carry billing.models.Kind values).
EXPENSE = "expense"

# The columns a summary row is keyed on, after (account, date_kind, direction, day).
DIMENSIONS = (
    "document_kind",
    "country",
    "consumer",
    "vat_rate",
    "vat_category",
    "vat_country",
    "supply_kind",
    "deductible",
)


class VatAmounts(models.Model):
    """Day, bucket and amounts: what a contribution and a summary row have in common."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    date_kind = models.CharField(max_length=8, choices=DateKind.choices)
    direction = models.CharField(max_length=8, choices=Direction.choices)
    day = models.DateField()
    # Sales: billing.models.Kind; purchases: EXPENSE.
    document_kind = models.CharField(max_length=20)
    # The buyer's country (sales) or the supplier's (purchases).
    country = models.CharField(max_length=2, blank=True)
    # A sale to a person (not a business): OSS scope and its threshold.
    consumer = models.BooleanField(default=False)
    vat_rate = models.DecimalField(max_digits=5, decimal_places=2)
    vat_category = models.CharField(max_length=2, choices=vat.CATEGORY_CHOICES)
    # The member state whose VAT applies (sales); blank on purchases.
    vat_country = models.CharField(max_length=2, blank=True)
    supply_kind = models.CharField(max_length=10)
    # Purchases: the VAT may be deducted; always False on sales.
    deductible = models.BooleanField(default=False)
    base_eur = models.DecimalField(max_digits=18, decimal_places=2)
    vat_eur = models.DecimalField(max_digits=18, decimal_places=2)

    class Meta:
        abstract = True


class ReportContribution(VatAmounts):
    """One source document's share of one summary row (the detail the summary is the sum of)."""

    # billing.Document id (direction "sale") or purchases.Expense id (direction "purchase"). A plain
    # column rather than a foreign key: the rows of a deleted expense must outlive it until the days
    # they fed are summed again.
    source_id = models.BigIntegerField()

    class Meta:
        indexes = [
            models.Index(fields=["account", "direction", "source_id"], name="contribution_source"),
            models.Index(fields=["account", "date_kind", "direction", "day"], name="contribution_day"),
        ]

    def __str__(self) -> str:
        return (
            f"{self.direction} {self.source_id} {self.date_kind} {self.day}: {self.base_eur} + {self.vat_eur}"
        )


class ReportSummary(VatAmounts):
    """Per account, date kind, direction, day (or month) and bucket: base and VAT in EUR, and how many
    documents. Month rows are the sums of the month's day rows: a period is read from the month rows
    of its whole months and the day rows of the days around them (a year is ~12 times fewer rows)."""

    # No index of its own: the unique key below, led by the account, serves every lookup by account,
    # and with a plain account_id index beside it PostgreSQL's planner chose to filter all the
    # account's rows through that one (its rows lie together on disk, which the planner rates cheap).
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+", db_index=False)
    span = models.CharField(max_length=5, choices=Span.choices, default=Span.DAY)
    documents = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            # One row per key; its index, led by (account, date_kind, span, day), is the one the
            # reports' range scans use: the direction comes after the day, so that a read of both
            # directions (the VAT register) is one range of it too.
            models.UniqueConstraint(
                fields=["account", "date_kind", "span", "day", "direction", *DIMENSIONS],
                name="one_summary_row_per_key",
            )
        ]

    def __str__(self) -> str:
        return f"{self.direction} {self.date_kind} {self.day}: {self.base_eur} + {self.vat_eur}"


class SummaryState(models.Model):
    """One row per account: when its summary was last rebuilt. The summary is written under the
    account's lock (billing.numbering.lock_account): two transactions re-summing the same day would
    otherwise each keep rows the other does not see. Writers other than issuing take it after the
    documents' own locks, and issuing locks no issued document after it, so it cannot close a cycle
    of waits."""

    account = models.OneToOneField(Account, on_delete=models.CASCADE, primary_key=True, related_name="+")
    rebuilt_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"summary state of {self.account_id}"
