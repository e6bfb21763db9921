"""Running an export: the formats and their writers, the job that writes the file, checks it, keeps it
7 days and marks what it carried; and the task the worker runs for large exports.

Every export is an ExportJob. A small one runs in the request and its file is sent at once; a large one
(more source rows than its format's `inline_limit`) is queued for the job worker (`manage.py db_worker`),
whose progress the page polls, and its requester gets an email when the file is ready. Either way the
file is written to a local temporary file first (writers stream: memory stays flat), then saved through
the storage API (a shared folder or S3 in production, so any web process can serve it).
"""

import datetime
import logging
import tempfile
import time
from dataclasses import dataclass
from typing import IO

from django.core.files import File
from django.db import transaction
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _
from django_tasks import task

from facturier.accounts.models import User
from facturier.exports import marks, selection
from facturier.exports.base import ExportError, ExportRequest, Progress, Writer
from facturier.exports.models import KEEP_FILES_FOR, ExportFormat, ExportJob, ExportStatus
from facturier.lib import jobs as job_rules
from facturier.lib.mail import send_templated_mail
from facturier.tenancy import audit
from facturier.tenancy.access import Actor
from facturier.tenancy.models import Account, Membership

logger = logging.getLogger(__name__)

# The job's progress is written at most this often (a writer may report after every document).
PROGRESS_INTERVAL = 0.5


@dataclass(frozen=True)
class FormatSpec:
    code: str
    # Dotted path of the writer, imported when first used: writers pull in Typst, XlsxWriter, pypdf.
    writer_path: str
    extension: str
    content_type: str
    # Up to this many source rows the export runs in the request (about a second of work).
    inline_limit: int
    # Accounting exports mark the documents (and expenses, payments) they carried as exported.
    marks_sales: bool = False
    marks_expenses: bool = False
    marks_payments: bool = False

    @property
    def writer(self) -> Writer:
        writer: Writer = import_string(self.writer_path)
        return writer


XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_TYPE = "text/csv; charset=utf-8"
FORMATS: dict[str, FormatSpec] = {
    spec.code: spec
    for spec in (
        FormatSpec(
            ExportFormat.FEC,
            "facturier.exports.fec.write_fec",
            "txt",
            "text/plain; charset=utf-8",
            inline_limit=3000,
            marks_sales=True,
            marks_expenses=True,
            marks_payments=True,
        ),
        FormatSpec(
            ExportFormat.INVOICES_CSV,
            "facturier.exports.tables.write_invoices_csv",
            "csv",
            CSV_TYPE,
            inline_limit=5000,
            marks_sales=True,
        ),
        FormatSpec(
            ExportFormat.INVOICES_XLSX,
            "facturier.exports.tables.write_invoices_xlsx",
            "xlsx",
            XLSX_TYPE,
            inline_limit=3000,
            marks_sales=True,
        ),
        FormatSpec(
            ExportFormat.PAYMENTS_CSV, "facturier.exports.tables.write_payments_csv", "csv", CSV_TYPE, 5000
        ),
        FormatSpec(
            ExportFormat.PAYMENTS_XLSX,
            "facturier.exports.tables.write_payments_xlsx",
            "xlsx",
            XLSX_TYPE,
            3000,
        ),
        FormatSpec(
            ExportFormat.PDF_ZIP, "facturier.exports.documents.write_pdf_zip", "zip", "application/zip", 30
        ),
        FormatSpec(
            ExportFormat.PDF_PRINT,
            "facturier.exports.documents.write_pdf_print",
            "pdf",
            "application/pdf",
            30,
        ),
        FormatSpec(
            ExportFormat.FIRM_BATCH, "facturier.exports.batch.write_firm_batch", "zip", "application/zip", 0
        ),
    )
}
# The formats of one account's Exports tab (the firm batch starts from the client-accounts list).
ACCOUNT_FORMATS = [code for code in FORMATS if code != ExportFormat.FIRM_BATCH]


