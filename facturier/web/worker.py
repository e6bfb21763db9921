"""The job worker (`manage.py run_worker`): django-tasks-db's db_worker, made to keep going.

- A database blip (PostgreSQL restarted, a connection dropped under DB_CONN_MAX_AGE) no longer ends
  the process: the worker closes its connections, waits (1 s, 2 s, 4 s... up to a minute) and goes on.
  A task whose outcome could not be written stays RUNNING and is recovered below.
- Between tasks it does the project's periodic work itself, so no cron line is needed: every minute,
  task rows left RUNNING by a worker that died are queued again or failed as their task declared
  (lib/jobs.py) and the webhook deliveries that are due are sent; every hour, what has expired is
  purged (export files, webhook log, rate counters, sessions, old task rows). With several workers
  each does it; every step is safe to run twice at once.
"""

import io
import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass

from django.core.management import call_command
from django.db import InterfaceError, OperationalError, close_old_connections, connections, transaction
from django.utils import timezone
from django_tasks.base import TaskResultStatus
from django_tasks.utils import get_module_path
from django_tasks_db.management.commands import db_worker
from django_tasks_db.models import DBTaskResult
from django_tasks_db.utils import exclusive_transaction, is_locked_database_exception

from facturier.lib import jobs

logger = logging.getLogger("facturier.worker")

CHECK_EVERY = 60.0  # seconds between two looks for interrupted tasks and due webhooks
PURGE_EVERY = 3600.0  # seconds between two purges of what has expired
MAX_PAUSE = 60.0  # the longest wait after a database error


def recover_interrupted(backend_name: str = "default") -> int:
    """Deal with the task rows RUNNING longer than their task allows (its worker died): mark each
    failed (Interrupted) and queue the same call again when its task says it is safe. Returns how many
    were dealt with."""
    now = timezone.now()
    count = 0
    running = DBTaskResult.objects.running().filter(backend_name=backend_name).order_by("started_at")
    for row in running:
        args, kwargs = row.args_kwargs["args"], row.args_kwargs["kwargs"]
        try:
            task = row.task  # imports the task's module, which declares its recovery
        except Exception:
            logger.exception("Task row %s names no task (%s)", row.pk, row.task_path)
            task = None
        recovery = jobs.RECOVERIES.get(row.task_path)
        limit = recovery.time_limit if recovery else jobs.DEFAULT_TIME_LIMIT
        last_sign = row.started_at or row.enqueued_at
        if recovery and recovery.heartbeat:
            beat = recovery.heartbeat(*args, **kwargs)
            if beat is not None and beat > last_sign:
                last_sign = beat
        if now - last_sign < limit:
            continue
        # One transaction: the row is failed and its call queued again together, or neither. The
        # conditional update makes one worker, and only one, deal with the row.
        with transaction.atomic():
            if not DBTaskResult.objects.filter(pk=row.pk, status=TaskResultStatus.RUNNING).update(
                status=TaskResultStatus.FAILED,
                finished_at=now,
                exception_class_path=get_module_path(jobs.Interrupted),
                traceback=f"Interrupted: still running at {now.isoformat()}, its worker is gone.",
            ):
                continue
            count += 1
            resumed = task is not None and recovery is not None and recovery.resume(*args, **kwargs)
            if task is not None and resumed:
                queued = task.using(run_after=None).enqueue(*args, **kwargs)
        if resumed:
            logger.warning(
                "Task %s (%s) was interrupted: queued again as %s", row.pk, row.task_path, queued.id
            )
        else:
            logger.error("Task %s (%s) was interrupted: marked failed", row.pk, row.task_path)
    return count


def _deliver_due_webhooks() -> None:
    from facturier.webhooks.delivery import deliver_due

    deliver_due()


def _purge() -> None:
    # What deployments used to run from cron, daily: each command deletes what has expired.
    for command in (
        "purge_exports",
        "purge_webhook_deliveries",
        "purge_rate_counters",
        "clearsessions",
        # Finished task rows: kept 14 days, the failed ones 90 (platform staff read them in the admin).
        ("prune_db_task_results", "--min-age-days=14", "--failed-min-age-days=90"),
    ):
        name, *args = (command,) if isinstance(command, str) else command
        call_command(name, *args, verbosity=0, stdout=io.StringIO())


@dataclass
class Periodic:
    every: float  # seconds
    work: Callable[[], object]
    last_run: float | None = None


class Worker(db_worker.Worker):
    def __init__(self, *, check_every: float = CHECK_EVERY, **options: object) -> None:
        super().__init__(**options)  # type: ignore[arg-type]
        self.periodic = [
            Periodic(check_every, lambda: recover_interrupted(self.backend_name)),
            Periodic(check_every, _deliver_due_webhooks),
            Periodic(PURGE_EVERY, _purge),
        ]

    def run(self) -> None:
        logger.info("Starting worker worker_id=%s queues=%s", self.worker_id, ",".join(self.queue_names))
        if self.startup_delay and self.interval:
            time.sleep(random.random())  # noqa: S311 (spreads workers started together)
        failures = 0
        while self.running:
            try:
                self.check()
                found = self.run_next()
            except (OperationalError, InterfaceError) as error:
                if self.batch:
                    raise
                failures = min(failures + 1, 8)  # (the pause stops growing at MAX_PAUSE anyway)
                pause = min(2.0 ** (failures - 1), MAX_PAUSE)
                logger.warning("Database error, trying again in %.0f s: %s", pause, error)
                self.drop_connections()
                time.sleep(pause)
                continue
            failures = 0
            if self.batch and found is None:
                logger.info("No more tasks to run for worker_id=%s - exiting gracefully.", self.worker_id)
                return
            if self.max_tasks is not None and self._run_tasks >= self.max_tasks:
                return
            if self.running and not found:
                time.sleep(self.interval)

    def run_next(self) -> bool | None:
        """Claim and run the next ready task: True if one ran, None if there was none, False if the
        database was locked (SQLite) and the question stays open."""
        close_old_connections()
        tasks = DBTaskResult.objects.ready().filter(backend_name=self.backend_name)
        if not self.process_all_queues:
            tasks = tasks.filter(queue_name__in=self.queue_names)
        if self.excluded_queue_names:
            tasks = tasks.exclude(queue_name__in=self.excluded_queue_names)
        with exclusive_transaction(tasks.db):
            try:
                task_result = tasks.get_locked()
                if task_result is not None:
                    task_result.claim(self.worker_id)
            except OperationalError as error:
                if is_locked_database_exception(error):
                    return False
                raise
        if task_result is None:
            return None
        self.run_task(task_result)
        close_old_connections()
        return True

    def check(self) -> None:
        """The periodic work that is due. A failure of one step is logged and stops neither the others
        nor the worker (a database error goes up to run's back-off, and the step is tried again)."""
        for step in self.periodic:
            now = time.monotonic()
            if step.last_run is not None and now - step.last_run < step.every:
                continue
            try:
                step.work()
            except (OperationalError, InterfaceError):
                raise
            except Exception:
                logger.exception("Periodic work failed")
            step.last_run = now

    @staticmethod
    def drop_connections() -> None:
        for connection in connections.all(initialized_only=True):
            try:
                connection.close()
            except Exception:  # a connection already broken may fail to close: it is dropped anyway
                logger.debug("Closing a broken connection failed", exc_info=True)
