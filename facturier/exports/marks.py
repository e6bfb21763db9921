"""The accounting status of documents: the "exported" mark the accounting exports leave, and the account
option that protects exported documents against modification.

An accounting export (FEC, invoice export) marks the documents and expenses it carried once its file is
written, so the next export can take only what is new ("not yet exported"). Marking is the one write of
the exports; it runs in the job runner, not in the writers, which only read.
"""

import datetime

from django.db.models import QuerySet
from django.utils import formats
from django.utils.translation import gettext as _

from facturier.accounts.models import User
from facturier.billing.models import Document, Payment
from facturier.exports.models import AccountingSettings
from facturier.purchases.models import Expense
from facturier.tenancy.errors import ServiceError
from facturier.tenancy.models import Account


class ExportedDocumentError(ServiceError):
    """A change refused because the document went to the books and the account protects exported ones."""


def ensure_not_exported(account: Account, exported_at: datetime.datetime | None) -> None:
    """Refuse a change to an exported document when the account asked for exported documents to be
    protected (Paramètres > Comptabilité). Services call it next to the lock-date check."""
    if exported_at is None:
        return
    if not AccountingSettings.objects.filter(account=account, lock_exported=True).exists():
        return
    raise ExportedDocumentError(
        _(
            "Ce document a été exporté en comptabilité le %(date)s et le compte protège les documents "
            "exportés : il ne peut plus être modifié ni supprimé. Émettez un avoir ou demandez à votre "
            "comptable."
        )
        % {"date": formats.date_format(exported_at, "SHORT_DATE_FORMAT")}
    )


def on_exported_change(
    sender: object, account: Account, exported_at: datetime.datetime, **kwargs: object
) -> None:
    """Receiver of tenancy.locking.exported_change_requested (exports/apps.py)."""
    ensure_not_exported(account, exported_at)


def mark_exported(
    rows: QuerySet[Document] | QuerySet[Expense] | QuerySet[Payment],
    *,
    written_field: str,
    started_at: datetime.datetime,
    at: datetime.datetime,
    by: User | None,
) -> int:
    """Mark the rows of an export that were not marked yet. Rows written after the export started
    (`written_field`: issued_at for sales documents, created_at for expenses, updated_at for payments) are left alone: they were
    not in the file, even when their date falls in its period."""
    return rows.filter(exported_at__isnull=True, **{f"{written_field}__lte": started_at}).update(
        exported_at=at, exported_by=by
    )