def source_rows(format_code: str, request: ExportRequest) -> int:
    """How many rows the export reads: what decides between running it now or on the worker."""
    if format_code == ExportFormat.FIRM_BATCH:
        return len(request.extra.get("account_ids", ()))
    if format_code in (ExportFormat.PAYMENTS_CSV, ExportFormat.PAYMENTS_XLSX):
        count = selection.payments(request).count() if request.scope in ("sales", "all") else 0
        if request.scope in ("purchases", "all"):
            count += selection.expense_payments(request).count()
        return count
    count = 0
    if format_code == ExportFormat.FEC or request.scope in ("sales", "all"):
        count += selection.sales_documents(request).count()
    if format_code == ExportFormat.FEC or (
        format_code in (ExportFormat.PDF_ZIP, ExportFormat.PDF_PRINT)
        and request.scope in ("purchases", "all")
    ):
        count += selection.expenses(request).count()
    if format_code == ExportFormat.FEC:
        count += selection.payments(request).count() + selection.expense_payments(request).count()
    return count


def file_name(format_code: str, request: ExportRequest) -> str:
    """What the downloaded file is called: the account, the export and its period."""
    if format_code == ExportFormat.FEC:
        from facturier.exports.fec import fec_file_name

        return fec_file_name(request.account, request)
    spec = FORMATS[format_code]
    stem = format_code.replace("-csv", "").replace("-xlsx", "")
    return f"{request.account.slug}-{stem}-{request.start:%Y-%m-%d}-{request.end:%Y-%m-%d}.{spec.extension}"


def create_job(
    account: Account, format_code: str, request: ExportRequest, user: User | None, *, total: int = 0
) -> ExportJob:
    return ExportJob.objects.create(
        account=account,
        format=format_code,
        params=request.to_params(),
        created_by=user,
        progress_total=total,
    )


def _throttled_progress(job: ExportJob) -> Progress:
    last_write = 0.0

    def progress(done: int, total: int) -> None:
        nonlocal last_write
        now = time.monotonic()
        if now - last_write < PROGRESS_INTERVAL and done < total:
            return
        last_write = now
        job.progress_done, job.progress_total = done, total
        ExportJob.objects.filter(pk=job.pk).update(
            progress_done=done, progress_total=total, heartbeat_at=timezone.now()
        )

    return progress


def write_to(format_code: str, request: ExportRequest, out: IO[bytes], progress: Progress) -> list[str]:
    """Write the export into `out`; returns the findings to show with it (the client accounts a firm
    batch could not export). A FEC is checked by the built-in checker once written: a violation fails
    the export (FecCheckFailed listing them)."""
    # The firm batch's writer returns its findings; the others return nothing. The batch is reached through
    # FORMATS' dotted path only: it writes its parts with write_to, so importing it here would be a cycle.
    findings = FORMATS[format_code].writer(request, out, progress)
    if format_code != ExportFormat.FEC:
        return list(findings or [])
    from facturier.exports.fec_check import check_fec

    out.flush()
    out.seek(0)
    violations = check_fec(out, file_name=file_name(format_code, request))
    if violations:
        raise FecCheckFailed([str(violation) for violation in violations])
    return []


class FecCheckFailed(ExportError):
    def __init__(self, violations: list[str]) -> None:
        super().__init__(
            _("Le contrôle du FEC a relevé %(count)d anomalie(s) : le fichier n'est pas proposé.")
            % {"count": len(violations)}
        )
        self.violations = violations


