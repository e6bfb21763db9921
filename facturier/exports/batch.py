"""The firm batch: one ZIP holding, for each selected client account, its FEC, its invoice and payments
exports and the ZIP of its PDFs, for one period.

It runs on the job worker as a job of the firm's account. Each client account is exported with the same
writers as its own Exports tab, as the firm user who asked (who must be allowed to export in that account,
checked here when the job runs, not only when it was asked for). An account that cannot be exported in
full (no SIREN for its FEC, nothing in the period) does not stop the others: its problem is listed in the
job and in ANOMALIES.txt at the root of the archive.
"""

import dataclasses
import shutil
import tempfile
import zipfile
from typing import IO

from django.utils import timezone
from django.utils.translation import gettext as _

from facturier.accounts.models import User
from facturier.exports.base import ExportError, ExportRequest, Progress, no_progress
from facturier.exports.models import ExportFormat
from facturier.tenancy import audit
from facturier.tenancy.access import Actor
from facturier.tenancy.models import Account, Membership

# What each client account's folder holds: (format, file name in the folder).
PARTS: list[tuple[str, str]] = [
    (ExportFormat.FEC, ""),  # named by the FEC rule: <SIREN>FEC<closing date>.txt
    (ExportFormat.INVOICES_XLSX, "factures.xlsx"),
    (ExportFormat.PAYMENTS_XLSX, "paiements.xlsx"),
    (ExportFormat.PDF_ZIP, "documents.zip"),
]


def write_firm_batch(request: ExportRequest, out: IO[bytes], progress: Progress) -> list[str]:
    """Write the batch ZIP into `out`; returns the problems met, one line per account and part."""
    from facturier.exports.jobs import file_name, mark_carried, source_rows

    firm = request.account
    user_id = request.extra.get("user_id")
    user = User.objects.filter(pk=user_id).first() if user_id else None
    accounts = list(
        Account.objects.filter(managed_by=firm, pk__in=request.extra.get("account_ids", ())).order_by("name")
    )
    if not accounts:
        raise ExportError(_("Sélectionnez au moins un compte client géré par le cabinet."))
    memberships = {
        m.account_id: m
        for m in Membership.objects.filter(account__in=accounts, user=user).select_related(
            "custom_role", "firm", "account"
        )
    }
    problems: list[str] = []
    exported: list[tuple[ExportRequest, Actor]] = []
    started_at = timezone.now()
    steps, done = len(accounts) * len(PARTS), 0
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED, allowZip64=True) as archive:
        for account in accounts:
            membership = memberships.get(account.pk)
            if membership is None or not membership.has_perm("exports.run"):
                problems.append(
                    _("%(account)s : vous n'avez pas le droit d'exporter ce compte.")
                    % {"account": account.name}
                )
                done += len(PARTS)
                progress(done, steps)
                continue
            sub = dataclasses.replace(request, account=account, extra={})
            for format_code, name in PARTS:
                if source_rows(format_code, sub) == 0:
                    # Nothing of this kind in the period (no payments, say): nothing to write, no anomaly.
                    done += 1
                    progress(done, steps)
                    continue
                try:
                    _add_part(
                        archive, f"{account.slug}/{name or file_name(format_code, sub)}", format_code, sub
                    )
                except ExportError as error:
                    problems.append(
                        _("%(account)s, %(part)s : %(message)s")
                        % {
                            "account": account.name,
                            "part": ExportFormat(format_code).label,
                            "message": error.message,
                        }
                    )
                else:
                    if format_code == ExportFormat.FEC:
                        exported.append((sub, Actor(user=user, membership=membership)))
                done += 1
                progress(done, steps)
        if problems:
            archive.writestr("ANOMALIES.txt", "\r\n".join(problems) + "\r\n")
    # Only once the whole archive is written: what the FEC carried goes to the books.
    now = timezone.now()
    for sub, actor in exported:
        mark_carried(ExportFormat.FEC, sub, started_at=started_at, at=now, by=user)
        audit.record(
            actor,
            sub.account,
            "export.completed",
            target=_("Lot comptable du cabinet"),
            summary=_("FEC, factures, paiements et PDF du %(start)s au %(end)s.")
            % {"start": sub.start, "end": sub.end},
        )
    return problems


def _add_part(archive: zipfile.ZipFile, name: str, format_code: str, request: ExportRequest) -> None:
    from facturier.exports.jobs import write_to

    with tempfile.TemporaryFile() as part:
        write_to(format_code, request, part, no_progress)
        part.seek(0)
        with archive.open(name, "w", force_zip64=True) as entry:
            shutil.copyfileobj(part, entry, 1024 * 1024)
