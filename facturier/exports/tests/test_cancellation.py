"""An export asked for by someone who then loses access to the account is cancelled: a queued one never
runs, one being written keeps nothing, and nobody is told the file is ready."""

import datetime

from django.core import mail

from facturier.exports import jobs
from facturier.exports.base import ExportRequest
from facturier.exports.models import ExportFormat, ExportJob, ExportStatus
from facturier.tenancy.access import Actor
from facturier.tenancy.models import AuditEvent, Membership
from facturier.tenancy.services import remove_member


def queued_job(account, user):
    request = ExportRequest(account=account, start=datetime.date(2025, 1, 1), end=datetime.date(2025, 12, 31))
    return jobs.create_job(account, ExportFormat.PAYMENTS_CSV, request, user, total=10_000)


def owner_actor(account, owner):
    return Actor(user=owner, membership=Membership.objects.get(account=account, user=owner))


def test_removing_a_member_cancels_the_exports_they_left_pending_there(acme, owner, collaborator, globex):
    theirs = queued_job(acme, collaborator)
    running = queued_job(acme, collaborator)
    ExportJob.objects.filter(pk=running.pk).update(status=ExportStatus.RUNNING)
    done = queued_job(acme, collaborator)
    ExportJob.objects.filter(pk=done.pk).update(status=ExportStatus.DONE)
    owners = queued_job(acme, owner)
    elsewhere = queued_job(globex, collaborator)  # (a membership the collaborator does not even hold)

    remove_member(owner_actor(acme, owner), Membership.objects.get(account=acme, user=collaborator))

    statuses = dict(ExportJob.objects.values_list("pk", "status"))
    assert statuses == {
        theirs.pk: ExportStatus.CANCELLED,
        running.pk: ExportStatus.CANCELLED,
        done.pk: ExportStatus.DONE,
        owners.pk: ExportStatus.QUEUED,
        elsewhere.pk: ExportStatus.QUEUED,
    }
    cancelled = ExportJob.objects.get(pk=theirs.pk)
    assert cancelled.is_finished and "n'a plus accès au compte" in cancelled.error


def test_a_cancelled_job_left_in_the_queue_never_runs(acme, owner, collaborator):
    job = queued_job(acme, collaborator)
    remove_member(owner_actor(acme, owner), Membership.objects.get(account=acme, user=collaborator))
    mail.outbox.clear()

    jobs.run_export_job.call(job.pk)

    job.refresh_from_db()
    assert job.status == ExportStatus.CANCELLED and not job.file and job.started_at is None
    assert not mail.outbox


def test_a_job_cancelled_while_it_is_written_keeps_nothing_and_tells_nobody(
    acme, owner, collaborator, monkeypatch, settings
):
    job = queued_job(acme, collaborator)

    def write_then_lose_access(format_code, request, out, progress):
        out.write(b"date|montant\r\n")
        remove_member(owner_actor(acme, owner), Membership.objects.get(account=acme, user=collaborator))
        return []

    monkeypatch.setattr(jobs, "write_to", write_then_lose_access)
    mail.outbox.clear()

    jobs.run_export_job.call(job.pk)

    job.refresh_from_db()
    assert job.status == ExportStatus.CANCELLED
    assert not job.file and job.file_name == ""
    assert [p for p in settings.MEDIA_ROOT.rglob("*") if p.is_file()] == []
    assert not AuditEvent.objects.filter(account=acme, action="export.completed").exists()
    assert not mail.outbox