def run_job(job: ExportJob) -> ExportJob:
    """Write the job's file, check it, store it for 7 days and mark what it carried. Failures the user
    can fix (ExportError) end the job with their message; anything else is logged and reported as an
    internal error, and nothing is marked."""
    started_at = timezone.now()
    if not ExportJob.objects.filter(pk=job.pk, status=ExportStatus.QUEUED).update(
        status=ExportStatus.RUNNING, started_at=started_at, heartbeat_at=started_at, runs=F("runs") + 1
    ):
        job.status = ExportStatus.CANCELLED  # cancelled (or deleted) since it was queued
        return job
    job.status, job.started_at, job.heartbeat_at = ExportStatus.RUNNING, started_at, started_at
    job.runs += 1  # as the update did, so that saving the job at its end keeps the count
    request = ExportRequest.from_params(job.account, job.params)
    try:
        with tempfile.TemporaryFile() as out:
            job.messages = write_to(job.format, request, out, _throttled_progress(job))
            out.seek(0)
            name = file_name(job.format, request)
            job.file.save(name, File(out, name=name), save=False)
            job.file_name, job.file_size = name, job.file.size
    except FecCheckFailed as failure:
        _fail(job, failure.message, failure.violations)
    except ExportError as error:
        _fail(job, error.message)
    except Exception:
        logger.exception("Export job %s failed", job.pk)
        _fail(
            job,
            _(
                "L'export a échoué à cause d'une erreur interne. Réessayez ; si cela se reproduit, contactez le support."
            ),
        )
    else:
        _finish(job, request, started_at)
    return job


def _fail(job: ExportJob, message: str, details: list[str] | None = None) -> None:
    job.status, job.error, job.finished_at = ExportStatus.FAILED, message, timezone.now()
    job.messages = details or []
    if not ExportJob.objects.filter(pk=job.pk, status=ExportStatus.RUNNING).update(
        status=job.status, error=job.error, messages=job.messages, finished_at=job.finished_at
    ):
        job.status = ExportStatus.CANCELLED  # cancelled while it ran: it stays so


@transaction.atomic
def _finish(job: ExportJob, request: ExportRequest, started_at: datetime.datetime) -> None:
    status = ExportJob.objects.select_for_update().filter(pk=job.pk).values_list("status", flat=True).first()
    if status != ExportStatus.RUNNING:
        # Its requester lost their access to the account while the file was written
        # (cancel_for_removed_access): nothing of it is kept, marked or announced.
        job.file.delete(save=False)
        job.status = ExportStatus.CANCELLED
        return
    now = timezone.now()
    job.status, job.finished_at, job.expires_at = ExportStatus.DONE, now, now + KEEP_FILES_FOR
    job.progress_done = max(job.progress_done, job.progress_total)
    job.save()
    mark_carried(job.format, request, started_at=started_at, at=now, by=job.created_by)
    audit.record(
        _actor(job),
        job.account,
        "export.completed",
        target=job.file_name,
        summary=_("%(format)s du %(start)s au %(end)s.")
        % {"format": job.get_format_display(), "start": request.start, "end": request.end},
    )


def mark_carried(
    format_code: str,
    request: ExportRequest,
    *,
    started_at: datetime.datetime,
    at: datetime.datetime,
    by: User | None,
) -> None:
    """Mark as exported what an accounting export of this format carried (marks.mark_exported)."""
    spec = FORMATS[format_code]
    if spec.marks_sales:
        marks.mark_exported(
            selection.sales_documents(request), written_field="issued_at", started_at=started_at, at=at, by=by
        )
    if spec.marks_expenses:
        marks.mark_exported(
            selection.expenses(request), written_field="created_at", started_at=started_at, at=at, by=by
        )
    if spec.marks_payments:
        marks.mark_exported(
            # A payment can change after it is recorded: one changed while the export ran was not in it.
            selection.payments(request),
            written_field="updated_at",
            started_at=started_at,
            at=at,
            by=by,
        )


def _actor(job: ExportJob) -> Actor:
    if job.created_by is None:
        return Actor.system()
    membership = (
        Membership.objects.filter(account=job.account, user=job.created_by).select_related("firm").first()
    )
    return Actor(user=job.created_by, membership=membership)


