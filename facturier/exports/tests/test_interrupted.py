"""An export whose worker dies in the middle: noticed once its heartbeat stops, run again from the start
by the next worker, and after a few such deaths given up with a message and a way to relaunch it."""

import datetime

import pytest
import time_machine
from django.core import mail
from django.urls import reverse
from django.utils import timezone
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from facturier.billing.tests.factories import actor_for, line, make_client, make_invoice
from facturier.exports import jobs
from facturier.exports.base import ExportRequest
from facturier.exports.models import ExportFormat, ExportJob, ExportStatus
from facturier.tests.jobs import database_backend, run_worker

__all__ = ["database_backend"]
pytestmark = pytest.mark.usefixtures("database_backend")

NOW = datetime.datetime(2026, 3, 5, 10, 0, tzinfo=datetime.UTC)


class WorkerKilled(BaseException):
    """What a kill -9 looks like from inside: nothing after it runs, not even the error handling."""


@pytest.fixture
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def job(acme, owner, django_capture_on_commit_callbacks):
    client = make_client(acme)
    make_invoice(actor_for(acme, owner), client, lines=[line("Conseil", "1", "100", "20")])
    request = ExportRequest(account=acme, start=datetime.date(2026, 1, 1), end=datetime.date(2026, 12, 31))
    job = jobs.create_job(acme, ExportFormat.INVOICES_CSV, request, owner, total=1017)
    with django_capture_on_commit_callbacks(execute=True):
        jobs.enqueue(job)
    return job


def crash_mid_export(job, monkeypatch):
    """Run the job as the worker does, until its worker dies at 27/1017: the export row says
    "running 27/1017" and the task row RUNNING, as a killed worker leaves them."""
    real_write_to = jobs.write_to

    def write_and_die(format_code, request, out, progress):
        progress(27, 1017)
        raise WorkerKilled

    monkeypatch.setattr(jobs, "write_to", write_and_die)
    row = DBTaskResult.objects.get(status=TaskResultStatus.READY)
    row.claim("killed-worker")
    with pytest.raises(WorkerKilled):
        jobs.run_export_job.call(job.pk)
    monkeypatch.setattr(jobs, "write_to", real_write_to)
    job.refresh_from_db()
    assert (job.status, job.progress_done, job.progress_total) == (ExportStatus.RUNNING, 27, 1017)


def test_an_export_cut_short_by_a_dead_worker_completes_after_restart(clock, job, monkeypatch):
    crash_mid_export(job, monkeypatch)

    clock.shift(jobs.HEARTBEAT_TIMEOUT - datetime.timedelta(minutes=1))
    run_worker()  # its heartbeat is recent enough: it may still be running elsewhere
    job.refresh_from_db()
    assert job.status == ExportStatus.RUNNING

    clock.shift(datetime.timedelta(minutes=2))
    run_worker()

    job.refresh_from_db()
    assert job.status == ExportStatus.DONE and job.file and job.runs == 2
    assert job.progress_done == job.progress_total == 1
    runs = DBTaskResult.objects.filter(task_path="facturier.exports.jobs.run_export_job")
    assert sorted(runs.values_list("status", flat=True)) == [
        TaskResultStatus.FAILED,
        TaskResultStatus.SUCCESSFUL,
    ]
    interrupted = runs.get(status=TaskResultStatus.FAILED)
    assert interrupted.exception_class_path == "facturier.lib.jobs.Interrupted"
    (ready,) = mail.outbox
    assert job.created_by.email in ready.to


def test_a_heartbeat_keeps_a_long_export_alive(clock, job, monkeypatch):
    crash_mid_export(job, monkeypatch)
    started = timezone.now()
    clock.shift(datetime.timedelta(hours=1))
    # Still writing: the heartbeat came a minute ago.
    ExportJob.objects.filter(pk=job.pk).update(heartbeat_at=timezone.now() - datetime.timedelta(minutes=1))

    run_worker()

    job.refresh_from_db()
    assert job.status == ExportStatus.RUNNING and job.started_at == started
    assert DBTaskResult.objects.get().status == TaskResultStatus.RUNNING


def test_an_export_that_keeps_dying_is_given_up_with_a_relaunch_button(clock, job, monkeypatch, owner_client):
    crash_mid_export(job, monkeypatch)
    ExportJob.objects.filter(pk=job.pk).update(runs=jobs.MAX_RUNS)

    clock.shift(jobs.HEARTBEAT_TIMEOUT + datetime.timedelta(minutes=1))
    run_worker()

    job.refresh_from_db()
    assert job.status == ExportStatus.FAILED
    assert job.error == "L'export a été interrompu : relancez-le."
    assert DBTaskResult.objects.get().status == TaskResultStatus.FAILED
    page = owner_client.get(reverse("exports:job", args=["acme", job.pk])).content.decode()
    assert "L&#x27;export a été interrompu : relancez-le." in page
    relaunch = reverse("exports:index", args=["acme"]) + (
        "?format=invoices-csv&amp;period=custom&amp;date_from=2026-01-01&amp;date_to=2026-12-31"
    )
    assert f"{relaunch}&amp;layout=document&amp;scope=all\">Relancer l'export</a>" in page
    form = owner_client.get(relaunch.replace("&amp;", "&")).context["form"]
    assert form.is_valid() and form.cleaned_data["format"] == ExportFormat.INVOICES_CSV
    assert (form.filters().start, form.filters().end) == (
        datetime.date(2026, 1, 1),
        datetime.date(2026, 12, 31),
    )
