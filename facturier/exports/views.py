"""The Exports tab of an account (/<slug>/exports/): choose an export and its filters, get the file.

A small export runs in the request and its file comes back at once; a large one is queued for the job
worker and the page of its job shows a progress bar (htmx polls it every second) until the download
button appears; its requester also gets an email. The tab lists the account's recent exports, whose
files stay downloadable 7 days. Every page needs the `exports.run` permission; another account's job
is a 404.
"""

import re
from typing import cast

from django.contrib import messages
from django.db.models import Q, QuerySet
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from facturier.exports import jobs
from facturier.exports.base import ExportError
from facturier.exports.forms import FORMAT_HELP, ExportForm
from facturier.exports.models import ExportFormat, ExportJob, ExportStatus
from facturier.tenancy.access import AccountRequest, account_view, get_in_account

RECENT_JOBS = 20
DOWNLOAD_TOKEN = re.compile(r"[0-9]{1,40}")


@account_view("exports.run")
@require_http_methods(["GET", "POST"])
def index(request: AccountRequest) -> HttpResponse:
    account = request.account
    form = ExportForm(request.POST if request.method == "POST" else request.GET, today=account.today())
    if request.method == "POST" and form.is_valid():
        export = form.export_request(account)
        format_code = form.cleaned_data["format"]
        try:
            total = jobs.source_rows(format_code, export)
            if total == 0:
                raise ExportError(
                    _("Rien à exporter : aucun document ne correspond à ces filtres sur cette période.")
                )
            job = jobs.create_job(account, format_code, export, request.user, total=total)
        except ExportError as error:
            form.add_error(None, error.message)
        else:
            if total > jobs.FORMATS[format_code].inline_limit:
                jobs.enqueue(job)
                messages.info(
                    request,
                    _(
                        "L'export est en préparation ; vous recevrez aussi un email quand le fichier sera prêt."
                    ),
                )
                return redirect("exports:job", account.slug, job.pk)
            jobs.run_job(job)
            if job.status == ExportStatus.DONE:
                return _with_download_token(_file_response(job), request.POST.get("download_token", ""))
            return redirect("exports:job", account.slug, job.pk)
    recent = (
        _visible_jobs(request)
        .filter(account=account)
        .select_related("created_by")
        .order_by("-created_at")[:RECENT_JOBS]
    )
    return render(
        request,
        "exports/index.html",
        {"account": account, "form": form, "format_help": FORMAT_HELP, "jobs": recent},
    )


@account_view("exports.run")
@require_GET
def job(request: AccountRequest, pk: int) -> HttpResponse:
    """The job's page; htmx asks for its status block every second until the job is finished."""
    found = get_in_account(_visible_jobs(request).select_related("created_by"), request.account, pk=pk)
    context = {"account": request.account, "job": found}
    if request.htmx:  # type: ignore[attr-defined]
        return render(request, "exports/_job_status.html", context)
    return render(request, "exports/job.html", context)


@account_view("exports.run")
@require_GET
def download(request: AccountRequest, pk: int) -> HttpResponse:
    found = get_in_account(_visible_jobs(request), request.account, pk=pk)
    if not found.is_downloadable:
        messages.error(
            request,
            _("Ce fichier n'est plus disponible (les exports sont gardés 7 jours) : relancez l'export."),
        )
        return redirect("exports:job", request.account.slug, found.pk)
    return _file_response(found)


def _visible_jobs(request: AccountRequest) -> QuerySet[ExportJob]:
    """The jobs of the account a member may see. A firm batch holds the books of client accounts, which
    not every member of the firm may open: only the user who asked for it sees it (a 404 for others)."""
    return ExportJob.objects.exclude(Q(format=ExportFormat.FIRM_BATCH) & ~Q(created_by=request.user))


def _with_download_token(response: HttpResponse, token: str) -> HttpResponse:
    """Echo the page's token in a cookie: its script then knows the file has started (static/js/app.js)."""
    if DOWNLOAD_TOKEN.fullmatch(token):
        response.set_cookie("download_token", token, max_age=60, samesite="Lax")
    return response


def _file_response(found: ExportJob) -> HttpResponse:
    try:
        stream = found.file.open("rb")
    except FileNotFoundError:
        raise Http404(_("Le fichier de cet export est introuvable.")) from None
    response = FileResponse(
        stream,
        as_attachment=True,
        filename=found.file_name,
        content_type=jobs.FORMATS[found.format].content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, max-age=0"
    return cast(HttpResponse, response)  # a streaming response; the gate's signature names HttpResponse