@task()
def run_export_job(job_id: int) -> None:
    """The worker's side of a large export: run it, then tell its requester the file is ready."""
    job = ExportJob.objects.select_related("account", "created_by").filter(pk=job_id).first()
    if job is None or job.status != ExportStatus.QUEUED:
        return  # deleted meanwhile, or already run by another worker
    run_job(job)
    notify(job)
    purge_expired()


# A running export writes its heartbeat with its progress; one silent this long lost its worker.
HEARTBEAT_TIMEOUT = datetime.timedelta(minutes=15)
# An export interrupted this many times (a worker killed by the memory limit, say) is given up.
MAX_RUNS = 3


def _heartbeat(job_id: int) -> datetime.datetime | None:
    return ExportJob.objects.filter(pk=job_id).values_list("heartbeat_at", flat=True).first()


@job_rules.on_interrupted(run_export_job, time_limit=HEARTBEAT_TIMEOUT, heartbeat=_heartbeat)
def resume_interrupted(job_id: int) -> bool:
    """An export whose worker died: queued again from the start (run_job starts it afresh and marks
    nothing until it ends), or, after MAX_RUNS starts, failed with a message that asks to relaunch it."""
    job = ExportJob.objects.filter(pk=job_id).only("status", "runs").first()
    if job is None:
        return False
    if job.status == ExportStatus.QUEUED:
        return True
    running = ExportJob.objects.filter(pk=job_id, status=ExportStatus.RUNNING)
    if job.runs < MAX_RUNS:
        return bool(running.update(status=ExportStatus.QUEUED, progress_done=0, heartbeat_at=None))
    running.update(
        status=ExportStatus.FAILED,
        error=_("L'export a été interrompu : relancez-le."),
        messages=[],
        finished_at=timezone.now(),
    )
    logger.error("Export job %s interrupted %d times: given up", job_id, job.runs)
    return False


def enqueue(job: ExportJob) -> None:
    """Queue the job once the transaction that created it commits (the worker must see its row)."""
    transaction.on_commit(lambda: run_export_job.enqueue(job.pk))


def notify(job: ExportJob) -> None:
    if job.created_by is None or not job.created_by.email or job.status == ExportStatus.CANCELLED:
        return
    url = reverse("exports:job", args=[job.account.slug, job.pk])
    send_templated_mail(
        "export_ready",
        job.created_by.email,
        {"job": job, "account": job.account, "path": url, "expires_at": job.expires_at},
        job.created_by.language,
    )


def cancel_for_removed_access(sender: object, access: dict[int, list[int]], **kwargs: object) -> int:
    """Receiver of tenancy's access_removed ({user id: [account ids]}): the export jobs those users
    asked for in those accounts and that have not finished are cancelled, in the transaction that
    removes the access. A queued job never runs; one the worker is writing keeps nothing at its end
    (_finish). So no file of an account is made for, or announced to, someone who lost access to it.
    Returns how many jobs were cancelled."""
    pending = Q()
    for user_id, account_ids in access.items():
        pending |= Q(created_by_id=user_id, account_id__in=account_ids)
    if not pending:
        return 0
    return ExportJob.objects.filter(pending, status__in=[ExportStatus.QUEUED, ExportStatus.RUNNING]).update(
        status=ExportStatus.CANCELLED,
        error=_("Export annulé : la personne qui l'a demandé n'a plus accès au compte."),
        finished_at=timezone.now(),
    )


def purge_expired(now: datetime.datetime | None = None) -> int:
    """Delete the files of exports past their 7 days (the jobs stay, as the history of what was
    exported). Run after each worker job and by `manage.py purge_exports` (for a cron)."""
    now = now or timezone.now()
    expired = ExportJob.objects.filter(expires_at__lte=now).exclude(file="")
    count = 0
    for job in expired.iterator():
        job.file.delete(save=False)
        ExportJob.objects.filter(pk=job.pk).update(file="")
        count += 1
    return count
