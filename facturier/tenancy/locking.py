"""The lock-date policy ("date de protection des documents").

Documents dated on or before an account's lock date cannot be created, changed, cancelled or deleted.
Every service that writes a dated document calls `ensure_unlocked` with each date involved (the old
and the new one when a date moves), and `ensure_writable` for the subscription.
"""

import datetime

from django.dispatch import Signal
from django.utils import formats
from django.utils.translation import gettext as _

from facturier.tenancy.errors import LockedPeriodError, ReadOnlyAccountError
from facturier.tenancy.models import Account


def is_locked(account: Account, day: datetime.date) -> bool:
    return account.locked_until is not None and day <= account.locked_until


def ensure_unlocked(account: Account, *days: datetime.date | None, field: str | None = None) -> None:
    """`field` names the form or API field the refusal belongs to (the date that was sent)."""
    locked_until = account.locked_until
    if locked_until is None:
        return
    for day in days:
        if day is not None and day <= locked_until:
            raise LockedPeriodError(
                _(
                    "Les documents datés du %(locked)s ou avant sont protégés : "
                    "le document du %(day)s ne peut être ni créé, ni modifié, ni annulé, ni supprimé."
                )
                % {
                    "locked": formats.date_format(locked_until, "SHORT_DATE_FORMAT"),
                    "day": formats.date_format(day, "SHORT_DATE_FORMAT"),
                },
                field=field,
            )


# A change to a document or expense that went to the books is asked for. Arguments: account, exported_at.
# The exports app refuses it (ServiceError) when the account protects exported documents.
exported_change_requested = Signal()


def ensure_exported_changeable(account: Account, exported_at: datetime.datetime | None) -> None:
    """Let the apps that protect exported rows refuse the change (services call it beside ensure_unlocked)."""
    if exported_at is not None:
        exported_change_requested.send(sender=Account, account=account, exported_at=exported_at)


def ensure_writable(account: Account) -> None:
    if account.is_read_only and account.subscription_ends_on is not None:
        raise ReadOnlyAccountError(
            _(
                "L'abonnement de ce compte a pris fin le %(date)s : le compte est en lecture seule. "
                "Vous pouvez toujours consulter, imprimer et exporter vos documents."
            )
            % {"date": formats.date_format(account.subscription_ends_on, "SHORT_DATE_FORMAT")}
        )
